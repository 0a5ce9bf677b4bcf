import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog';
import { RETENTION_WORK_EXPIRY_DAYS } from '../../functions/core/retention/plan';
import { sweptStores } from '../../functions/core/retention/rules';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import type { BucketStore, TableStore } from '../../infra/stores';
import { actionsOf, buildStack, logicalId, roleStatements, type Built, type Statement } from './helpers';

/**
 * The retention workflow in the stack (real sources): a daily schedule, a least-privilege role for its
 * Distributed Map (its own child executions, the manifest, the ResultWriter prefix, its four tasks), no
 * function that may start it, and an alarm per swept store on what is still past its rule after a run.
 */

let built: Built;
beforeAll(() => {
  built = buildStack({ catalog: FUNCTIONS, stateMachinesDir: path.join(PROJECT_ROOT, 'statemachines') });
});

/** The statements of the retention machine's role, without the logging and tracing statements CDK adds. */
function retentionStatements(): Statement[] {
  const role = built.stack.workflows.byName.get('retention')!.role;
  return roleStatements(built.template, logicalId(built.stack, role)).filter((statement) => !actionsOf(statement).some((action) => /^(logs|xray):/.test(action)));
}

/** The statement granting an action, as text. */
function resourceOf(statements: Statement[], action: string): string {
  const found = statements.filter((statement) => actionsOf(statement).includes(action));
  expect(found, action).toHaveLength(1);
  return JSON.stringify(found[0]!.Resource);
}

describe('retention workflow in the stack', () => {
  it('starts the retention machine daily with {"dryRun": false}, and no function any more (the invoice purge is gone)', () => {
    // Act
    const rules = Object.values(built.template.findResources('AWS::Events::Rule')).filter((rule) => JSON.stringify(rule.Properties.Targets ?? []).includes(logicalId(built.stack, built.stack.workflows.byName.get('retention')!)));

    // Assert
    expect(rules.map((rule) => [rule.Properties.ScheduleExpression, rule.Properties.Targets[0].Input])).toEqual([['rate(1 day)', '{"dryRun":false}']]);
    expect(FUNCTIONS.map((spec) => spec.id)).not.toContain('purge-retained');
    expect(FUNCTIONS.filter((spec) => spec.entry.startsWith('functions/retention/')).flatMap((spec) => spec.triggers ?? [])).toEqual([]);
  });

  it('lets the machine start and follow only its own child executions, read the manifest and write the results', () => {
    // Act
    const statements = retentionStatements();

    // Assert
    expect(resourceOf(statements, 'states:StartExecution')).toMatch(/:stateMachine:dsr-retention"\]\]\}$/);
    expect(resourceOf(statements, 'states:DescribeExecution')).toMatch(/:execution:dsr-retention:\*"\]\]\}$/);
    expect(resourceOf(statements, 'states:StopExecution')).toBe(resourceOf(statements, 'states:DescribeExecution'));
    expect(resourceOf(statements, 's3:GetObject')).toContain('/retention/*/segments.json');
    for (const action of ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']) expect(resourceOf(statements, action), action).toContain('/retention/*/results/*');
    // The work files are in the exports bucket (expiring), never in the audit bucket (Object Lock).
    expect(resourceOf(statements, 's3:GetObject')).toContain(logicalId(built.stack, (built.stack.stores.get('exports') as BucketStore).bucket));
    expect(JSON.stringify(statements)).not.toContain(logicalId(built.stack, (built.stack.stores.get('audit') as BucketStore).bucket));
    expect(statements.flatMap(actionsOf).filter((action) => /^(dynamodb|s3:Delete|s3:List(Bucket|Objects)|states:(List|Send))/.test(action))).toEqual([]);
  });

  it('lets the machine invoke exactly its four tasks', () => {
    // Act
    const invoked = retentionStatements()
      .filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'))
      .flatMap((statement) => statement.Resource as { 'Fn::GetAtt': [string, string] }[])
      .map((resource) => FUNCTIONS.find((spec) => logicalId(built.stack, built.stack.functions.get(spec.id)) === resource['Fn::GetAtt'][0])!.id)
      .sort();

    // Assert
    expect(invoked).toEqual(['plan-retention-sweep', 'record-retention-failure', 'sweep-retention-segment', 'write-retention-report']);
  });

  it('gives no function role StartExecution on the retention machine (the API and the sweep start request workflows only)', () => {
    // Act
    const starting = FUNCTIONS.filter((spec) =>
      roleStatements(built.template, logicalId(built.stack, built.stack.functions.get(spec.id).role!))
        .filter((statement) => actionsOf(statement).includes('states:StartExecution'))
        .some((statement) => JSON.stringify(statement.Resource).includes('dsr-retention')),
    );

    // Assert
    expect(starting.map((spec) => spec.id)).toEqual([]);
  });

  it('lets only the planner describe tables, exactly the swept ones (their ItemCount sizes the scan segments)', () => {
    // Act
    const describing = FUNCTIONS.map((spec) => ({
      id: spec.id,
      statements: roleStatements(built.template, logicalId(built.stack, built.stack.functions.get(spec.id).role!)).filter((statement) => actionsOf(statement).includes('dynamodb:DescribeTable')),
    })).filter(({ statements }) => statements.length > 0);

    // Assert
    expect(describing.map(({ id }) => id)).toEqual(['plan-retention-sweep']);
    const described = describing[0]!.statements.map((statement) => JSON.stringify(statement.Resource)).join(' ');
    for (const { store } of sweptStores().filter(({ store }) => store.kind === 'dynamodb-table')) {
      expect(described, store.id).toContain(logicalId(built.stack, (built.stack.stores.get(store.id) as TableStore).table));
    }
    expect(describing[0]!.statements.every((statement) => !JSON.stringify(statement.Resource).includes('/index/'))).toBe(true);
  });

  it('lets only the planner read whether the swept buckets keep versions without reading them (GetBucketVersioning, no object or listing)', () => {
    // Act
    const statements = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('plan-retention-sweep').role!));
    const recordings = logicalId(built.stack, (built.stack.stores.get('call-recordings') as BucketStore).bucket);

    // Assert
    const onRecordings = statements.filter((statement) => JSON.stringify(statement.Resource).includes(recordings));
    expect(onRecordings.flatMap(actionsOf)).toEqual(['s3:GetBucketVersioning']);
    expect(JSON.stringify(onRecordings.map((statement) => statement.Resource))).not.toContain('/*');
  });

  it('expires the work files of a run in the exports bucket after RETENTION_WORK_EXPIRY_DAYS', () => {
    // Act
    const exportsBucket = built.template.toJSON().Resources[logicalId(built.stack, (built.stack.stores.get('exports') as BucketStore).bucket)];

    // Assert
    expect(exportsBucket.Properties.LifecycleConfiguration.Rules).toContainEqual({ Id: 'expire-retention-work-files', Prefix: 'retention/', ExpirationInDays: RETENTION_WORK_EXPIRY_DAYS, Status: 'Enabled' });
  });

  it('alarms per swept store when records past their rule are still there after a run', () => {
    // Act
    const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.MetricName === 'RetentionRemaining');

    // Assert
    expect(alarms.map((alarm) => alarm.Properties.Dimensions).sort((left, right) => JSON.stringify(left).localeCompare(JSON.stringify(right)))).toEqual(
      sweptStores()
        .map(({ store }) => [{ Name: 'service', Value: 'dsr' }, { Name: 'store', Value: store.id }])
        .sort((left, right) => JSON.stringify(left).localeCompare(JSON.stringify(right))),
    );
    for (const alarm of alarms) expect(alarm.Properties).toMatchObject({ Namespace: 'DSR', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });
});
