import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { FUNCTIONS, resolveDetailFilter, type EventTrigger, type FunctionSpec } from '../functions/catalog';
import { AwsServiceError, startAwsJsonServer } from './aws-json-server';
import { LOCAL_ACCOUNT_ID, localFunctionName, type LambdaRuntime } from './lambda-runtime';

/**
 * A local EventBridge endpoint (AWS JSON 1.1, `AWSEvents.PutEvents`): each entry is appended as a JSON
 * line to `<dataDir>/events.jsonl` and delivered asynchronously to every catalog function whose trigger
 * `{ kind: 'event', bus?, source, detailType, detail? }` matches, like an EventBridge rule with a Lambda
 * target. Every local publisher reaches this one endpoint: a default-bus rule matches only events put
 * on the `default` bus (Step Functions status changes), a pipeline-bus rule matches events of any bus.
 * Queue rules (`queueRules`) send the matching events to local SQS queues, like a rule with an SQS target.
 */

/** One line of `<dataDir>/events.jsonl`. */
export interface LoggedEvent {
  id: string;
  time: string;
  eventBusName: string;
  source: string;
  detailType: string;
  detail: unknown;
  resources: string[];
}

/** Options of the local EventBridge endpoint. */
export interface EventBridgeServerOptions {
  /** Port on 127.0.0.1; 0 picks a free port. */
  port: number;
  region: string;
  dataDir: string;
  lambda: LambdaRuntime;
  /** Catalog whose event triggers are routed (defaults to `FUNCTIONS`). */
  functions?: readonly FunctionSpec[];
  /** ARNs that a trigger's `pipeline-state-machines` detail filter stands for. */
  stateMachineArns?: readonly string[];
  /** Rules with an SQS queue target (the Art. 19 recipients' channels), and the queues they send to. */
  queueRules?: readonly QueueRule[];
  queues?: { send(queueName: string, body: string): void };
  /** Receives delivery failures (function name and error name only). */
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

/** A rule whose target is an SQS queue: the event (the whole envelope, as EventBridge sends it) goes to `queueName`. */
export interface QueueRule {
  queueName: string;
  pattern: { source: readonly string[]; 'detail-type': readonly string[]; detail?: Record<string, readonly string[]> };
}

/** True when a queue rule's pattern matches the event: source, detail-type and each detail field. */
export function queueRuleMatches(rule: QueueRule, event: LoggedEvent): boolean {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  return (
    rule.pattern.source.includes(event.source) &&
    rule.pattern['detail-type'].includes(event.detailType) &&
    Object.entries(rule.pattern.detail ?? {}).every(([field, values]) => values.includes(detail[field] as string))
  );
}

/** A running local EventBridge endpoint. */
export interface EventBridgeServer {
  url: string;
  port: number;
  /** Puts events in-process, as PutEvents does (the local Step Functions publishes through it). */
  publish(entries: PutEventsRequestEntry[]): Promise<void>;
  /** Waits for the deliveries in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Path of the event log in a data directory. */
export function eventLogPath(dataDir: string): string {
  return join(dataDir, 'events.jsonl');
}

/** Every event put so far, oldest first (empty when none). */
export async function readEventLog(dataDir: string): Promise<LoggedEvent[]> {
  let text: string;
  try {
    text = await readFile(eventLogPath(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LoggedEvent);
}

/** True when an event trigger's rule matches the event: bus, source, detail-type and detail filter. */
export function triggerMatches(trigger: EventTrigger, event: LoggedEvent, stateMachineArns: readonly string[]): boolean {
  if (trigger.source !== event.source || trigger.detailType !== event.detailType) return false;
  if (trigger.bus === 'default' && event.eventBusName !== 'default') return false;
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  return Object.entries(resolveDetailFilter(trigger, stateMachineArns) ?? {}).every(([field, values]) => values.includes(detail[field] as string));
}

/** Starts the endpoint. */
export async function startEventBridgeServer(options: EventBridgeServerOptions): Promise<EventBridgeServer> {
  const logFile = eventLogPath(options.dataDir);
  await mkdir(dirname(logFile), { recursive: true });
  const functions = options.functions ?? FUNCTIONS;
  const deliveries = new Set<Promise<void>>();
  /** The event as EventBridge hands it to a target. */
  const envelope = (event: LoggedEvent) => ({
    version: '0',
    id: event.id,
    'detail-type': event.detailType,
    source: event.source,
    account: LOCAL_ACCOUNT_ID,
    time: event.time,
    region: options.region,
    resources: event.resources,
    detail: event.detail,
  });
  let writes: Promise<void> = Promise.resolve();

  const deliver = (event: LoggedEvent): void => {
    for (const rule of (options.queueRules ?? []).filter((candidate) => queueRuleMatches(candidate, event))) {
      try {
        options.queues?.send(rule.queueName, JSON.stringify(envelope(event)));
      } catch (error) {
        options.log?.('event delivery failed', { queueName: rule.queueName, eventId: event.id, errorName: (error as Error)?.name });
      }
    }
    const targets = functions.filter((spec) =>
      (spec.triggers ?? []).some((trigger) => trigger.kind === 'event' && triggerMatches(trigger, event, options.stateMachineArns ?? [])),
    );
    for (const spec of targets) {
      const name = localFunctionName(spec.id);
      const delivery = options.lambda
        .invoke(name, envelope(event))
        .then(
          () => undefined,
          (error: unknown) => options.log?.('event delivery failed', { functionName: name, eventId: event.id, errorName: (error as Error)?.name }),
        );
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
  };

  const putEvents = async (request: Record<string, unknown>): Promise<unknown> => {
    const entries = request.Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
      throw new AwsServiceError('ValidationException', 'Entries must hold between 1 and 10 entries');
    }
    const accepted: LoggedEvent[] = [];
    const results = entries.map((raw: Record<string, unknown>) => {
      const { Source, DetailType, Detail, EventBusName, Resources, Time } = raw ?? {};
      if (typeof Source !== 'string' || typeof DetailType !== 'string' || typeof Detail !== 'string') {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const event: LoggedEvent = {
        id: randomUUID(),
        time: new Date(typeof Time === 'number' ? Time * 1000 : Date.now()).toISOString(),
        eventBusName: typeof EventBusName === 'string' ? EventBusName : 'default',
        source: Source,
        detailType: DetailType,
        detail,
        resources: Array.isArray(Resources) ? Resources.map(String) : [],
      };
      accepted.push(event);
      return { EventId: event.id };
    });
    if (accepted.length > 0) {
      const lines = accepted.map((event) => `${JSON.stringify(event)}\n`).join('');
      const write = writes.then(() => appendFile(logFile, lines));
      writes = write.catch(() => undefined);
      await write;
      for (const event of accepted) deliver(event);
    }
    return { FailedEntryCount: entries.length - accepted.length, Entries: results };
  };

  const server = await startAwsJsonServer({
    port: options.port,
    targetPrefix: 'AWSEvents',
    contentType: 'application/x-amz-json-1.1',
    operations: { PutEvents: putEvents },
    onInternalError: (operation, error) => options.log?.('eventbridge endpoint error', { operation, errorName: (error as Error)?.name }),
  });

  const idle = async (): Promise<void> => {
    while (deliveries.size > 0) await Promise.allSettled([...deliveries]);
  };
  return {
    url: server.url,
    port: server.port,
    publish: async (entries) => {
      const result = (await putEvents({ Entries: entries })) as { FailedEntryCount: number };
      if (result.FailedEntryCount > 0) throw new Error(`${result.FailedEntryCount} event(s) rejected`);
    },
    idle,
    close: async () => {
      await server.close();
      await idle();
    },
  };
}
