import { describe, expect, it } from 'vitest';
import { getFunction, type EventTrigger } from '../../functions/catalog';
import { triggerMatches, type LoggedEvent } from '../../local/eventbridge-server';
import { statusChangeEntry, type ExecutionRecord } from '../../local/stepfunctions-server';

/** The local Step Functions status-change event (AWS shape, no execution data) and how the local EventBridge routes it. */

const EXPORT = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-export';
const ERASURE = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-erasure';
const TRIGGER = getFunction('reconcile-execution').triggers![0] as EventTrigger;

function execution(status: ExecutionRecord['status'], overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    executionArn: 'arn:aws:states:eu-west-1:000000000000:execution:dsr-export:r-1',
    stateMachineArn: EXPORT,
    name: 'r-1',
    status,
    startDate: 1_767_000_000_000,
    stopDate: 1_767_000_005_000,
    input: '{"requestId":"r-1","customerId":"cust-secret-42"}',
    output: '{"done":true}',
    ...overrides,
  };
}

function logged(detail: Record<string, unknown>, overrides: Partial<LoggedEvent> = {}): LoggedEvent {
  return {
    id: 'e-1',
    time: '2026-01-01T00:00:00.000Z',
    eventBusName: 'default',
    source: 'aws.states',
    detailType: 'Step Functions Execution Status Change',
    detail,
    resources: [],
    ...overrides,
  };
}

describe('statusChangeEntry', () => {
  it('is the AWS event on the default bus, dates in epoch milliseconds, without input or output', () => {
    // Act
    const entry = statusChangeEntry(execution('FAILED', { error: 'States.DataLimitExceeded', cause: 'too big' }));

    // Assert
    expect(entry).toMatchObject({ EventBusName: 'default', Source: 'aws.states', DetailType: 'Step Functions Execution Status Change', Resources: [execution('FAILED').executionArn] });
    expect(JSON.parse(entry.Detail!)).toEqual({
      executionArn: execution('FAILED').executionArn,
      stateMachineArn: EXPORT,
      name: 'r-1',
      status: 'FAILED',
      startDate: 1_767_000_000_000,
      stopDate: 1_767_000_005_000,
      input: null,
      inputDetails: { included: false },
      output: null,
      outputDetails: { included: false },
      error: 'States.DataLimitExceeded',
      cause: 'too big',
    });
    expect(entry.Detail).not.toContain('cust-secret-42');
  });

  it('has null error and cause for a SUCCEEDED execution', () => {
    expect(JSON.parse(statusChangeEntry(execution('SUCCEEDED')).Detail!)).toMatchObject({ status: 'SUCCEEDED', error: null, cause: null });
  });
});

describe('triggerMatches', () => {
  it.each(['FAILED', 'TIMED_OUT', 'ABORTED'])('routes a %s execution of a pipeline state machine to reconcile-execution', (status) => {
    expect(triggerMatches(TRIGGER, logged({ status, stateMachineArn: ERASURE }), [EXPORT, ERASURE])).toBe(true);
  });

  it('honours the detail filter and the default bus', () => {
    expect(triggerMatches(TRIGGER, logged({ status: 'SUCCEEDED', stateMachineArn: EXPORT }), [EXPORT, ERASURE])).toBe(false);
    expect(triggerMatches(TRIGGER, logged({ status: 'FAILED', stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:other' }), [EXPORT, ERASURE])).toBe(false);
    expect(triggerMatches(TRIGGER, logged({ status: 'FAILED', stateMachineArn: EXPORT }, { eventBusName: 'dsr-local' }), [EXPORT, ERASURE])).toBe(false);
  });

  it('keeps routing pipeline-bus triggers by source and detail-type', () => {
    const trigger = getFunction('deliver-callback').triggers![0] as EventTrigger;

    expect(triggerMatches(trigger, logged({}, { eventBusName: 'dsr-local', source: 'dsr.request', detailType: 'Request Status Changed' }), [])).toBe(true);
    expect(triggerMatches(trigger, logged({}, { eventBusName: 'dsr-local', source: 'dsr.request', detailType: 'Other' }), [])).toBe(false);
  });
});
