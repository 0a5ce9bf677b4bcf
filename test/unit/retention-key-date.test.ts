import { describe, expect, it } from 'vitest';
import { datedFileName, keyDateOf } from '../../functions/core/retention/key-date';

/** Dates in file names: what the retention sweep reads from a call recording's key instead of its metadata. */

describe('keyDateOf', () => {
  it('reads the ISO 8601 basic UTC date a file name starts with, with or without milliseconds', () => {
    // Act / Assert
    expect(keyDateOf('recordings/c1/20260901T101500Z_call-1.wav')?.toISOString()).toBe('2026-09-01T10:15:00.000Z');
    expect(keyDateOf('recordings/c1/20260901T101500.250Z_call-1.wav')?.toISOString()).toBe('2026-09-01T10:15:00.250Z');
    expect(keyDateOf('20241231T235959Z_x')?.toISOString()).toBe('2024-12-31T23:59:59.000Z');
    expect(keyDateOf('recordings/c1/20240229T000000Z_leap.wav')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('reads the file name only, not a date elsewhere in the key', () => {
    // Act / Assert
    expect(keyDateOf('recordings/20260901T101500Z_c1/call-1.wav')).toBeUndefined();
    expect(keyDateOf('recordings/c1/call-20260901T101500Z_1.wav')).toBeUndefined();
  });

  it('finds no date in a name without one, without the separator, in local time, or with an impossible date', () => {
    // Act / Assert
    for (const name of [
      'recordings/c1/call-1.wav',
      'recordings/c1/20260901T101500Z.wav',
      'recordings/c1/20260901T101500_call.wav',
      'recordings/c1/20260901T101500+0100_call.wav',
      'recordings/c1/2026-09-01T10:15:00Z_call.wav',
      'recordings/c1/20261301T000000Z_month-13.wav',
      'recordings/c1/20250229T000000Z_no-leap-day.wav',
      'recordings/c1/20260230T000000Z_30-february.wav',
      'recordings/c1/20260901T240000Z_hour-24.wav',
      'recordings/c1/20260901T106000Z_minute-60.wav',
      'recordings/c1/20260901T101560Z_second-60.wav',
      'recordings/c1/00500101T000000Z_two-digit-year.wav',
      'recordings/c1/20260901T101500.25Z_two-digit-fraction.wav',
    ]) {
      expect(keyDateOf(name), name).toBeUndefined();
    }
  });
});

describe('datedFileName', () => {
  it('writes the date as keyDateOf reads it back, milliseconds only when not zero', () => {
    // Act
    const whole = datedFileName(new Date('2026-09-01T10:15:00.000Z'), 'call-1');
    const fraction = datedFileName(new Date('2026-09-01T10:15:00.007Z'), 'call-2');

    // Assert
    expect(whole).toBe('20260901T101500Z_call-1');
    expect(fraction).toBe('20260901T101500.007Z_call-2');
    expect(keyDateOf(`recordings/c1/${whole}.wav`)?.toISOString()).toBe('2026-09-01T10:15:00.000Z');
    expect(keyDateOf(`recordings/c1/${fraction}.wav`)?.toISOString()).toBe('2026-09-01T10:15:00.007Z');
  });
});
