import { describe, expect, it } from 'vitest';
import {
  PathAllocator,
  archiveKey,
  archivePrefix,
  dataFilePath,
  exportResultKey,
  isAlreadyCompressed,
  manifestName,
  mediaKind,
  planKey,
  sanitiseSegment,
  stagingKey,
  stagingPrefix,
  volumeFileName,
  volumeFilesKey,
  volumeSummaryKey,
} from '../../functions/core/export/layout';

describe('sanitiseSegment', () => {
  it.each([
    ['../../etc/passwd', '_.._etc_passwd'],
    ['..', 'file'],
    ['.hidden.jpg', 'hidden.jpg'],
    ['a\\b/c.jpg', 'a_b_c.jpg'],
    ['con.txt', '_con.txt'],
    ['ok name.jpg  ', 'ok name.jpg'],
    ['tab\there\u0000.png', 'tab_here_.png'],
    ['', 'file'],
  ])('makes %j safe as %j', (name, expected) => {
    const safe = sanitiseSegment(name);

    expect(safe).toBe(expected);
  });

  it('keeps non-ASCII names, normalised to NFC', () => {
    const safe = sanitiseSegment('Sm\u00f8rbr\u00f8d i Ska\u030agen.jpg');

    expect(safe).toBe('Sm\u00f8rbr\u00f8d i Sk\u00e5gen.jpg');
  });

  it('bounds a long name in UTF-8 bytes and keeps its extension', () => {
    const safe = sanitiseSegment(`${'\u00e6'.repeat(200)}.jpeg`);

    expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(150);
    expect(safe.endsWith('.jpeg')).toBe(true);
  });
});

describe('PathAllocator', () => {
  it('numbers colliding names case-insensitively and never drops one', () => {
    const paths = new PathAllocator();

    const allocated = ['IMG.jpg', 'img.JPG', 'IMG.jpg', 'README'].map((name) => paths.allocate('files/uploaded-photos', name));

    expect(allocated).toEqual([
      'files/uploaded-photos/IMG.jpg',
      'files/uploaded-photos/img (2).JPG',
      'files/uploaded-photos/IMG (3).jpg',
      'files/uploaded-photos/README',
    ]);
  });

  it('does not collide a numbered name with an original that has the same text', () => {
    const paths = new PathAllocator();

    const allocated = ['a (2).jpg', 'a.jpg', 'a.jpg'].map((name) => paths.allocate('files/x', name));

    expect(new Set(allocated).size).toBe(3);
  });
});

describe('isAlreadyCompressed', () => {
  it.each([
    ['photo.JPG', undefined, true],
    ['clip.mp4', undefined, true],
    ['voice.m4a', undefined, true],
    ['image.heic', undefined, true],
    ['noext', 'image/png', true],
    ['call.wav', 'audio/wav', false],
    ['notes.txt', 'text/plain', false],
  ])('%s (%s) → stored %s', (name, type, expected) => {
    expect(isAlreadyCompressed(name, type)).toBe(expected);
  });
});

describe('keys', () => {
  it('puts staging under the request and archives under an unguessable but stable prefix', () => {
    const key = 'k'.repeat(40);

    const first = archiveKey('r-1', 2, key);
    const again = archiveKey('r-1', 2, key);
    const otherKey = archiveKey('r-1', 2, 'x'.repeat(40));

    expect(stagingKey('r-1', 'orders')).toBe('staging/r-1/orders.jsonl');
    expect(first).toMatch(/^exports\/r-1\/[0-9a-f]{64}\/volume-2\.zip$/);
    expect(again).toBe(first);
    expect(otherKey).not.toBe(first);
  });
});

describe('archive keys (known answers)', () => {
  // Computed once with `printf 'export-archive:r-1' | openssl dgst -sha256 -hmac "$KEY"`: a change to
  // the scheme would strand every archive already written (the erasure's export step would miss them).
  const KEY = 'kat-hash-key-0123456789abcdef0123';
  const HASH = '4d305a8c667ba58a9fde88b1e4f08667faed410afc2038d3bab73fbca98725eb';

  it('puts the volumes and the result under exports/<requestId>/<keyed hash of the request id>/', () => {
    expect(archivePrefix('r-1', KEY)).toBe(`exports/r-1/${HASH}/`);
    expect(archiveKey('r-1', 1, KEY)).toBe(`exports/r-1/${HASH}/volume-1.zip`);
    expect(archiveKey('r-1', 12, KEY)).toBe(`exports/r-1/${HASH}/volume-12.zip`);
    expect(exportResultKey('r-1', KEY)).toBe(`exports/r-1/${HASH}/result.json`);
  });
});

describe('sanitiseSegment (every rule)', () => {
  it.each([
    ['a:b*c?d"e<f>g|h', 'a_b_c_d_e_f_g_h'],
    ['del\u007fus\u001fx', 'del_us_x'],
    [' . .x', 'x'],
    ['x. . ', 'x'],
    ['  spaced  ', 'spaced'],
    ['...', 'file'],
    ['CON', '_CON'],
    ['prn.pdf', '_prn.pdf'],
    ['Aux.tar.gz', '_Aux.tar.gz'],
    ['nul', '_nul'],
    ['com1.jpg', '_com1.jpg'],
    ['LPT9', '_LPT9'],
    ['com10.jpg', 'com10.jpg'],
    ['console.txt', 'console.txt'],
    ['icon.png', 'icon.png'],
    ['lpt', 'lpt'],
  ])('makes %j safe as %j', (name, expected) => {
    expect(sanitiseSegment(name)).toBe(expected);
  });

  it.each([
    ['no-break and ideographic spaces', '\u00a0name\u3000', 'name'],
    ['a byte order mark and a line separator', '\ufeffname\u2028', 'name'],
    ['an em space before trailing dots', 'name\u2003..', 'name'],
  ])('strips leading and trailing %s', (_, name, expected) => {
    expect(sanitiseSegment(name)).toBe(expected);
  });

  it('falls back to the given name when nothing is left', () => {
    expect(sanitiseSegment('. .', 'photo')).toBe('photo');
  });

  it.each([
    ['a 150-byte name', 'a'.repeat(150), 'a'.repeat(150)],
    ['a 151-byte name without extension', 'a'.repeat(151), 'a'.repeat(150)],
    ['two-byte characters with an extension', `${'\u00e6'.repeat(200)}.jpeg`, `${'\u00e6'.repeat(72)}.jpeg`],
    ['four-byte characters with an extension', `${'\u{1F600}'.repeat(40)}.png`, `${'\u{1F600}'.repeat(36)}.png`],
    ['a 10-character extension', `${'a'.repeat(200)}.bbbbbbbbb`, `${'a'.repeat(140)}.bbbbbbbbb`],
    ['an 11-character "extension"', `${'a'.repeat(200)}.bbbbbbbbbb`, 'a'.repeat(150)],
    ['a reserved name', `con.${'x'.repeat(200)}`, `_con.${'x'.repeat(145)}`],
  ])('bounds %s to 150 UTF-8 bytes exactly', (_, name, expected) => {
    const safe = sanitiseSegment(name);

    expect(safe).toBe(expected);
    expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(150);
  });
});

describe('isAlreadyCompressed (every format)', () => {
  it.each(['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic', 'heif', 'avif', 'mp3', 'm4a', 'aac', 'ogg', 'opus', 'mp4', 'm4v', 'mov', 'webm', 'zip', 'gz', '7z', 'pdf'])(
    'stores a .%s file whatever its content type',
    (extension) => {
      expect(isAlreadyCompressed(`file.${extension}`, 'application/octet-stream')).toBe(true);
      expect(isAlreadyCompressed(`FILE.${extension.toUpperCase()}`)).toBe(true);
    },
  );

  it.each([
    'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/heif', 'image/avif', 'IMAGE/JPEG',
    'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/opus', 'audio/x-m4a',
    'video/mp4', 'video/quicktime',
    'application/zip', 'application/gzip', 'application/pdf',
  ])('stores a file without a known extension of type %s', (contentType) => {
    expect(isAlreadyCompressed('blob', contentType)).toBe(true);
  });

  it.each([
    ['blob', 'image/bmp'],
    ['blob', 'image/jpeg2'],
    ['blob', 'ximage/jpeg'],
    ['blob', 'video/'],
    ['blob', 'application/zip+json'],
    ['blob', 'audio/wav'],
    ['blob', undefined],
    ['archive.jpg.txt', undefined],
    ['jpg', undefined],
    ['notes.gzip', 'text/plain'],
  ])('deflates %s (%s)', (name, contentType) => {
    expect(isAlreadyCompressed(name, contentType)).toBe(false);
  });
});

describe('staging and archive names', () => {
  it('names every staging object under staging/<requestId>/ and every archive file by its volume', () => {
    expect(stagingPrefix('r-1')).toBe('staging/r-1/');
    expect(planKey('r-1')).toBe('staging/r-1/plan.json');
    expect(volumeSummaryKey('r-1', 3)).toBe('staging/r-1/volumes/3.json');
    expect(volumeFilesKey('r-1', 3)).toBe('staging/r-1/volumes/3.files.json');
    expect(volumeFileName(3)).toBe('volume-3.zip');
    expect(dataFilePath('orders', 'csv')).toBe('data/orders.csv');
    expect(dataFilePath('orders', 'json')).toBe('data/orders.json');
    expect(manifestName(1)).toBe('manifest.json');
    expect(manifestName(2)).toBe('manifest-volume-2.json');
  });
});

describe('PathAllocator (names without an extension)', () => {
  it('numbers a name without an extension, or one that starts with its only dot, at its end', () => {
    const paths = new PathAllocator();

    const allocated = ['README', 'readme', '.env', '.env'].map((name) => paths.allocate('files/x', name));

    expect(allocated).toEqual(['files/x/README', 'files/x/readme (2)', 'files/x/.env', 'files/x/.env (2)']);
  });
});

describe('mediaKind', () => {
  it.each(['jpg', 'jpeg', 'png', 'gif', 'webp', 'avif'])('shows a .%s file as an image', (extension) => {
    expect(mediaKind(`files/uploaded-photos/a.${extension.toUpperCase()}`)).toBe('image');
  });

  it.each(['mp3', 'm4a', 'aac', 'ogg', 'opus', 'wav'])('plays a .%s file as audio', (extension) => {
    expect(mediaKind(`files/call-recordings/a.${extension}`)).toBe('audio');
  });

  it.each(['files/x/a.heic', 'files/x/a.mp4', 'files/x/a.pdf', 'files/x/jpg', 'files/a.jpg/readme', 'jpg'])('shows %s as neither', (path) => {
    expect(mediaKind(path)).toBeUndefined();
  });

  it('reads the extension of a path without a folder', () => {
    expect(mediaKind('a.jpg')).toBe('image');
    expect(mediaKind('b.wav')).toBe('audio');
  });

  it.each(['files/x/a.constructor', 'files/x/a.__proto__', 'files/x/a.hasOwnProperty'])('shows %s as neither (no inherited property is a kind)', (path) => {
    expect(mediaKind(path)).toBeUndefined();
  });
});
