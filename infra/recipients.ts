import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Recipient } from '../functions/core/data-map';
import { NOTIFIED_RECIPIENTS, recipientEventPattern, recipientQueueName } from '../functions/core/notify-recipients';
import type { DsrSettings } from './settings';

/**
 * The Art. 19 delivery channels, one per recipient the data map marks `notify`: an EventBridge rule on
 * the pipeline bus matching that recipient's notifications only, targeting its own SQS queue, with a
 * dead-letter queue for what the recipient fails to process (after `MAX_RECEIVES` receives) and for
 * what EventBridge fails to deliver. Queues are encrypted (SSE-SQS), refuse non-TLS requests, and only
 * the rule may send to them; the recipient's role (setting `recipientConsumers`) may only consume.
 */

/** Receives after which a message moves to the dead-letter queue. */
export const MAX_RECEIVES = 5;

/** How long a notification waits in a queue or its dead-letter queue (the SQS maximum). */
const RETENTION = Duration.days(14);

/** Properties of the recipient channels. */
export interface DsrRecipientsProps {
  settings: DsrSettings;
  eventBus: events.IEventBus;
  /** The recipients to build channels for (default: every notified recipient of the data map). */
  recipients?: readonly Recipient[];
}

/** One recipient's channel. */
export interface RecipientChannel {
  queue: sqs.Queue;
  deadLetterQueue: sqs.Queue;
  rule: events.Rule;
}

/** One rule, queue and dead-letter queue per notified recipient. */
export class DsrRecipients extends Construct {
  /** The channels by recipient id. */
  readonly byId = new Map<string, RecipientChannel>();
  /** One alarm per dead-letter queue: a notification that did not reach or was not processed by its recipient. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DsrRecipientsProps) {
    super(scope, id);
    const { settings } = props;
    for (const recipient of props.recipients ?? NOTIFIED_RECIPIENTS) {
      const name = recipientQueueName(settings.prefix, recipient.id);
      const deadLetterQueue = new sqs.Queue(this, `${recipient.id}-dlq`, {
        queueName: `${name}-dlq`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: RETENTION,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const queue = new sqs.Queue(this, recipient.id, {
        queueName: name,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: RETENTION,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: MAX_RECEIVES },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const pattern = recipientEventPattern(recipient.id);
      const rule = new events.Rule(this, `${recipient.id}-rule`, {
        eventBus: props.eventBus,
        description: `Art. 19 notifications of ${recipient.id} to its queue`,
        eventPattern: { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail },
        targets: [new targets.SqsQueue(queue, { deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) })],
      });
      const consumer = settings.recipientConsumers[recipient.id];
      if (consumer) queue.grantConsumeMessages(new iam.ArnPrincipal(consumer));
      this.alarms.push(
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }).createAlarm(this, `${recipient.id}-dlq-alarm`, {
          alarmDescription: `Art. 19 notifications of ${recipient.id} in its dead-letter queue ${name}-dlq (see docs/operations.md: redrive)`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      this.byId.set(recipient.id, { queue, deadLetterQueue, rule });
    }
  }
}
