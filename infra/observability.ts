import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pascalCase } from '../functions/catalog';
import { RETENTION_METRICS } from '../functions/core/retention/report';
import { sweptStores } from '../functions/core/retention/rules';
import { POWERTOOLS_SERVICE_NAME } from '../functions/core/settings';
import { UNACKNOWLEDGED_METRIC } from '../functions/core/notification-ledger';
import { DEADLINE_METRICS, type DsrSettings } from './settings';

/**
 * Alarms: open requests past (or close to) their GDPR deadline, failed workflow executions, and
 * failing scheduled functions (a silent deadline check would hide overdue requests).
 */

/** Properties of the observability construct. */
export interface DsrObservabilityProps {
  settings: DsrSettings;
  stateMachines: ReadonlyMap<string, sfn.StateMachine>;
  scheduledFunctions: readonly lambda.IFunction[];
  /** Alarms built elsewhere that notify the same topic (the recipients' dead-letter queues). */
  recipientAlarms?: readonly cloudwatch.Alarm[];
}

/** The pipeline's CloudWatch alarms. */
export class DsrObservability extends Construct {
  /** The overdue-requests alarm (past `dueAt`). */
  readonly overdueAlarm: cloudwatch.Alarm;
  /** Every alarm of the pipeline. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DsrObservabilityProps) {
    super(scope, id);
    const deadlineMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: DEADLINE_METRICS.namespace,
        metricName,
        dimensionsMap: { ...DEADLINE_METRICS.dimensions },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.days(1),
      });
    this.overdueAlarm = deadlineMetric(DEADLINE_METRICS.overdue).createAlarm(this, 'OverdueRequests', {
      alarmDescription: 'Open data-subject requests past their GDPR Art. 12(3) deadline (one month from receipt)',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(this.overdueAlarm);
    this.alarms.push(
      deadlineMetric(DEADLINE_METRICS.dueSoon).createAlarm(this, 'DueSoonRequests', {
        alarmDescription: 'Open data-subject requests due within 5 days (extend with a reason, or finish them)',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms.push(
      deadlineMetric(DEADLINE_METRICS.consentWithdrawals.overdue).createAlarm(this, 'OverdueConsentWithdrawals', {
        alarmDescription: 'Consent withdrawals (photo library) past their "as soon as possible" target (DSR_CONSENT_WITHDRAWAL_TARGET_HOURS after receipt)',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms.push(
      deadlineMetric(UNACKNOWLEDGED_METRIC).createAlarm(this, 'UnacknowledgedNotifications', {
        alarmDescription: 'Art. 19 notifications a recipient has not acknowledged within DSR_NOTIFICATION_ACK_DAYS (chase the processor; see docs/operations.md)',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      ...(props.recipientAlarms ?? []),
    );
    for (const [name, machine] of props.stateMachines) {
      this.alarms.push(
        machine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, `${name}ExecutionsFailed`, {
          alarmDescription: `Failed executions of the ${name} workflow (ops: inspect and redrive in the Step Functions console)`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    for (const [index, fn] of props.scheduledFunctions.entries()) {
      this.alarms.push(
        fn.metricErrors({ period: Duration.days(1), statistic: cloudwatch.Stats.SUM }).createAlarm(this, `ScheduledFunctionErrors${index}`, {
          alarmDescription: 'A scheduled DSR function (deadline check, status-event flush) failed',
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    // The retention sweep's verification: records past their rule still there after a run (held customers excluded).
    for (const { store } of sweptStores()) {
      const remaining = new cloudwatch.Metric({
        namespace: RETENTION_METRICS.namespace,
        metricName: RETENTION_METRICS.remaining,
        dimensionsMap: { service: POWERTOOLS_SERVICE_NAME, [RETENTION_METRICS.dimension]: store.id },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.days(1),
      });
      this.alarms.push(
        remaining.createAlarm(this, `RetentionRemaining${pascalCase(store.id)}`, {
          alarmDescription: `Records of ${store.id} past their retention rule are still there after the retention sweep (see the run report in the audit bucket, docs/operations.md)`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    if (props.settings.alarmTopicArn) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.settings.alarmTopicArn);
      for (const alarm of this.alarms) alarm.addAlarmAction(new actions.SnsAction(topic));
    }
  }
}
