import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, placeholdersIn } from '../../functions/catalog';
import { DATA_MAP } from '../../functions/core/data-map';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { aslFiles } from '../../infra/workflows';
import { buildStack, logicalId, nagFindings, roleReachMismatches, type Built } from './helpers';

/** The stack over the REAL catalog, data map and statemachines/ folder (bundling skipped). */

const REAL_STATEMACHINES = path.join(PROJECT_ROOT, 'statemachines');

describe('stack over the real sources', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack({ catalog: FUNCTIONS, stateMachinesDir: REAL_STATEMACHINES });
  });

  it('creates every data-map store and every catalog function', () => {
    // Assert
    built.template.resourceCountIs('AWS::DynamoDB::Table', DATA_MAP.filter((store) => store.kind === 'dynamodb-table').length);
    built.template.resourceCountIs('AWS::S3::Bucket', DATA_MAP.filter((store) => store.kind === 's3-bucket').length + 1);
    built.template.resourceCountIs('AWS::Lambda::Function', FUNCTIONS.length);
  });

  it('builds one state machine per ASL file with a substitution for every placeholder', () => {
    // Arrange
    const files = aslFiles(REAL_STATEMACHINES);

    // Act / Assert
    built.template.resourceCountIs('AWS::StepFunctions::StateMachine', files.length);
    for (const { name, file } of files) {
      const machine = built.template.toJSON().Resources[logicalId(built.stack, built.stack.workflows.byName.get(name)!)].Properties;
      expect(Object.keys(machine.DefinitionSubstitutions ?? {}).sort()).toEqual(placeholdersIn(readFileSync(file, 'utf8')));
    }
  });

  it('lets each role reach exactly what its catalog entry grants', () => {
    // Act
    const mismatches = roleReachMismatches(built, FUNCTIONS);

    // Assert
    expect(mismatches).toEqual([]);
  });

  it('has zero unacknowledged cdk-nag AwsSolutions findings', () => {
    // Act
    const findings = nagFindings(built.app);

    // Assert
    expect(findings).toEqual([]);
  });
});
