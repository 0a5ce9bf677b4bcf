import { readFileSync } from 'node:fs';
import path from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { aslFiles } from '../../infra/workflows';

/** Every workflow is valid Amazon States Language (asl-validator), as Step Functions will check at deploy time. */

describe.each(aslFiles(path.join(PROJECT_ROOT, 'statemachines')).map(({ name, file }) => [name, file] as const))('%s', (_name, file) => {
  it('is valid ASL once its placeholders are substituted', () => {
    // Arrange
    const definition = JSON.parse(readFileSync(file, 'utf8').replace(/\$\{(\w+)\}/g, (_match, placeholder: string) => `arn:aws:lambda:eu-west-1:111122223333:function:${placeholder}`));

    // Act
    const { isValid, errors } = aslValidator(definition);

    // Assert
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });
});
