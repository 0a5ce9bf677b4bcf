import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { BASE_IMAGE_COUNT, baseJpeg, gradientJpeg, labelledJpeg, paddedJpeg, paddedJpegSize, toneWav, WAV_FORMAT } from '../../local/seed/media';

/** Generated media files are valid: JPEGs decode (padded to exact sizes), WAV headers describe the PCM data. */

const SEGMENT = 65537;

describe('JPEG generation', () => {
  it('encodes gradients that decode to the requested size and differ per variant', () => {
    // Act
    const first = gradientJpeg(1, 96, 72);
    const second = gradientJpeg(2, 96, 72);

    // Assert
    const decoded = jpeg.decode(first);
    expect([decoded.width, decoded.height]).toEqual([96, 72]);
    expect(first.equals(second)).toBe(false);
  });

  it('gives every labelled file distinct bytes while reusing the cached base images', () => {
    // Act
    const a = labelledJpeg(3, 'customers/c1/up-1/a.jpg');
    const b = labelledJpeg(3 + BASE_IMAGE_COUNT, 'customers/c1/up-2/b.jpg');

    // Assert
    expect(baseJpeg(3)).toBe(baseJpeg(3 + BASE_IMAGE_COUNT));
    expect(a.equals(b)).toBe(false);
    expect(jpeg.decode(a).comments).toContain('customers/c1/up-1/a.jpg');
    expect(jpeg.decode(b).width).toBe(jpeg.decode(baseJpeg(3)).width);
  });

  it.each([0, 1, 2, 3, 4, 5, SEGMENT - 1, SEGMENT, SEGMENT + 1, SEGMENT + 3, SEGMENT + 4, 2 * SEGMENT + 2, 300_000])(
    'pads to exactly base + %i bytes and stays decodable',
    (extra) => {
      // Arrange
      const base = labelledJpeg(5, 'padding test');

      // Act
      const file = Buffer.concat([...paddedJpeg(base, base.length + extra)]);

      // Assert
      expect(file.length).toBe(base.length + extra);
      expect(paddedJpegSize(base, base.length + extra)).toBe(file.length);
      const decoded = jpeg.decode(file, { maxMemoryUsageInMB: 64 });
      expect([decoded.width, decoded.height]).toEqual([jpeg.decode(base).width, jpeg.decode(base).height]);
    },
  );

  it('returns the base image unchanged when the target is smaller than it', () => {
    // Arrange
    const base = baseJpeg(0);

    // Act
    const file = Buffer.concat([...paddedJpeg(base, 10)]);

    // Assert
    expect(file.equals(base)).toBe(true);
  });

  it('streams large files in bounded chunks', () => {
    // Arrange
    const base = baseJpeg(1);

    // Act
    let total = 0;
    let largest = 0;
    for (const chunk of paddedJpeg(base, 64 * 1024 * 1024)) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
    }

    // Assert
    expect(total).toBe(64 * 1024 * 1024);
    expect(largest).toBeLessThanOrEqual(SEGMENT);
  });
});

describe('WAV generation', () => {
  it('writes a RIFF/WAVE PCM header that matches the sample data', () => {
    // Act
    const file = toneWav(2, 440);

    // Assert
    expect(file.toString('ascii', 0, 4)).toBe('RIFF');
    expect(file.readUInt32LE(4)).toBe(file.length - 8);
    expect(file.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(file.readUInt32LE(16)).toBe(16);
    expect(file.readUInt16LE(20)).toBe(1);
    expect(file.readUInt16LE(22)).toBe(WAV_FORMAT.channels);
    expect(file.readUInt32LE(24)).toBe(WAV_FORMAT.sampleRate);
    expect(file.readUInt32LE(28)).toBe(WAV_FORMAT.sampleRate * 2);
    expect(file.readUInt16LE(32)).toBe(2);
    expect(file.readUInt16LE(34)).toBe(16);
    expect(file.toString('ascii', 36, 40)).toBe('data');
    expect(file.readUInt32LE(40)).toBe(2 * WAV_FORMAT.sampleRate * 2);
    expect(file.length).toBe(44 + 2 * WAV_FORMAT.sampleRate * 2);
  });

  it('holds an audible tone, silent only at the faded ends', () => {
    // Act
    const file = toneWav(1, 440);

    // Assert
    const samples = Array.from({ length: WAV_FORMAT.sampleRate }, (_, i) => file.readInt16LE(44 + i * 2));
    expect(samples[0]).toBe(0);
    expect(Math.max(...samples)).toBeGreaterThan(10_000);
    expect(Math.min(...samples)).toBeLessThan(-10_000);
  });
});
