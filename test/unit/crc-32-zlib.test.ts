import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ZipArchive } from 'archiver';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { unzip } from '../e2e/export-archive';

const require = createRequire(import.meta.url);
const ADAPTER = join(PROJECT_ROOT, 'packages/crc-32/index.cjs');
const crc = require(ADAPTER) as { buf: (data: Uint8Array, seed?: number) => number };

/** Where `specifier` resolves for the module file `from`, symlinks followed. */
const resolveFrom = (from: string, specifier: string) => realpathSync(createRequire(from).resolve(specifier));

/** The modules of archiver's ZIP writer that import `crc-32`. */
const zipStream = resolveFrom(require.resolve('archiver'), 'zip-stream');
const compressCommons = resolveFrom(zipStream, 'compress-commons');
const crc32Stream = resolveFrom(compressCommons, 'crc32-stream');

describe('crc-32 (the zlib workspace package)', () => {
  it('is the crc-32 that compress-commons and crc32-stream import', () => {
    // Act
    const resolved = [compressCommons, crc32Stream].map((dependent) => resolveFrom(dependent, 'crc-32'));

    // Assert
    expect(resolved).toEqual([realpathSync(ADAPTER), realpathSync(ADAPTER)]);
  });

  it("gives crc-32's results: the standard check value, as a signed 32-bit integer", () => {
    // Act
    const check = crc.buf(Buffer.from('123456789'));

    // Assert
    expect(check).toBe(0xcbf43926 | 0);
    expect(check >>> 0).toBe(0xcbf43926);
    expect(crc.buf(Buffer.alloc(0))).toBe(0);
  });

  it('continues from a seed, signed or not, as a stream of chunks does', () => {
    // Arrange
    const whole = Buffer.from('The quick brown fox jumps over the lazy dog');
    const [head, tail] = [whole.subarray(0, 10), whole.subarray(10)];

    // Act
    const signedSeed = crc.buf(tail, crc.buf(head));
    const unsignedSeed = crc.buf(tail, crc.buf(head) >>> 0);

    // Assert
    expect(signedSeed >>> 0).toBe(0x414fa339);
    expect(unsignedSeed).toBe(signedSeed);
  });

  it("writes archiver's entries, stored from bytes and deflated from a stream, with their true CRC-32", async () => {
    // Arrange
    const photo = Buffer.from(Array.from({ length: 70_000 }, (_, index) => (index * 7919) % 251));
    const text = Buffer.from('{"orders": []}\n'.repeat(500));
    const zip = new ZipArchive({ zlib: { level: 6 } });
    const chunks: Buffer[] = [];
    zip.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolvePromise) => zip.once('end', resolvePromise));

    // Act
    zip.append(photo, { name: 'photo.jpg', store: true });
    zip.append(Readable.from([text.subarray(0, 1000), text.subarray(1000)]), { name: 'data.json' });
    await zip.finalize();
    await ended;
    const entries = await unzip(Buffer.concat(chunks));

    // Assert
    expect(entries.map((entry) => [entry.name, entry.crc32])).toEqual([
      ['photo.jpg', crc32(photo)],
      ['data.json', crc32(text)],
    ]);
    expect(entries.map((entry) => entry.data)).toEqual([photo, text]);
  });
});
