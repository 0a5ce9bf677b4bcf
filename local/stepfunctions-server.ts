import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { substitutionsFor } from '../functions/catalog';
import { EXECUTION_EVENT_SOURCE, EXECUTION_STATUS_CHANGE_DETAIL_TYPE } from '../functions/core/reconcile-execution';
import { AwsServiceError, epochSeconds, startAwsJsonServer, type AwsJsonServer } from './aws-json-server';
import { childMachineName, extractDistributedMaps, MAP_RUN_RESOURCE, runMapRun, type AslStates, type ChildOutcome, type DistributedMapSpec, type MapRunRecord } from './distributed-map';
import { runAs, stateMachinePrincipal } from './iam-enforcement';
import { LambdaInvokeError, LOCAL_ACCOUNT_ID, type LambdaRuntime } from './lambda-runtime';
import { toHistoryEvents, type HistoryEventDraft, type LibraryEvent } from './stepfunctions-history';

/**
 * A local Step Functions endpoint (AWS JSON 1.0, `AWSStepFunctions.*`) that runs the
 * `statemachines/*.asl.json` workflows with aws-local-stepfunctions. Lambda tasks run in-process
 * through the local Lambda runtime. Executions and their histories are kept as JSON files under
 * `<dataDir>/stepfunctions/` and survive a restart; one still RUNNING when the runtime stopped is
 * marked ABORTED on the next start. Every final status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED, that
 * startup ABORTED included) is published like AWS does on the default bus: `aws.states` /
 * `Step Functions Execution Status Change`, with `input` and `output` null so no personal data leaves.
 * A Distributed Map runs its batches as child executions (local/distributed-map.ts).
 */

/** The optimised Lambda integration resource. */
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** AWS: 1-80 characters, no whitespace, brackets, wildcards, listed punctuation or control characters. */
const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;
/** Step Functions' limit on a state's input or output. */
const MAX_PAYLOAD_BYTES = 256 * 1024;
/** The terminal error of a payload over the limit: it fails the execution, no Retry or Catch sees it. */
const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';
/** Step Functions' hard quota on the events of one execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;
/** The execution-level events that end an execution. */
const EXECUTION_END_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);
/** Cause recorded for executions that were running when the runtime stopped. */
export const RUNTIME_STOPPED_CAUSE = 'local runtime stopped during the execution; replay it';

/** Status of an execution. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** A persisted execution (times in epoch milliseconds). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** The Map Run that started this child execution of a Distributed Map. */
  mapRunArn?: string;
}

/** The fields DescribeExecution and ListExecutions share, in the wire shape (epoch seconds). */
function executionSummary(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    stopDate: record.stopDate === undefined ? undefined : epochSeconds(record.stopDate),
    mapRunArn: record.mapRunArn,
  };
}

/**
 * The EventBridge entry of an ended execution, in the AWS shape (dates in epoch milliseconds, the
 * execution ARN as the resource); `input`/`output` are left out (null, `included: false`).
 */
export function statusChangeEntry(record: ExecutionRecord): PutEventsRequestEntry {
  return {
    EventBusName: 'default',
    Source: EXECUTION_EVENT_SOURCE,
    DetailType: EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
    Resources: [record.executionArn],
    Detail: JSON.stringify({
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.stopDate ?? null,
      input: null,
      inputDetails: { included: false },
      output: null,
      outputDetails: { included: false },
      error: record.error ?? null,
      cause: record.cause ?? null,
    }),
  };
}

/** A persisted history event in the AWS shape (timestamp in epoch milliseconds). */
export interface HistoryEvent extends HistoryEventDraft {
  id: number;
  previousEventId: number;
  timestamp: number;
}

interface LoadedMachine {
  name: string;
  arn: string;
  definitionText: string;
  creationDate: number;
  stateMachine: StateMachine;
  taskStates: { name: string; resource: string; timeoutSeconds?: number }[];
  mapStates: Map<string, { InputPath?: string | null; ItemsPath?: string }>;
  retryOverrides: Record<string, number>;
  waitOverrides: Record<string, number>;
  /** Its Distributed Map states by name; each one's processor is a child machine `<name>/<label>`. */
  distributedMaps: Map<string, DistributedMapSpec>;
  /** True for the machine of a Distributed Map's child executions (not listed by ListStateMachines). */
  child: boolean;
}

interface ExecutionState {
  record: ExecutionRecord;
  events: HistoryEvent[];
  abort?: () => void;
  settled?: Promise<void>;
  writing?: Promise<void>;
  dirty: boolean;
  /** Aborted when the execution ends (stops its Map Runs' children). */
  ended: AbortController;
}

/** Options of the local Step Functions endpoint. */
export interface StepFunctionsServerOptions {
  /** Port on 127.0.0.1; 0 picks a free port. */
  port: number;
  region: string;
  /** Data directory; executions live under `<dataDir>/stepfunctions/`. */
  dataDir: string;
  /** ASL files; each becomes state machine `dsr-<file stem>`. */
  stateMachineFiles: string[];
  lambda: LambdaRuntime;
  /** ARN substituted for a catalog function id in `${XFunctionArn}` placeholders. */
  functionArn: (functionId: string) => string;
  /** Every Wait state waits this long instead (tests). */
  waitOverrideMs?: number;
  /** Every retry waits this long instead of its backoff (tests). */
  retryOverrideMs?: number;
  /** The history quota (default `MAX_HISTORY_EVENTS`, 25,000); tests lower it to run fast. */
  maxHistoryEvents?: number;
  /** Puts the status-change event of every execution that ends (the local default bus). */
  publish?: (entry: PutEventsRequestEntry) => Promise<void>;
  /** Receives unexpected errors (never personal data). */
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

/** A running local Step Functions endpoint. */
export interface StepFunctionsServer {
  url: string;
  port: number;
  /** ARN of a loaded state machine by name (`dsr-export`). */
  stateMachineArns: Record<string, string>;
  /** Stops the endpoint, leaves running executions RUNNING on disk, and flushes every write. */
  close(): Promise<void>;
}

/** The local ARN of a state machine. */
export function localStateMachineArn(name: string, region: string): string {
  return `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`;
}

/** The state machine name of an ASL file (`statemachines/export.asl.json` → `dsr-export`). */
export function stateMachineNameOf(file: string): string {
  return `dsr-${basename(file).replace(/\.asl\.json$/, '')}`;
}

/** Starts the endpoint after loading the state machines and the persisted executions. */
export async function startStepFunctionsServer(options: StepFunctionsServerOptions): Promise<StepFunctionsServer> {
  const service = new LocalStepFunctions(options);
  await service.load();
  const server: AwsJsonServer = await startAwsJsonServer({
    port: options.port,
    targetPrefix: 'AWSStepFunctions',
    contentType: 'application/x-amz-json-1.0',
    operations: service.operations(),
    onInternalError: (operation, error) => options.log?.('step functions endpoint error', { operation, errorName: (error as Error)?.name }),
  });
  return {
    url: server.url,
    port: server.port,
    stateMachineArns: service.stateMachineArns(),
    close: async () => {
      await server.close();
      await service.close();
    },
  };
}

class LocalStepFunctions {
  private readonly machines = new Map<string, LoadedMachine>();
  private readonly executions = new Map<string, ExecutionState>();
  private readonly mapRuns = new Map<string, MapRunRecord>();
  private readonly executionsDir: string;
  private readonly publishing = new Set<Promise<void>>();
  private closing = false;
  private readonly maxHistoryEvents: number;

  constructor(private readonly options: StepFunctionsServerOptions) {
    this.executionsDir = join(options.dataDir, 'stepfunctions');
    this.maxHistoryEvents = options.maxHistoryEvents ?? MAX_HISTORY_EVENTS;
  }

  stateMachineArns(): Record<string, string> {
    return Object.fromEntries([...this.machines.values()].filter((machine) => !machine.child).map((machine) => [machine.name, machine.arn]));
  }

  async load(): Promise<void> {
    for (const file of [...this.options.stateMachineFiles].sort()) {
      for (const machine of await this.loadMachine(file)) this.machines.set(machine.arn, machine);
    }
    await mkdir(this.executionsDir, { recursive: true });
    for (const machineDir of await readdir(this.executionsDir, { withFileTypes: true })) {
      if (!machineDir.isDirectory()) continue;
      const dir = join(this.executionsDir, machineDir.name);
      for (const file of await readdir(dir)) {
        if (!file.endsWith('.json')) continue;
        const stored = JSON.parse(await readFile(join(dir, file), 'utf8')) as { execution: ExecutionRecord; events: HistoryEvent[] };
        const state: ExecutionState = { record: stored.execution, events: stored.events, dirty: false, ended: new AbortController() };
        this.executions.set(state.record.executionArn, state);
        if (state.record.status === 'RUNNING') {
          this.finish(state, 'ABORTED', { error: 'States.Runtime', cause: RUNTIME_STOPPED_CAUSE });
        }
      }
    }
  }

  /** The machine of an ASL file, then the child machines of its Distributed Maps. */
  private async loadMachine(file: string): Promise<LoadedMachine[]> {
    const text = await readFile(file, 'utf8');
    const substitutions = substitutionsFor(text, this.options.functionArn);
    const definitionText = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, placeholder: string) => substitutions[placeholder]!);
    return this.buildMachine(stateMachineNameOf(file), JSON.parse(definitionText) as AslStates, definitionText, (await stat(file)).mtimeMs, file, false);
  }

  private buildMachine(name: string, source: AslStates, definitionText: string, creationDate: number, file: string, child: boolean): LoadedMachine[] {
    const { definition, maps } = extractDistributedMaps(withoutRootResultPaths(source), file);
    const machine: LoadedMachine = {
      name,
      arn: localStateMachineArn(name, this.options.region),
      definitionText,
      creationDate,
      stateMachine: new StateMachine(definition as unknown as StateMachineDefinition),
      taskStates: [],
      mapStates: new Map(),
      retryOverrides: {},
      waitOverrides: {},
      distributedMaps: maps,
      child,
    };
    this.indexStates(machine, definition as unknown as StateMachineDefinition, file);
    const children = [...maps.values()].flatMap((spec) => this.buildMachine(childMachineName(name, spec), spec.processor, JSON.stringify(spec.processor), creationDate, file, true));
    return [machine, ...children];
  }

  /** Walks every state, including Parallel branches and Map processors. */
  private indexStates(machine: LoadedMachine, definition: Pick<StateMachineDefinition, 'States'>, file: string): void {
    for (const [stateName, state] of Object.entries(definition.States)) {
      if ('Retry' in state && state.Retry && this.options.retryOverrideMs !== undefined) {
        machine.retryOverrides[stateName] = this.options.retryOverrideMs;
      }
      if (state.Type === 'Wait' && this.options.waitOverrideMs !== undefined) machine.waitOverrides[stateName] = this.options.waitOverrideMs;
      if (state.Type === 'Task' && state.Resource !== MAP_RUN_RESOURCE) {
        if (state.Resource !== LAMBDA_INVOKE) {
          throw new Error(`${file}: state "${stateName}" uses Task resource ${state.Resource}; the workflows use only ${LAMBDA_INVOKE}`);
        }
        machine.taskStates.push({ name: stateName, resource: state.Resource, timeoutSeconds: state.TimeoutSeconds });
      }
      if (state.Type === 'Parallel') for (const branch of state.Branches) this.indexStates(machine, branch, file);
      if (state.Type === 'Map') {
        machine.mapStates.set(stateName, { InputPath: state.InputPath, ItemsPath: state.ItemsPath });
        const processor = state.ItemProcessor ?? state.Iterator;
        if (processor) this.indexStates(machine, processor, file);
      }
    }
  }

  operations(): Record<string, (request: Record<string, unknown>) => unknown> {
    return {
      ListStateMachines: (request) => this.listStateMachines(request),
      ListMapRuns: (request) => this.listMapRuns(request),
      DescribeMapRun: (request) => this.describeMapRun(request),
      DescribeStateMachine: (request) => this.describeStateMachine(request),
      StartExecution: (request) => this.startExecution(request),
      DescribeExecution: (request) => this.describeExecution(request),
      ListExecutions: (request) => this.listExecutions(request),
      GetExecutionHistory: (request) => this.getExecutionHistory(request),
      StopExecution: (request) => this.stopExecution(request),
    };
  }

  private listStateMachines(request: Record<string, unknown>): unknown {
    const machines = [...this.machines.values()].filter((machine) => !machine.child).sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextToken } = paginate(machines, request);
    return {
      stateMachines: items.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: epochSeconds(machine.creationDate),
      })),
      nextToken,
    };
  }

  private describeStateMachine(request: Record<string, unknown>): unknown {
    const machine = this.machine(request.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: this.roleArn(),
      type: 'STANDARD',
      creationDate: epochSeconds(machine.creationDate),
    };
  }

  private startExecution(request: Record<string, unknown>): unknown {
    const machine = this.machine(request.stateMachineArn);
    const name = request.name === undefined ? randomUUID() : String(request.name);
    if (!NAME_PATTERN.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input === undefined ? '{}' : String(request.input);
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new AwsServiceError('InvalidExecutionInput', `Execution input exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    }
    const executionArn = `arn:aws:states:${this.options.region}:${LOCAL_ACCOUNT_ID}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.record.status === 'RUNNING' && existing.record.input === input) {
        return { executionArn, startDate: epochSeconds(existing.record.startDate) };
      }
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const state = this.beginExecution(machine, name, input, parsedInput);
    return { executionArn, startDate: epochSeconds(state.record.startDate) };
  }

  /** Records and runs a new execution (a started one, or a Map Run's child). */
  private beginExecution(machine: LoadedMachine, name: string, input: string, parsedInput: unknown, mapRunArn?: string): ExecutionState {
    const executionArn = `arn:aws:states:${this.options.region}:${LOCAL_ACCOUNT_ID}:execution:${machine.name}:${name}`;
    const state: ExecutionState = {
      record: { executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', startDate: Date.now(), input, ...(mapRunArn ? { mapRunArn } : {}) },
      events: [],
      dirty: false,
      ended: new AbortController(),
    };
    this.executions.set(executionArn, state);
    this.append(state, {
      type: 'ExecutionStarted',
      executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn: this.roleArn() },
    });
    this.run(machine, state, parsedInput);
    return state;
  }

  private run(machine: LoadedMachine, state: ExecutionState, input: unknown): void {
    const { record } = state;
    const handlers = Object.fromEntries([
      ...machine.taskStates.map((task) => [task.name, this.taskHandler(state, task)]),
      ...[...machine.distributedMaps.values()].map((spec) => [spec.stateName, this.mapRunHandler(machine, state, spec)]),
    ]);
    const execution = machine.stateMachine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        retryIntervalOverrides: machine.retryOverrides,
        waitTimeOverrides: machine.waitOverrides,
      },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, StartTime: new Date(record.startDate).toISOString(), Input: input as never, RoleArn: this.roleArn() },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    state.abort = execution.abort;
    void (async () => {
      for await (const event of execution.eventLogs) {
        const oversize = oversizePayload(event as LibraryEvent);
        if (oversize) this.failDataLimit(state, oversize);
        else for (const draft of toHistoryEvents(event as LibraryEvent, machine)) this.append(state, draft);
      }
    })();
    state.settled = execution.result.then(
      async (output) => {
        await drainEvents();
        this.finish(state, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
      },
      async (error: unknown) => {
        await drainEvents();
        if ((error as Error)?.name === 'ExecutionTimeoutError') {
          this.finish(state, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out (TimeoutSeconds)' });
        } else if ((error as Error)?.name !== 'ExecutionAbortedError') {
          const cause = (error as Error)?.cause as Error | undefined;
          this.finish(state, 'FAILED', { error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? String(error) });
        }
      },
    );
  }

  /** The local handler of a Distributed Map (the Task that stands in for it): one Map Run per attempt. */
  private mapRunHandler(machine: LoadedMachine, state: ExecutionState, spec: DistributedMapSpec): (input: unknown) => Promise<never> {
    const child = this.machines.get(localStateMachineArn(childMachineName(machine.name, spec), this.options.region))!;
    return async (input: unknown) => {
      await drainEvents();
      if (state.record.status !== 'RUNNING') throw new LambdaInvokeError('States.Runtime', `The execution has ended; Map '${spec.stateName}' was not run`);
      const result = await runMapRun(spec, (input ?? {}) as never, {
        region: this.options.region,
        machineName: machine.name,
        executionArn: state.record.executionArn,
        record: (draft) => this.append(state, draft),
        register: (run) => this.mapRuns.set(run.mapRunArn, run),
        runChild: (name, childInput, mapRunArn) => this.runChild(child, name, childInput, mapRunArn),
        stopChild: (executionArn) => this.stopExecution({ executionArn }),
        signal: state.ended.signal,
      });
      return result as never;
    };
  }

  /** Starts a Map Run's child execution; `ended` resolves with its final record. */
  private runChild(machine: LoadedMachine, name: string, input: string, mapRunArn: string): { executionArn: string; ended: Promise<ChildOutcome> } {
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) throw new AwsServiceError('InvalidExecutionInput', `Execution input exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    const state = this.beginExecution(machine, name, input, JSON.parse(input), mapRunArn);
    return { executionArn: state.record.executionArn, ended: state.settled!.then(() => ({ ...state.record }) as ChildOutcome) };
  }

  /** The local handler of one Task state: invokes the function in-process and records the task events. */
  private taskHandler(state: ExecutionState, task: LoadedMachine['taskStates'][number]): (input: unknown) => Promise<never> {
    return async (input: unknown) => {
      await drainEvents();
      if (state.record.status !== 'RUNNING') throw new LambdaInvokeError('States.Runtime', `The execution has ended; task '${task.name}' was not run`);
      const parameters = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
      const target = String(parameters.FunctionName ?? '');
      const payload = parameters.Payload ?? {};
      const resource = { resourceType: 'lambda', resource: 'invoke' };
      this.append(state, {
        type: 'TaskScheduled',
        taskScheduledEventDetails: { ...resource, region: this.options.region, parameters: JSON.stringify(parameters), timeoutInSeconds: task.timeoutSeconds },
      });
      this.append(state, { type: 'TaskStarted', taskStartedEventDetails: resource });
      // Scheduling it may have taken the history to its quota, which ends the execution.
      if (state.record.status !== 'RUNNING') throw new LambdaInvokeError('States.Runtime', `The execution has ended; task '${task.name}' was not run`);
      try {
        // The machine's role must allow lambda:InvokeFunction on the target (local IAM); a child execution runs as its parent's.
        const machineName = state.record.stateMachineArn.split(':').pop()!.split('/')[0]!;
        const result = await runAs(stateMachinePrincipal(machineName), () => this.options.lambda.invoke(target, payload));
        const output = JSON.stringify(result);
        if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) {
          const cause = `The state/task '${task.name}' returned a result with a size exceeding the maximum number of bytes service limit.`;
          this.failDataLimit(state, cause);
          throw new LambdaInvokeError(DATA_LIMIT_EXCEEDED, cause);
        }
        this.append(state, { type: 'TaskSucceeded', taskSucceededEventDetails: { ...resource, output, outputDetails: { truncated: false } } });
        return result as never;
      } catch (error) {
        const failure = { error: (error as Error).name, cause: (error as Error).message };
        this.append(state, { type: 'TaskFailed', taskFailedEventDetails: { ...resource, ...failure } });
        throw error;
      }
    };
  }

  /** Fails the whole execution with States.DataLimitExceeded and stops it, as AWS does: no Retry or Catch runs. */
  private failDataLimit(state: ExecutionState, cause: string): void {
    this.finish(state, 'FAILED', { error: DATA_LIMIT_EXCEEDED, cause });
    state.abort?.();
  }

  /**
   * AWS: an execution at one event short of the quota ends with the next event; unless that is its own
   * end, it is `ExecutionFailed` (States.Runtime) and the execution stops, whatever Retry or Catch it has.
   */
  private failHistoryLimit(state: ExecutionState): void {
    this.finish(state, 'FAILED', { error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${this.maxHistoryEvents}).` });
    state.abort?.();
  }

  private describeExecution(request: Record<string, unknown>): unknown {
    const { record } = this.execution(request.executionArn);
    return {
      ...executionSummary(record),
      input: record.input,
      inputDetails: { included: true },
      output: record.output,
      outputDetails: record.output === undefined ? undefined : { included: true },
      error: record.error,
      cause: record.cause,
    };
  }

  private listExecutions(request: Record<string, unknown>): unknown {
    // AWS: a state machine's executions, or (mapRunArn) the child executions of one Map Run.
    const mapRunArn = request.mapRunArn === undefined ? undefined : String(request.mapRunArn);
    const machineArn = mapRunArn === undefined ? this.machine(request.stateMachineArn).arn : undefined;
    const statusFilter = request.statusFilter === undefined ? undefined : String(request.statusFilter);
    const matching = [...this.executions.values()]
      .map((state) => state.record)
      .filter((record) => (mapRunArn === undefined ? record.stateMachineArn === machineArn : record.mapRunArn === mapRunArn) && (!statusFilter || record.status === statusFilter))
      .sort((a, b) => b.startDate - a.startDate || a.name.localeCompare(b.name));
    const { items, nextToken } = paginate(matching, request);
    return {
      executions: items.map(executionSummary),
      nextToken,
    };
  }

  private listMapRuns(request: Record<string, unknown>): unknown {
    const { record } = this.execution(request.executionArn);
    const runs = [...this.mapRuns.values()].filter((run) => run.executionArn === record.executionArn).sort((a, b) => a.startDate - b.startDate);
    const { items, nextToken } = paginate(runs, request);
    return {
      mapRuns: items.map((run) => ({
        executionArn: run.executionArn,
        mapRunArn: run.mapRunArn,
        stateMachineArn: run.stateMachineArn,
        startDate: epochSeconds(run.startDate),
        stopDate: run.stopDate === undefined ? undefined : epochSeconds(run.stopDate),
      })),
      nextToken,
    };
  }

  private describeMapRun(request: Record<string, unknown>): unknown {
    const run = this.mapRuns.get(String(request.mapRunArn));
    if (!run) throw new AwsServiceError('ResourceNotFound', `Map Run Does Not Exist: '${String(request.mapRunArn)}'`);
    const { stateMachineArn: _machine, startDate, stopDate, ...fields } = run;
    return { ...fields, startDate: epochSeconds(startDate), stopDate: stopDate === undefined ? undefined : epochSeconds(stopDate), redriveCount: 0 };
  }

  private getExecutionHistory(request: Record<string, unknown>): unknown {
    const { events } = this.execution(request.executionArn);
    const ordered = request.reverseOrder === true ? [...events].reverse() : events;
    const { items, nextToken } = paginate(ordered, request);
    const includeData = request.includeExecutionData !== false;
    return {
      events: items.map((event) => ({ ...(includeData ? event : withoutData(event)), timestamp: epochSeconds(event.timestamp) })),
      nextToken,
    };
  }

  private stopExecution(request: Record<string, unknown>): unknown {
    const state = this.execution(request.executionArn);
    if (state.record.status === 'RUNNING') {
      this.finish(state, 'ABORTED', {
        error: request.error === undefined ? undefined : String(request.error),
        cause: request.cause === undefined ? undefined : String(request.cause),
      });
      state.abort?.();
    }
    return { stopDate: epochSeconds(state.record.stopDate ?? Date.now()) };
  }

  /** Closes the execution with a final status and event (once). */
  private finish(state: ExecutionState, status: Exclude<ExecutionStatus, 'RUNNING'>, detail: { output?: string; error?: string; cause?: string }): void {
    if (state.record.status !== 'RUNNING' || this.closing) return;
    const draft: HistoryEventDraft =
      status === 'SUCCEEDED'
        ? { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: detail.output, outputDetails: { truncated: false } } }
        : status === 'FAILED'
          ? { type: 'ExecutionFailed', executionFailedEventDetails: { error: detail.error, cause: detail.cause } }
          : status === 'TIMED_OUT'
            ? { type: 'ExecutionTimedOut', executionTimedOutEventDetails: { error: detail.error, cause: detail.cause } }
            : { type: 'ExecutionAborted', executionAbortedEventDetails: { error: detail.error, cause: detail.cause } };
    this.append(state, draft);
    Object.assign(state.record, { status, stopDate: Date.now(), ...definedOnly(detail) });
    state.ended.abort();
    this.persist(state);
    this.publishStatusChange(state.record);
  }

  /** Publishes the status-change event of an ended execution; a failure is logged, never thrown. */
  private publishStatusChange(record: ExecutionRecord): void {
    if (!this.options.publish) return;
    const publishing = this.options.publish(statusChangeEntry(record)).catch((error: unknown) =>
      this.options.log?.('execution status event failed', { status: record.status, errorName: (error as Error)?.name }),
    );
    this.publishing.add(publishing);
    void publishing.finally(() => this.publishing.delete(publishing));
  }

  private append(state: ExecutionState, draft: HistoryEventDraft): void {
    if (state.record.status !== 'RUNNING' || this.closing) return;
    if (state.events.length >= this.maxHistoryEvents - 1 && !EXECUTION_END_EVENTS.has(draft.type)) {
      this.failHistoryLimit(state);
      return;
    }
    const id = state.events.length + 1;
    state.events.push({ ...draft, id, previousEventId: id - 1, timestamp: Date.now() });
    this.persist(state);
  }

  /** Writes the execution file, coalescing writes that arrive while one is in flight. */
  private persist(state: ExecutionState): void {
    state.dirty = true;
    if (state.writing) return;
    // A child machine's name holds a slash (`dsr-retention/Sweep-Segments`): one directory per machine.
    const dir = join(this.executionsDir, encodeURIComponent(state.record.stateMachineArn.split(':').pop()!));
    const file = join(dir, `${encodeURIComponent(state.record.name)}.json`);
    state.writing = (async () => {
      await mkdir(dir, { recursive: true });
      while (state.dirty) {
        state.dirty = false;
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, JSON.stringify({ execution: state.record, events: state.events }));
        await rename(temporary, file);
      }
    })().finally(() => {
      state.writing = undefined;
    });
  }

  async close(): Promise<void> {
    const running = [...this.executions.values()].filter((state) => state.record.status === 'RUNNING');
    this.closing = true;
    for (const state of running) state.abort?.();
    await Promise.allSettled(running.map((state) => state.settled));
    await Promise.allSettled([...this.publishing]);
    let pending = [...this.executions.values()].flatMap((state) => (state.writing ? [state.writing] : []));
    while (pending.length > 0) {
      await Promise.all(pending);
      pending = [...this.executions.values()].flatMap((state) => (state.writing ? [state.writing] : []));
    }
  }

  private machine(arn: unknown): LoadedMachine {
    if (typeof arn !== 'string' || !/^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(arn)) {
      throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const machine = this.machines.get(arn);
    if (!machine) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: unknown): ExecutionState {
    // A Map Run's child is named `<mapRunId>:<n>`.
    if (typeof arn !== 'string' || !/^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+(?::[^:]+)?$/.test(arn)) {
      throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const state = this.executions.get(arn);
    if (!state) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return state;
  }

  private roleArn(): string {
    return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/dsr-local-stepfunctions`;
  }
}

/**
 * The definition with every `"ResultPath": "$"` (of a state or a catcher) left out, which means the same
 * in ASL (the result replaces the input); aws-local-stepfunctions 3 would store the result under a
 * key named `$` instead.
 */
export function withoutRootResultPaths<T extends AslStates>(definition: T): T {
  const withoutRoot = <S extends Record<string, unknown>>(entry: S): S => {
    if (entry.ResultPath !== '$') return entry;
    const { ResultPath: _root, ...rest } = entry;
    return rest as S;
  };
  const walk = (states: AslStates): AslStates => ({
    ...states,
    States: Object.fromEntries(
      Object.entries(states.States).map(([name, state]) => {
        const next: Record<string, unknown> = withoutRoot(state);
        if (Array.isArray(state.Catch)) next.Catch = (state.Catch as Record<string, unknown>[]).map(withoutRoot);
        if (Array.isArray(state.Branches)) next.Branches = (state.Branches as AslStates[]).map(walk);
        for (const processor of ['ItemProcessor', 'Iterator'] as const) if (state[processor]) next[processor] = walk(state[processor] as AslStates);
        return [name, next as typeof state];
      }),
    ),
  });
  return walk(definition) as T;
}

/** The cause when a state's input (on entry) or output (on exit) is over the payload limit; else undefined. */
function oversizePayload(event: LibraryEvent): string | undefined {
  if (!event.state || (event.type !== 'StateEntered' && event.type !== 'StateExited')) return undefined;
  const entered = event.type === 'StateEntered';
  const bytes = Buffer.byteLength(JSON.stringify((entered ? event.state.input : event.state.output) ?? null));
  if (bytes <= MAX_PAYLOAD_BYTES) return undefined;
  return `The state/task '${event.state.name}' ${entered ? 'has an input' : 'returned an output'} of ${bytes} bytes, exceeding the maximum number of bytes service limit (${MAX_PAYLOAD_BYTES}).`;
}

/** Lets the library's event generator (fed through microtasks) catch up before recording more events. */
function drainEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One page of a list, with AWS-style `maxResults` (default 100, max 1000) and an opaque `nextToken`. */
function paginate<T>(items: readonly T[], request: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const maxResults = Number(request.maxResults ?? 0);
  if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
    throw new AwsServiceError('ValidationException', 'maxResults must be between 0 and 1000');
  }
  const pageSize = maxResults || 100;
  let offset = 0;
  if (request.nextToken !== undefined && request.nextToken !== null) {
    const decoded = Number(Buffer.from(String(request.nextToken), 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) throw new AwsServiceError('InvalidToken', 'Invalid Token');
    offset = decoded;
  }
  const end = offset + pageSize;
  return { items: items.slice(offset, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}

function withoutData(event: HistoryEvent): HistoryEvent {
  return Object.fromEntries(
    Object.entries(event).map(([key, value]) => {
      if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) return [key, value];
      const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
      return [key, rest];
    }),
  ) as HistoryEvent;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
