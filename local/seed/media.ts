import jpeg from 'jpeg-js';

/**
 * Valid media files for demo and test data: small gradient JPEGs (optionally padded with JPEG comment
 * segments up to an exact size, produced chunk by chunk so multi-GiB files never sit in memory) and
 * RIFF/WAVE PCM tones.
 */

/** A deterministic gradient JPEG; `variant` changes colours and direction so photos differ. */
export function gradientJpeg(variant: number, width = 64, height = 48, quality = 80): Buffer {
  const data = Buffer.alloc(width * height * 4);
  const hue = (variant * 47) % 256;
  const diagonal = variant % 2 === 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const t = diagonal ? (x + y) / (width + height) : x / width;
      const offset = (y * width + x) * 4;
      data[offset] = (hue + Math.round(t * 200)) % 256;
      data[offset + 1] = Math.round((y / height) * 255);
      data[offset + 2] = (255 - hue + ((variant * 13) % 64)) % 256;
      data[offset + 3] = 255;
    }
  }
  return jpeg.encode({ data, width, height }, quality).data;
}

/** How many distinct gradient images the seeders draw from (encoding one takes tens of milliseconds). */
export const BASE_IMAGE_COUNT = 16;

const baseImages = new Map<number, Buffer>();

/** One of `BASE_IMAGE_COUNT` gradient JPEGs in three widths and heights, encoded once and cached. */
export function baseJpeg(variant: number): Buffer {
  const index = ((variant % BASE_IMAGE_COUNT) + BASE_IMAGE_COUNT) % BASE_IMAGE_COUNT;
  let image = baseImages.get(index);
  if (!image) {
    image = gradientJpeg(index, [64, 96, 128][index % 3], [48, 72, 96][Math.floor(index / 3) % 3]);
    baseImages.set(index, image);
  }
  return image;
}

/** A base JPEG with a comment segment carrying `label`, so every file's bytes differ. */
export function labelledJpeg(variant: number, label: string): Buffer {
  const base = baseJpeg(variant);
  const text = Buffer.from(label, 'utf8').subarray(0, 65533);
  return Buffer.concat([base.subarray(0, 2), commentSegment(text.length + 4, text), base.subarray(2)]);
}

/** Largest JPEG marker segment: marker (2 bytes) + length field (2) + 65533 payload bytes. */
const MAX_SEGMENT_BYTES = 4 + 65533;

/** One full-size comment segment, shared by every padded file. */
const FULL_COMMENT_SEGMENT = commentSegment(MAX_SEGMENT_BYTES);

/** A COM (0xFFFE) segment of exactly `size` bytes (4 ≤ size ≤ 65537), starting with `text`. */
function commentSegment(size: number, text: Buffer = Buffer.from('dsr synthetic padding')): Buffer {
  const segment = Buffer.alloc(size, ' ');
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(size - 2, 2);
  text.copy(segment, 4, 0, Math.max(0, size - 4));
  return segment;
}

/** The size of `paddedJpeg(base, targetBytes)`: the target, or the base size when that is larger. */
export function paddedJpegSize(base: Buffer, targetBytes: number): number {
  return Math.max(base.length, targetBytes);
}

/**
 * Chunks of a valid JPEG of exactly `paddedJpegSize(base, targetBytes)` bytes: SOI, comment segments,
 * then the rest of `base`. A remainder under 4 bytes becomes 0xFF fill bytes, which JPEG allows before a
 * marker.
 */
export function* paddedJpeg(base: Buffer, targetBytes: number): Generator<Buffer> {
  if (base.readUInt16BE(0) !== 0xffd8) throw new Error('base is not a JPEG (no SOI marker)');
  let padding = paddedJpegSize(base, targetBytes) - base.length;
  yield base.subarray(0, 2);
  for (; padding >= MAX_SEGMENT_BYTES; padding -= MAX_SEGMENT_BYTES) yield FULL_COMMENT_SEGMENT;
  if (padding >= 4) yield commentSegment(padding);
  else if (padding > 0) yield Buffer.alloc(padding, 0xff);
  yield base.subarray(2);
}

/** Audio format of the generated WAV files: 16-bit mono PCM. */
export const WAV_FORMAT = { sampleRate: 8000, bitsPerSample: 16, channels: 1 } as const;

/** A RIFF/WAVE PCM file holding a sine tone of `seconds` at `frequency` Hz, fading in and out. */
export function toneWav(seconds: number, frequency = 440): Buffer {
  const { sampleRate, bitsPerSample, channels } = WAV_FORMAT;
  const samples = Math.round(seconds * sampleRate);
  const bytesPerSample = bitsPerSample / 8;
  const dataBytes = samples * channels * bytesPerSample;
  const file = Buffer.alloc(44 + dataBytes);
  file.write('RIFF', 0, 'ascii');
  file.writeUInt32LE(36 + dataBytes, 4);
  file.write('WAVE', 8, 'ascii');
  file.write('fmt ', 12, 'ascii');
  file.writeUInt32LE(16, 16);
  file.writeUInt16LE(1, 20);
  file.writeUInt16LE(channels, 22);
  file.writeUInt32LE(sampleRate, 24);
  file.writeUInt32LE(sampleRate * channels * bytesPerSample, 28);
  file.writeUInt16LE(channels * bytesPerSample, 32);
  file.writeUInt16LE(bitsPerSample, 34);
  file.write('data', 36, 'ascii');
  file.writeUInt32LE(dataBytes, 40);
  const fade = Math.min(samples / 2, sampleRate / 20);
  for (let i = 0; i < samples; i += 1) {
    const envelope = Math.min(1, i / fade, (samples - 1 - i) / fade);
    const value = Math.round(Math.sin((2 * Math.PI * frequency * i) / sampleRate) * 0.4 * 32767 * envelope);
    file.writeInt16LE(value, 44 + i * bytesPerSample);
  }
  return file;
}
