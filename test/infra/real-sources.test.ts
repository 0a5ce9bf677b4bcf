import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, placeholdersIn } from '../../functions/catalog';
import { DATA_MAP } from '../../functions/core/data-map';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { aslFiles } from '../../infra/workflows';
import { actionsOf, buildStack, logicalId, nagFindings, roleReachMismatches, roleStatements, type Built } from './helpers';

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

  it('lets the export machine invoke every collector it picks at run time, and no eraser', () => {
    // Arrange
    const machine = built.stack.workflows.byName.get('export')!;

    // Act
    const invokable = JSON.stringify(
      roleStatements(built.template, logicalId(built.stack, machine.role)).filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction')),
    );

    // Assert
    for (const spec of FUNCTIONS.filter((candidate) => candidate.id.startsWith('collect-'))) {
      expect(invokable).toContain(`"${logicalId(built.stack, built.stack.functions.get(spec.id))}"`);
    }
    for (const spec of FUNCTIONS.filter((candidate) => candidate.id.startsWith('erase-'))) {
      expect(invokable).not.toContain(`"${logicalId(built.stack, built.stack.functions.get(spec.id))}"`);
    }
  });

  it('lets each role reach exactly what its catalog entry grants', () => {
    // Act
    const mismatches = roleReachMismatches(built, FUNCTIONS);

    // Assert
    expect(mismatches).toEqual([]);
  });

  it('lets the exports eraser list and delete only under exports/ and staging/, and read the versioning state without a prefix condition', () => {
    // Act
    const statements = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('erase-exports').role!)).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('s3:List') || action === 's3:GetBucketVersioning'),
    );

    // Assert
    const listing = statements.filter((statement) => actionsOf(statement).includes('s3:ListBucketVersions'));
    expect(listing.map((statement) => (statement.Condition as { StringLike: { 's3:prefix': string[] } }).StringLike['s3:prefix']).flat().sort()).toEqual(
      expect.arrayContaining(['exports/*', 'staging/*']),
    );
    const versioning = statements.filter((statement) => actionsOf(statement).includes('s3:GetBucketVersioning'));
    expect(versioning.length).toBeGreaterThan(0);
    expect(versioning.every((statement) => statement.Condition === undefined)).toBe(true);
  });

  it('has zero unacknowledged cdk-nag AwsSolutions findings', () => {
    // Act
    const findings = nagFindings(built.app);

    // Assert
    expect(findings).toEqual([]);
  });
});
