import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The mirror rule (docs/testing.md): the unit tests of `functions/core/<dir>/<name>.ts` live in
 * `test/unit/<dir>-<name>.test.ts` (the path under functions/core, `/` → `-`), one file per module.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CORE = join(ROOT, 'functions/core');

/**
 * Modules whose unit tests still live in a file shared with other modules (being moved to their mirror
 * files), each with the test files that test it today. The list only shrinks: an entry whose mirror
 * file exists fails below, so it is removed when its tests move. An empty list: tested only through the
 * modules that call it (erase-store, build-volume) or new and untested yet.
 */
const NOT_YET_MIRRORED: Record<string, string[]> = {};

/** Every TypeScript module under functions/core, as a path relative to it. */
function coreModules(dir = CORE): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return coreModules(path);
    return entry.name.endsWith('.ts') ? [relative(CORE, path)] : [];
  });
}

/** The mirror test file of a core module. */
function mirrorOf(module: string): string {
  return `${module.replace(/\.ts$/, '').replaceAll('/', '-')}.test.ts`;
}

describe('unit tests mirror the core modules', () => {
  it('names the mirror file after the path under functions/core', () => {
    expect(mirrorOf('keyed-hash.ts')).toBe('keyed-hash.test.ts');
    expect(mirrorOf('erasure/bucket-eraser.ts')).toBe('erasure-bucket-eraser.test.ts');
    expect(mirrorOf('export/i18n/index.ts')).toBe('export-i18n-index.test.ts');
  });

  it('gives every core module its mirror test file (or lists it as not yet mirrored)', () => {
    const missing = coreModules().filter((module) => !(module in NOT_YET_MIRRORED) && !existsSync(join(ROOT, 'test/unit', mirrorOf(module))));

    expect(missing.map((module) => `functions/core/${module} → test/unit/${mirrorOf(module)}`)).toEqual([]);
  });

  it('lists as not yet mirrored only modules without a mirror file', () => {
    const stale = Object.keys(NOT_YET_MIRRORED).filter((module) => existsSync(join(ROOT, 'test/unit', mirrorOf(module))));

    expect(stale).toEqual([]);
  });

  it('points each not-yet-mirrored module at test files that import it', () => {
    const wrong = Object.entries(NOT_YET_MIRRORED).filter(([module]) => existsSync(join(CORE, module))).flatMap(([module, files]) =>
      files.filter((file) => !readFileSync(join(ROOT, 'test/unit', file), 'utf8').includes(`core/${module.replace(/\.ts$/, '')}'`)).map((file) => `${module} in ${file}`),
    );

    expect(wrong).toEqual([]);
  });
});
