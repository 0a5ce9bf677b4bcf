import { afterEach, vi } from 'vitest';

/** Undoes one replacement (a registered fake, an environment variable, a patched function). */
export type Restore = () => void | Promise<void>;

/**
 * Replacements that are always undone: `replace` applies a fake and remembers how to undo it,
 * `restoreAll` undoes every one, last first, even when an undo throws (then it throws the first error).
 * Used through `restoredAfterEach`, a failing assertion can never leave a fake in place for the next test.
 */
export class Replacements {
  private readonly restores: Restore[] = [];

  /** Applies a replacement now and keeps its undo for `restoreAll`. */
  replace(apply: () => void, restore: Restore): void {
    apply();
    this.restores.push(restore);
  }

  /** Sets an environment variable now; `restoreAll` puts back its old value (or removes it when it had none). */
  setEnv(name: string, value: string): void {
    const saved = process.env[name];
    this.replace(
      () => {
        process.env[name] = value;
      },
      () => {
        if (saved === undefined) delete process.env[name];
        else process.env[name] = saved;
      },
    );
  }

  /** Fakes the clock (`Date` only; timers stay real) at `iso`; `restoreAll` puts the real clock back. */
  setClock(iso: string): void {
    this.replace(
      () => {
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(new Date(iso));
      },
      () => {
        vi.useRealTimers();
      },
    );
  }

  /** How many replacements are waiting to be undone. */
  get pending(): number {
    return this.restores.length;
  }

  /** Undoes every replacement, last first; each undo runs even when an earlier one throws. */
  async restoreAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const restore of this.restores.splice(0).reverse()) {
      try {
        await restore();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length) throw errors[0];
  }
}

/** Replacements undone after every test of the calling file (an `afterEach` hook, which runs when a test fails too). */
export function restoredAfterEach(): Replacements {
  const replacements = new Replacements();
  afterEach(() => replacements.restoreAll());
  return replacements;
}
