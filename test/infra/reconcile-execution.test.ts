import { beforeAll, describe, expect, it } from 'vitest';
import { getFunction } from '../../functions/catalog';
import { WORKFLOWS } from '../../functions/core/settings';
import { FIXTURE_CATALOG } from './fixtures/catalog';
import { actionsOf, buildStack, logicalId, nagFindings, roleReachMismatches, roleStatements, type Built } from './helpers';

/** The stuck-request reconciler: a default-bus rule on the pipeline's failed executions, and a role that reaches only the ledger (and its key), the bus and ListExecutions. */

const CATALOG = [...FIXTURE_CATALOG, getFunction('reconcile-execution')];

/** The `{ "Fn::Join": ... }` ARN of a fixed-name state machine, as the stack formats it. */
function stateMachineArn(name: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:stateMachine:${name}`]] };
}

/** The ARNs of the request workflows' state machines (`WORKFLOWS` without a schedule), in declaration order. */
const PIPELINE_MACHINES = WORKFLOWS.filter((workflow) => !('schedule' in workflow)).map((workflow) => stateMachineArn(`dsr-${workflow.name}`));

describe('reconcile-execution', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack({ catalog: CATALOG });
  });

  it('is invoked by a rule on the default bus for FAILED, TIMED_OUT and ABORTED executions of the pipeline\'s state machines', () => {
    // Act
    const rules = built.template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.states'] } } });

    // Assert
    expect(Object.values(rules)).toHaveLength(1);
    const rule = Object.values(rules)[0]!.Properties;
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: PIPELINE_MACHINES },
    });
    expect(rule.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalId(built.stack, built.stack.functions.get('reconcile-execution')), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 4 } }),
    ]);
    built.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(built.stack, built.stack.functions.get('reconcile-execution')), 'Arn'] },
    });
  });

  it('keeps the pipeline-bus rules on the pipeline bus', () => {
    // Assert
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(built.stack, built.stack.node.findChild('Bus')) },
      EventPattern: { source: ['dsr.request'], 'detail-type': ['Request Status Changed'] },
    });
  });

  it('lets its role read and write the ledger (no delete, no secret), put events on the pipeline bus and list executions of the pipeline\'s state machines, nothing more', () => {
    // Act
    const statements = roleStatements(built.template, logicalId(built.stack, built.stack.functions.get('reconcile-execution').role!));
    const states = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('states:')));
    const events = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('events:')));

    // Assert
    expect(roleReachMismatches(built, CATALOG)).toEqual([]);
    expect(states).toEqual([expect.objectContaining({ Action: 'states:ListExecutions', Resource: PIPELINE_MACHINES })]);
    expect(events).toEqual([expect.objectContaining({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [logicalId(built.stack, built.stack.node.findChild('Bus')), 'Arn'] } })]);
    const services = new Set(statements.flatMap(actionsOf).map((action) => action.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'events', 'kms', 'logs', 'states', 'xray']);
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:DeleteItem');
  });

  it('adds no unacknowledged cdk-nag finding', () => {
    // Act
    const findings = nagFindings(built.app);

    // Assert
    expect(findings).toEqual([]);
  });
});
