import { describe, expect, it } from 'vitest';
import { PathAllocator, archiveKey, archivePrefix, exportResultKey, isAlreadyCompressed, sanitiseSegment, stagingKey } from '../../functions/core/export/layout';

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
