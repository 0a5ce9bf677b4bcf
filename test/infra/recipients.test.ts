import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog';
import { NOTIFIED_RECIPIENTS } from '../../functions/core/notify-recipients';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { MAX_RECEIVES } from '../../infra/recipients';
import { actionsOf, buildStack, logicalId, nagFindings, roleStatements, type Built } from './helpers';

/** The Art. 19 channels: per notified recipient one rule on the pipeline bus, one queue, one dead-letter queue, least privilege. */

const ESP = 'email-marketing-provider';
const META = 'meta-custom-audiences';
const CONSUMER = 'arn:aws:iam::111122223333:role/esp-worker';

describe('recipient channels', () => {
  let built: Built;

  beforeAll(() => {
    built = buildStack({ settings: { recipientConsumers: { [ESP]: CONSUMER } } });
  });

  it('builds one queue and one dead-letter queue per notified recipient, encrypted and named after it', () => {
    // Act
    const queues = built.template.findResources('AWS::SQS::Queue');

    // Assert
    const names = Object.values(queues).map((queue) => queue.Properties.QueueName as string).sort();
    expect(NOTIFIED_RECIPIENTS.map((recipient) => recipient.id)).toEqual([ESP, META]);
    expect(names).toEqual([`dsr-recipient-${ESP}`, `dsr-recipient-${ESP}-dlq`, `dsr-recipient-${META}`, `dsr-recipient-${META}-dlq`]);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 86_400);
    }
    for (const id of [ESP, META]) {
      const channel = built.stack.recipients.byId.get(id)!;
      built.template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `dsr-recipient-${id}`,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(built.stack, channel.deadLetterQueue), 'Arn'] }, maxReceiveCount: MAX_RECEIVES },
      });
    }
  });

  it('routes each recipient\'s notifications only to its own queue, with the dead-letter queue for failed deliveries', () => {
    // Act
    const rules = Object.values(built.template.findResources('AWS::Events::Rule')).filter((rule) => JSON.stringify(rule.Properties.EventPattern ?? {}).includes('dsr.recipient'));

    // Assert
    expect(rules).toHaveLength(2);
    for (const id of [ESP, META]) {
      const channel = built.stack.recipients.byId.get(id)!;
      built.template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.anyValue(),
        EventPattern: { source: ['dsr.recipient'], 'detail-type': ['Recipient Notification'], detail: { recipientId: [id] } },
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(built.stack, channel.queue), 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(built.stack, channel.deadLetterQueue), 'Arn'] } },
          }),
        ],
      });
    }
  });

  it('lets only its rule send to a queue, refuses non-TLS requests, and lets the configured consumer only consume', () => {
    // Arrange
    const channel = built.stack.recipients.byId.get(ESP)!;
    const queueId = logicalId(built.stack, channel.queue);

    // Act
    const policies = Object.values(built.template.findResources('AWS::SQS::QueuePolicy')).filter((policy) =>
      (policy.Properties.Queues as { Ref: string }[]).some((queue) => queue.Ref === queueId),
    );

    // Assert
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Principal: unknown; Condition?: unknown }[]);
    expect(statements.find((statement) => statement.Effect === 'Deny')).toMatchObject({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    const send = statements.filter((statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Action).includes('sqs:SendMessage'));
    expect(send).toEqual([
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(built.stack, channel.rule), 'Arn'] } } } }),
    ]);
    const consume = statements.filter((statement) => JSON.stringify(statement.Principal).includes(CONSUMER));
    expect(consume).toHaveLength(1);
    expect([consume[0]!.Action].flat().sort()).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage']);
    expect(statements.filter((statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Action).includes('sqs:*'))).toEqual([]);
  });

  it('alarms on a message in any dead-letter queue and on unacknowledged notifications', () => {
    // Act
    const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm'));

    // Assert
    const dlqAlarms = alarms.filter((alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms).toHaveLength(2);
    expect(alarms.filter((alarm) => alarm.Properties.MetricName === 'UnacknowledgedNotifications')).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ Namespace: 'DSR', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }) }),
    ]);
  });

  it('lets the notifier only put events on the pipeline bus and the acknowledgement check only read the ledger, neither touching a queue', () => {
    // Arrange
    const real = buildStack({ catalog: FUNCTIONS, stateMachinesDir: path.join(PROJECT_ROOT, 'statemachines') });
    const statementsOf = (id: string) => roleStatements(real.template, logicalId(real.stack, real.stack.functions.get(id).role!));

    // Act
    const notifier = statementsOf('notify-processors');
    const checker = statementsOf('check-acknowledgements');

    // Assert
    const notifierActions = notifier.flatMap(actionsOf);
    expect(notifier.filter((statement) => actionsOf(statement).includes('events:PutEvents')).map((statement) => JSON.stringify(statement.Resource))).toEqual([
      expect.stringContaining(logicalId(real.stack, real.stack.node.findChild('Bus'))),
    ]);
    expect(notifierActions.filter((action) => /^(sqs|secretsmanager):/.test(action) || action === 'dynamodb:DeleteItem')).toEqual([]);
    const checkerActions = checker.flatMap(actionsOf);
    expect(checkerActions.filter((action) => /^(sqs|events|secretsmanager):/.test(action) || ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].includes(action))).toEqual([]);
    expect(checkerActions).toContain('dynamodb:Query');
  });

  it('is cdk-nag clean', () => {
    // Act
    const findings = nagFindings(built.app).filter((finding) => finding.includes('/Recipients/'));

    // Assert
    expect(findings).toEqual([]);
  });
});
