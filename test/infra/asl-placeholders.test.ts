import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, functionArnPlaceholder, placeholdersIn, substitutionsFor } from '../../functions/catalog';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { aslFiles } from '../../infra/workflows';

/** Every `${Placeholder}` of every statemachines/*.asl.json has a substitution, every substitution is used, and each names a catalog function. */

const FILES = aslFiles(path.join(PROJECT_ROOT, 'statemachines'));

describe('ASL placeholders', () => {
  it('finds the export and erasure workflows', () => {
    // Assert
    expect(FILES.map((file) => file.name)).toEqual(expect.arrayContaining(['export', 'erasure']));
  });

  it.each(FILES.map(({ name, file }) => [name, file] as const))('%s: placeholders and substitutions match one to one', (_name, file) => {
    // Arrange
    const definition = readFileSync(file, 'utf8');
    const placeholders = placeholdersIn(definition);

    // Act
    const substitutions = substitutionsFor(definition, (id) => `arn:aws:lambda:eu-west-1:111122223333:function:dsr-${id}`);

    // Assert
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);
    const substituted = Object.entries(substitutions).reduce((text, [key, value]) => text.replaceAll(`\${${key}}`, value), definition);
    expect(placeholdersIn(substituted)).toEqual([]);
    expect(() => JSON.parse(substituted)).not.toThrow();
  });

  it.each(FILES.map(({ name, file }) => [name, file] as const))('%s: every placeholder names an existing catalog function', (_name, file) => {
    // Act
    const placeholders = placeholdersIn(readFileSync(file, 'utf8'));

    // Assert
    const known = new Set(FUNCTIONS.map((spec) => functionArnPlaceholder(spec.id)));
    expect(placeholders.filter((placeholder) => !known.has(placeholder))).toEqual([]);
    expect(placeholders.every((placeholder) => placeholder.endsWith('FunctionArn'))).toBe(true);
  });
});
