import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionArnPlaceholder, placeholdersIn } from '../../functions/catalog';
import { aslFiles } from '../../infra/workflows';
import { FIXTURE_CATALOG } from './fixtures/catalog';
import { buildStack, FIXTURE_STATEMACHINES, logicalId, roleStatements, actionsOf, type Built } from './helpers';

/** One state machine per ASL file: fixed name, STANDARD, logs, tracing, substitutions, invoke-only-what-it-references role. */

describe('state machines from the ASL files', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack();
  });

  it.each(aslFiles(FIXTURE_STATEMACHINES).map(({ name, file }) => [name, file] as const))(
    '%s: fixed name, STANDARD, logging ALL without execution data, traced',
    (name) => {
      // Act
      const machine = built.template.toJSON().Resources[logicalId(built.stack, built.stack.workflows.byName.get(name)!)].Properties;

      // Assert
      expect(machine).toMatchObject({
        StateMachineName: `dsr-${name}`,
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      });
    },
  );

  it.each(aslFiles(FIXTURE_STATEMACHINES).map(({ name, file }) => [name, file] as const))(
    '%s: every placeholder is substituted by the ARN of the function it names',
    (name, file) => {
      // Arrange
      const placeholders = placeholdersIn(readFileSync(file, 'utf8'));

      // Act
      const substitutions = built.template.toJSON().Resources[logicalId(built.stack, built.stack.workflows.byName.get(name)!)].Properties
        .DefinitionSubstitutions as Record<string, unknown>;

      // Assert
      expect(Object.keys(substitutions).sort()).toEqual(placeholders);
      for (const placeholder of placeholders) {
        const spec = FIXTURE_CATALOG.find((candidate) => functionArnPlaceholder(candidate.id) === placeholder)!;
        expect(substitutions[placeholder]).toEqual({ 'Fn::GetAtt': [logicalId(built.stack, built.stack.functions.get(spec.id)), 'Arn'] });
      }
    },
  );

  it('lets each state machine invoke only the functions it references (plus its planner-chosen per-store functions)', () => {
    // Arrange
    const invokable = (name: string): string[] => {
      const role = built.stack.workflows.byName.get(name)!.role;
      return roleStatements(built.template, logicalId(built.stack, role))
        .filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'))
        .flatMap((statement) => statement.Resource as { 'Fn::GetAtt': [string, string] }[])
        .map((resource) => FIXTURE_CATALOG.find((spec) => logicalId(built.stack, built.stack.functions.get(spec.id)) === resource['Fn::GetAtt'][0])!.id)
        .sort();
    };

    // Act / Assert
    expect(invokable('export')).toEqual(
      ['build-volume', 'collect-contact-history', 'collect-orders', 'collect-uploaded-photos', 'mark-in-progress', 'plan-export', 'record-failure'].sort(),
    );
    expect(invokable('erasure')).toEqual(['erase-orders', 'record-failure', 'write-certificate']);
  });

  it('builds no state machine when no ASL file exists yet', () => {
    // Arrange
    const empty = mkdtempSync(path.join(tmpdir(), 'dsr-asl-'));
    try {
      // Act
      const none = buildStack({ stateMachinesDir: empty });

      // Assert
      none.template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
      none.template.resourceCountIs('AWS::Lambda::Function', FIXTURE_CATALOG.length);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses an ASL placeholder that names no catalog function', () => {
    // Act / Assert
    expect(() => buildStack({ catalog: FIXTURE_CATALOG.filter((spec) => spec.id !== 'plan-export') })).toThrow(/PlanExportFunctionArn/);
  });
});
