import { createHash } from 'node:crypto';

/**
 * Deterministic pseudo-randomness for seed data: a mulberry32 generator seeded from the SHA-256 of a
 * label, so each customer's data depends only on its own label (adding a customer changes no other).
 */

/** A seeded random source. */
export interface Rng {
  /** Uniform number in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** `length` lowercase hex digits. */
  hex(length: number): string;
}

/** A random source seeded from `label`; the same label always gives the same sequence. */
export function seededRng(label: string): Rng {
  let state = createHash('sha256').update(label).digest().readUInt32BE(0);
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick() needs a non-empty list');
      return items[int(0, items.length - 1)]!;
    },
    chance: (p) => next() < p,
    hex: (length) => Array.from({ length }, () => int(0, 15).toString(16)).join(''),
  };
}
