import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Conventions that keep one contract per concept, checked over the sources. */

const ROOT = new URL('../..', import.meta.url).pathname;

/** A source's code without its comment lines. */
function code(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*\*?|\*)/.test(line))
    .join('\n');
}

/** Every TypeScript source under a folder (relative paths). */
function sources(folder: string): string[] {
  const entries = readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

describe('one contract per concept', () => {
  it('reaches request state only through the ledger module', () => {
    // Arrange
    const allowed = ['functions/core/data-map.ts', 'functions/catalog.ts', 'functions/shared/ledger-from-env.ts'];

    // Act
    const offenders = sources('functions').filter((file) => !allowed.includes(file) && /getStore\('request-ledger'\)|DSR_TABLE_REQUEST_LEDGER/.test(code(file)));

    // Assert
    expect(offenders).toEqual([]);
  });

  it('names the archive layout (index page, data and files folders, manifests) in the layout module only', () => {
    // Arrange
    const literal = /['"`](index\.html|manifest\.json|data\/|files\/)/;

    // Act
    const offenders = sources('functions/core/export').filter((file) => file !== 'functions/core/export/layout.ts' && literal.test(code(file)));

    // Assert
    expect(offenders).toEqual([]);
  });
});
