import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../functions/shared/clients';
import { requestDenial, runAs } from './iam-enforcement';
import { LOCAL_ACCOUNT_ID } from './lambda-runtime';
import type { HistoryEventDraft } from './stepfunctions-history';

/**
 * Distributed Map for the local Step Functions endpoint. aws-local-stepfunctions runs JSONPath ASL but
 * knows no ItemReader, ItemBatcher, ResultWriter or child executions, so each Map state whose
 * `ItemProcessor.ProcessorConfig.Mode` is `DISTRIBUTED` is rewritten, when the definition is loaded,
 * into a Task state of a local-only resource (`MAP_RUN_RESOURCE`) that keeps the Map's InputPath,
 * ResultSelector, ResultPath, OutputPath, Retry, Catch and Next/End, and whose Parameters gather the
 * Map's own JSONPath fields (ItemReader.Parameters, ItemsPath, ItemBatcher.BatchInput,
 * ResultWriter.Parameters, MaxConcurrencyPath), so the library evaluates them against the Map's
 * effective input as AWS does. The Task's local handler is `runMapRun`: it reads the items from the S3
 * JSON array as the state machine's role (s3:GetObject), groups them in batches
 * (`{ "Items": [...], "BatchInput": {...} }`), runs each batch as a child execution of the
 * ItemProcessor (its own state machine `<machine>/<label>`, execution name `<mapRunId>:<n>`, its own
 * history and quotas; states:StartExecution on the parent machine is checked) with at most
 * MaxConcurrency at once, fails with `States.ExceedToleratedFailureThreshold` once more items failed
 * than tolerated (stopping the children still running), writes `<Prefix>/<mapRunId>/manifest.json`
 * and `SUCCEEDED_0.json` / `FAILED_0.json` / `PENDING_0.json` (s3:PutObject), and returns
 * `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }` (or the children's outputs without a
 * ResultWriter). The parent's history gets MapStateEntered, MapStateStarted, MapRunStarted,
 * MapRunSucceeded / MapRunFailed, MapStateSucceeded / MapStateFailed and MapStateExited. Any field the
 * local runtime does not implement is refused when the definition loads, naming the field.
 */

/** Resource of the Task state that stands in for a Distributed Map (never in a deployed definition). */
export const MAP_RUN_RESOURCE = 'arn:aws:states:::local:distributedMapRun';
/** AWS: a Distributed Map runs at most 10,000 child executions at once (MaxConcurrency 0 = that). */
const MAX_CHILD_CONCURRENCY = 10_000;
/** AWS: the default and the largest MaxInputBytesPerBatch. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * A Map state has no timeout, but the library gives a Task without TimeoutSeconds 60 s: the stand-in
 * gets the longest a Node timer can wait (about 24.8 days).
 */
const NO_TIMEOUT_SECONDS = Math.floor(2 ** 31 / 1000) - 1;
/** Fields a DISTRIBUTED Map may have locally; anything else is refused. */
const MAP_FIELDS = new Set([
  'Type', 'Comment', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Retry', 'Catch', 'Next', 'End', 'Label',
  'ItemsPath', 'ItemReader', 'ItemBatcher', 'ItemProcessor', 'MaxConcurrency', 'MaxConcurrencyPath',
  'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ToleratedFailureCount', 'ToleratedFailureCountPath', 'ResultWriter',
]);
const READER_FIELDS = new Set(['Resource', 'ReaderConfig', 'Parameters']);
const READER_CONFIG_FIELDS = new Set(['InputType', 'MaxItems']);
const BATCHER_FIELDS = new Set(['MaxItemsPerBatch', 'MaxInputBytesPerBatch', 'BatchInput']);
const WRITER_FIELDS = new Set(['Resource', 'Parameters']);
const PROCESSOR_CONFIG_FIELDS = new Set(['Mode', 'ExecutionType']);

/** A state of an ASL definition, as far as this module reads it. */
type AslState = Record<string, unknown> & { Type: string };
/** An ASL definition or branch. */
export interface AslStates {
  StartAt: string;
  States: Record<string, AslState>;
  [field: string]: unknown;
}

/** What a map run needs to know of one Distributed Map state (its JSONPath fields are in the Task's Parameters). */
export interface DistributedMapSpec {
  stateName: string;
  /** The Map Run label: `Label`, else the state name with characters an ARN cannot hold replaced by `-`. */
  label: string;
  /** The ItemProcessor as a definition of its own (the child executions' state machine). */
  processor: AslStates;
  reader?: { maxItems?: number };
  batcher?: { maxItemsPerBatch?: number; maxInputBytesPerBatch: number; batchInput: boolean };
  writer: boolean;
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
}

/** The Task Parameters the library evaluates for a map run (the Map's JSONPath fields, resolved). */
interface MapRunParameters {
  reader?: { Bucket?: unknown; Key?: unknown; VersionId?: unknown };
  items?: unknown;
  batchInput?: unknown;
  writer?: { Bucket?: unknown; Prefix?: unknown };
  maxConcurrency?: unknown;
  toleratedFailurePercentage?: unknown;
  toleratedFailureCount?: unknown;
}

/** A Map state error, with the AWS error name the Map's Retry and Catch match. */
export class MapRunError extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/**
 * Replaces every DISTRIBUTED Map (in the top level, Parallel branches and inline Map processors) by a
 * map-run Task; returns the rewritten definition and the specs by state name. Throws, naming the state
 * and the field, for anything the local runtime cannot run faithfully.
 */
export function extractDistributedMaps<T extends AslStates>(definition: T, file: string): { definition: T; maps: Map<string, DistributedMapSpec> } {
  const maps = new Map<string, DistributedMapSpec>();
  const rewrite = (states: AslStates): AslStates => ({
    ...states,
    States: Object.fromEntries(
      Object.entries(states.States).map(([name, state]) => {
        if (state.Type === 'Parallel') return [name, { ...state, Branches: (state.Branches as AslStates[]).map(rewrite) }];
        if (state.Type !== 'Map') return [name, state];
        const processorKey = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
        const processor = state[processorKey] as (AslStates & { ProcessorConfig?: Record<string, unknown> }) | undefined;
        if (processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') return [name, processor ? { ...state, [processorKey]: rewrite(processor) } : state];
        const spec = distributedMapSpec(name, state, processor, `${file}: state "${name}" (Map, DISTRIBUTED)`);
        if (maps.has(name)) throw new Error(`${file}: two Distributed Map states are named "${name}"; the local runtime needs unique names`);
        maps.set(name, spec);
        return [name, mapRunTask(state)];
      }),
    ),
  });
  return { definition: rewrite(definition) as T, maps };
}

function refuseUnknown(value: unknown, allowed: Set<string>, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must be an object`);
  for (const field of Object.keys(value)) {
    if (!allowed.has(field)) throw new Error(`${where}: field ${field} is not supported by the local Distributed Map (supported: ${[...allowed].join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function optionalInteger(value: unknown, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw new Error(`${where} must be an integer from ${min} to ${max}`);
  return value as number;
}

function distributedMapSpec(name: string, state: AslState, processor: AslStates & { ProcessorConfig?: Record<string, unknown> }, where: string): DistributedMapSpec {
  refuseUnknown(state, MAP_FIELDS, where);
  const config = refuseUnknown(processor.ProcessorConfig, PROCESSOR_CONFIG_FIELDS, `${where} ItemProcessor.ProcessorConfig`);
  if ((config.ExecutionType ?? 'STANDARD') !== 'STANDARD') {
    throw new Error(`${where}: field ItemProcessor.ProcessorConfig.ExecutionType ${String(config.ExecutionType)} is not supported by the local Distributed Map (only STANDARD child executions)`);
  }
  let reader: DistributedMapSpec['reader'];
  if (state.ItemReader !== undefined) {
    if (state.ItemsPath !== undefined) throw new Error(`${where}: field ItemsPath cannot be used with ItemReader locally`);
    const itemReader = refuseUnknown(state.ItemReader, READER_FIELDS, `${where} ItemReader`);
    if (itemReader.Resource !== 'arn:aws:states:::s3:getObject') {
      throw new Error(`${where}: field ItemReader.Resource ${String(itemReader.Resource)} is not supported by the local Distributed Map (only arn:aws:states:::s3:getObject)`);
    }
    const readerConfig = refuseUnknown(itemReader.ReaderConfig ?? {}, READER_CONFIG_FIELDS, `${where} ItemReader.ReaderConfig`);
    if (readerConfig.InputType !== 'JSON') {
      throw new Error(`${where}: field ItemReader.ReaderConfig.InputType ${String(readerConfig.InputType)} is not supported by the local Distributed Map (only JSON)`);
    }
    refuseUnknown(itemReader.Parameters, new Set(['Bucket', 'Bucket.$', 'Key', 'Key.$', 'VersionId', 'VersionId.$']), `${where} ItemReader.Parameters`);
    reader = { maxItems: optionalInteger(readerConfig.MaxItems, `${where} ItemReader.ReaderConfig.MaxItems`, 1, 100_000_000) };
  }
  let batcher: DistributedMapSpec['batcher'];
  if (state.ItemBatcher !== undefined) {
    const itemBatcher = refuseUnknown(state.ItemBatcher, BATCHER_FIELDS, `${where} ItemBatcher`);
    const maxItemsPerBatch = optionalInteger(itemBatcher.MaxItemsPerBatch, `${where} ItemBatcher.MaxItemsPerBatch`, 1);
    const maxInputBytesPerBatch = optionalInteger(itemBatcher.MaxInputBytesPerBatch, `${where} ItemBatcher.MaxInputBytesPerBatch`, 1, MAX_BATCH_BYTES) ?? MAX_BATCH_BYTES;
    batcher = { maxItemsPerBatch, maxInputBytesPerBatch, batchInput: itemBatcher.BatchInput !== undefined };
  }
  if (state.ResultWriter !== undefined) {
    const resultWriter = refuseUnknown(state.ResultWriter, WRITER_FIELDS, `${where} ResultWriter`);
    if (resultWriter.Resource !== 'arn:aws:states:::s3:putObject') {
      throw new Error(`${where}: field ResultWriter.Resource ${String(resultWriter.Resource)} is not supported by the local Distributed Map (only arn:aws:states:::s3:putObject)`);
    }
    refuseUnknown(resultWriter.Parameters, new Set(['Bucket', 'Bucket.$', 'Prefix', 'Prefix.$']), `${where} ResultWriter.Parameters`);
  }
  const { ProcessorConfig: _config, ...definition } = processor;
  return {
    stateName: name,
    label: typeof state.Label === 'string' ? state.Label : name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40),
    processor: definition,
    reader,
    batcher,
    writer: state.ResultWriter !== undefined,
    maxConcurrency: optionalInteger(state.MaxConcurrency, `${where} MaxConcurrency`, 0),
    toleratedFailurePercentage: optionalInteger(state.ToleratedFailurePercentage, `${where} ToleratedFailurePercentage`, 0, 100),
    toleratedFailureCount: optionalInteger(state.ToleratedFailureCount, `${where} ToleratedFailureCount`, 0),
  };
}

/** The Task state standing in for a Distributed Map: the Map's paths, retriers and catchers, its JSONPath fields as Parameters. */
function mapRunTask(state: AslState): AslState {
  const reader = state.ItemReader as { Parameters?: unknown } | undefined;
  const parameters: Record<string, unknown> = {
    ...(reader ? { reader: reader.Parameters } : { 'items.$': state.ItemsPath ?? '$' }),
    ...((state.ItemBatcher as { BatchInput?: unknown } | undefined)?.BatchInput !== undefined ? { batchInput: (state.ItemBatcher as { BatchInput: unknown }).BatchInput } : {}),
    ...(state.ResultWriter ? { writer: (state.ResultWriter as { Parameters: unknown }).Parameters } : {}),
    ...(state.MaxConcurrencyPath ? { 'maxConcurrency.$': state.MaxConcurrencyPath } : {}),
    ...(state.ToleratedFailurePercentagePath ? { 'toleratedFailurePercentage.$': state.ToleratedFailurePercentagePath } : {}),
    ...(state.ToleratedFailureCountPath ? { 'toleratedFailureCount.$': state.ToleratedFailureCountPath } : {}),
  };
  const kept = ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End'];
  return { Type: 'Task', Resource: MAP_RUN_RESOURCE, Parameters: parameters, TimeoutSeconds: NO_TIMEOUT_SECONDS, ...Object.fromEntries(kept.filter((field) => field in state).map((field) => [field, state[field]])) };
}

/** The state machine name of a Distributed Map's child executions (`dsr-retention/Sweep-Segments`). */
export function childMachineName(parentMachine: string, spec: DistributedMapSpec): string {
  return `${parentMachine}/${spec.label}`;
}

/** Status counts of a Map Run's items or child executions (DescribeMapRun). */
export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
}

/** A Map Run as DescribeMapRun shows it (times in epoch milliseconds). */
export interface MapRunRecord {
  mapRunArn: string;
  executionArn: string;
  stateMachineArn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: MapRunCounts;
  executionCounts: MapRunCounts;
}

/** A child execution that ended (times in epoch milliseconds). */
export interface ChildOutcome {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** What the local Step Functions endpoint gives a map run. */
export interface MapRunHost {
  region: string;
  /** The parent state machine's name; its role is the principal of every call of the map run. */
  machineName: string;
  /** The parent execution. */
  executionArn: string;
  /** Records a history event of the parent execution. */
  record(draft: HistoryEventDraft): void;
  /** Registers the Map Run (ListMapRuns, DescribeMapRun); the record is updated in place. */
  register(run: MapRunRecord): void;
  /** Starts a child execution of the processor; resolves when it has ended. Throws when the start is refused. */
  runChild(name: string, input: string, mapRunArn: string): { executionArn: string; ended: Promise<ChildOutcome> };
  /** Stops a running child execution (ABORTED). */
  stopChild(executionArn: string): void;
  /** Aborted when the parent execution has ended. */
  signal: AbortSignal;
}

/** Runs one Map Run of a Distributed Map state on the evaluated Parameters; the Task's result. */
export async function runMapRun(spec: DistributedMapSpec, parameters: MapRunParameters, host: MapRunHost): Promise<unknown> {
  const principal = `stateMachine:${host.machineName}`;
  const mapRunId = randomUUID();
  const mapRunArn = `arn:aws:states:${host.region}:${LOCAL_ACCOUNT_ID}:mapRun:${host.machineName}/${spec.label}:${mapRunId}`;
  const parentMachineArn = `arn:aws:states:${host.region}:${LOCAL_ACCOUNT_ID}:stateMachine:${host.machineName}`;
  const maxConcurrency = runtimeInteger(parameters.maxConcurrency, spec.maxConcurrency ?? 0, 'MaxConcurrencyPath');
  // Each threshold applies when it is given; with neither, no failure is tolerated.
  const countGiven = parameters.toleratedFailureCount !== undefined || spec.toleratedFailureCount !== undefined;
  const percentageGiven = parameters.toleratedFailurePercentage !== undefined || spec.toleratedFailurePercentage !== undefined || !countGiven;
  const toleratedPercentage = runtimeInteger(parameters.toleratedFailurePercentage, spec.toleratedFailurePercentage ?? 0, 'ToleratedFailurePercentagePath');
  const toleratedCount = runtimeInteger(parameters.toleratedFailureCount, spec.toleratedFailureCount ?? 0, 'ToleratedFailureCountPath');

  const items = await readItems(spec, parameters, principal);
  const batches = batchesOf(spec, items, parameters.batchInput);
  const counts = (): MapRunCounts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0 });
  const run: MapRunRecord = {
    mapRunArn,
    executionArn: host.executionArn,
    stateMachineArn: parentMachineArn,
    status: 'RUNNING',
    startDate: Date.now(),
    maxConcurrency,
    toleratedFailurePercentage: toleratedPercentage,
    toleratedFailureCount: toleratedCount,
    itemCounts: { ...counts(), pending: items.length, total: items.length },
    executionCounts: { ...counts(), pending: batches.length, total: batches.length },
  };
  host.register(run);
  host.record({ type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn } });

  const outcomes: (ChildOutcome | undefined)[] = new Array(batches.length);
  const running = new Set<string>();
  let failure: MapRunError | undefined;
  let failedItems = 0;
  let next = 0;
  const exceeded = (): boolean =>
    (countGiven && failedItems > toleratedCount) || (percentageGiven && items.length > 0 && (failedItems * 100) / items.length > toleratedPercentage);
  const stop = (error: MapRunError): void => {
    failure ??= error;
    for (const arn of running) host.stopChild(arn);
  };
  host.signal.addEventListener('abort', () => stop(new MapRunError('States.Runtime', 'The execution ended; the Map Run was aborted')), { once: true });
  const worker = async (): Promise<void> => {
    while (!failure && next < batches.length) {
      const index = next++;
      const batch = batches[index]!;
      const denial = await runAs(principal, () => requestDenial({ action: 'states:StartExecution', resource: parentMachineArn }));
      if (denial) return stop(new MapRunError('States.Runtime', `The Map Run could not start its child executions: ${denial}`));
      let child: ReturnType<MapRunHost['runChild']>;
      try {
        child = host.runChild(`${mapRunId}:${index}`, JSON.stringify(batch.input), mapRunArn);
      } catch (error) {
        return stop(new MapRunError('States.Runtime', `The Map Run could not start child execution ${index}: ${(error as Error).message}`));
      }
      running.add(child.executionArn);
      move(run, batch.items, 'pending', 'running');
      const outcome = await child.ended;
      running.delete(child.executionArn);
      outcomes[index] = outcome;
      const status = outcome.status === 'SUCCEEDED' ? 'succeeded' : outcome.status === 'FAILED' ? 'failed' : outcome.status === 'TIMED_OUT' ? 'timedOut' : 'aborted';
      move(run, batch.items, 'running', status);
      if (outcome.status !== 'SUCCEEDED' && !failure) {
        failedItems += batch.items;
        if (exceeded()) stop(new MapRunError('States.ExceedToleratedFailureThreshold', 'The Map Run failed: more items failed than ToleratedFailurePercentage/ToleratedFailureCount allow'));
      }
    }
  };
  const workers = Math.min(maxConcurrency === 0 ? MAX_CHILD_CONCURRENCY : maxConcurrency, Math.max(batches.length, 1));
  await Promise.all(Array.from({ length: workers }, worker));

  let output: unknown = outcomes.map((outcome) => (outcome?.output === undefined ? null : JSON.parse(outcome.output)));
  if (spec.writer) {
    try {
      output = await writeResults(parameters.writer ?? {}, mapRunId, mapRunArn, batches, outcomes, principal);
      run.itemCounts.resultsWritten = items.length;
      run.executionCounts.resultsWritten = batches.length;
    } catch (error) {
      failure ??= new MapRunError('States.ResultWriterFailed', `The Map Run could not write its results: ${(error as Error).name}: ${(error as Error).message}`);
    }
  }
  run.stopDate = Date.now();
  if (failure) {
    run.status = host.signal.aborted ? 'ABORTED' : 'FAILED';
    host.record({ type: 'MapRunFailed', mapRunFailedEventDetails: { error: failure.name, cause: failure.message } });
    throw failure;
  }
  run.status = 'SUCCEEDED';
  host.record({ type: 'MapRunSucceeded' });
  return output;
}

/** An integer from a `...Path` field at run time, else the literal; a bad value fails the Map (States.Runtime). */
function runtimeInteger(value: unknown, literal: number, field: string): number {
  if (value === undefined) return literal;
  if (!Number.isInteger(value) || (value as number) < 0) throw new MapRunError('States.Runtime', `${field} must select a non-negative integer, got ${JSON.stringify(value)}`);
  return value as number;
}

function move(run: MapRunRecord, items: number, from: keyof MapRunCounts, to: keyof MapRunCounts): void {
  run.itemCounts[from] -= items;
  run.itemCounts[to] += items;
  run.executionCounts[from] -= 1;
  run.executionCounts[to] += 1;
}

/** The items: the S3 JSON array (as the machine's role), or the array ItemsPath selected. */
async function readItems(spec: DistributedMapSpec, parameters: MapRunParameters, principal: string): Promise<unknown[]> {
  if (!spec.reader) {
    if (!Array.isArray(parameters.items)) throw new MapRunError('States.Runtime', 'ItemsPath must select an array');
    return parameters.items;
  }
  const { Bucket, Key, VersionId } = parameters.reader ?? {};
  let text: string;
  try {
    const object = await runAs(principal, () =>
      s3Client().send(new GetObjectCommand({ Bucket: String(Bucket), Key: String(Key), VersionId: VersionId === undefined ? undefined : String(VersionId) })),
    );
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    throw new MapRunError('States.ItemReaderFailed', `The ItemReader could not read s3://${String(Bucket)}: ${(error as Error).name}: ${(error as Error).message}`);
  }
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    throw new MapRunError('States.ItemReaderFailed', 'The ItemReader object is not valid JSON');
  }
  if (!Array.isArray(items)) throw new MapRunError('States.ItemReaderFailed', 'The ItemReader object is not a JSON array');
  return spec.reader.maxItems === undefined ? items : items.slice(0, spec.reader.maxItems);
}

/** One child execution's input and the number of items it carries. */
interface Batch {
  input: unknown;
  items: number;
}

/** Each item alone, or batches of MaxItemsPerBatch items under MaxInputBytesPerBatch: `{ Items, BatchInput }`. */
function batchesOf(spec: DistributedMapSpec, items: unknown[], batchInput: unknown): Batch[] {
  if (!spec.batcher) return items.map((item) => ({ input: item, items: 1 }));
  const { maxItemsPerBatch = Number.MAX_SAFE_INTEGER, maxInputBytesPerBatch } = spec.batcher;
  const envelope = (batch: unknown[]) => (spec.batcher!.batchInput ? { Items: batch, BatchInput: batchInput } : { Items: batch });
  const batches: Batch[] = [];
  let current: unknown[] = [];
  for (const item of items) {
    const candidate = [...current, item];
    const fits = candidate.length <= maxItemsPerBatch && Buffer.byteLength(JSON.stringify(envelope(candidate))) <= maxInputBytesPerBatch;
    if (fits || current.length === 0) current = candidate;
    else {
      batches.push({ input: envelope(current), items: current.length });
      current = [item];
    }
  }
  if (current.length > 0) batches.push({ input: envelope(current), items: current.length });
  return batches;
}

/** The ResultWriter's files in the AWS layout, manifest last; the Map's output. */
async function writeResults(
  writer: NonNullable<MapRunParameters['writer']>,
  mapRunId: string,
  mapRunArn: string,
  batches: Batch[],
  outcomes: (ChildOutcome | undefined)[],
  principal: string,
): Promise<unknown> {
  const bucket = String(writer.Bucket);
  const prefix = writer.Prefix === undefined || writer.Prefix === '' ? '' : `${String(writer.Prefix).replace(/\/+$/, '')}/`;
  const base = `${prefix}${mapRunId}/`;
  const groups: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', unknown[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  batches.forEach((batch, index) => {
    const outcome = outcomes[index];
    if (!outcome) groups.PENDING.push({ Input: JSON.stringify(batch.input), InputDetails: { Included: true } });
    else groups[outcome.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED'].push(resultEntry(outcome));
  });
  const put = (key: string, body: string) =>
    runAs(principal, () => s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' })));
  const resultFiles: Record<string, { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  for (const [status, entries] of Object.entries(groups)) {
    if (entries.length === 0) continue;
    const key = `${base}${status}_0.json`;
    const body = JSON.stringify(entries);
    await put(key, body);
    resultFiles[status]!.push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${base}manifest.json`;
  await put(manifestKey, JSON.stringify({ DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: resultFiles }));
  return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
}

/** One child execution in a result file, in the AWS shape. */
function resultEntry(outcome: ChildOutcome): Record<string, unknown> {
  return {
    ExecutionArn: outcome.executionArn,
    Input: outcome.input,
    InputDetails: { Included: true },
    Name: outcome.name,
    ...(outcome.status === 'SUCCEEDED' ? { Output: outcome.output, OutputDetails: { Included: true } } : { Error: outcome.error, Cause: outcome.cause }),
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    StartDate: new Date(outcome.startDate).toISOString(),
    StateMachineArn: outcome.stateMachineArn,
    Status: outcome.status,
    StopDate: outcome.stopDate === undefined ? undefined : new Date(outcome.stopDate).toISOString(),
  };
}
