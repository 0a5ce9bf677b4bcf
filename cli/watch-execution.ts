import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { createLogUpdate } from 'log-update';
import { CUSTOMER_STORE_IDS, ERASED_STORES } from '../functions/core/data-map';
import { Formatter } from '../functions/core/export/format';
import type { RequestType } from '../functions/core/ledger';
import type { RequestView } from '../functions/core/requests';

/**
 * Live progress of a request for `dsr ... --wait`: a per-store table (phase, status, items, bytes,
 * elapsed) from the request's ledger record, under a line with the execution's current state from
 * GetExecutionHistory. On a terminal the table is redrawn in place (log-update: ANSI cursor movement);
 * otherwise every change is printed once as a plain line, so logs and pipes stay readable.
 */

/** How an execution ended. */
export interface ExecutionOutcome {
  status: string;
  error?: string;
  cause?: string;
}

/** Where the progress goes: a terminal (redrawn in place) or any other stream (plain lines). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Options of `watchExecution`. */
export interface WatchOptions {
  /** Default: stderr, so stdout stays the result. */
  stream?: ProgressStream;
  pollMs?: number;
  now?: () => number;
}

/** Reads the request record (its per-store progress) through the API. */
export interface RequestReader {
  get(requestId: string): Promise<RequestView>;
}

/** One store's row of the table. */
export interface StoreRow {
  store: string;
  phase?: string;
  status?: string;
  items?: number;
  bytes?: number;
  /** Milliseconds from the execution's start to the store's last progress. */
  elapsedMs?: number;
}

/** What the table shows at one moment. */
export interface ProgressSnapshot {
  requestId: string;
  type: RequestType;
  status: string;
  /** The state the execution is in (the last state entered). */
  state?: string;
  /** The last task failure seen (it may be retried). */
  failure?: string;
  elapsedMs: number;
  stores: StoreRow[];
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
const COLUMNS = ['STORE', 'PHASE', 'STATUS', 'ITEMS', 'BYTES', 'ELAPSED'] as const;
const sizes = new Formatter('en-GB', 'UTC');

/** `83.2s`, `4m 05s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
}

/** The cells of one store row. */
function cells(row: StoreRow): string[] {
  const done = row.status !== undefined;
  return [
    row.store,
    row.phase ?? '-',
    row.status ?? 'waiting',
    done ? String(row.items ?? 0) : '-',
    done ? sizes.bytes(row.bytes ?? 0).replace(/\u00a0/g, ' ') : '-',
    row.elapsedMs !== undefined ? formatElapsed(row.elapsedMs) : '-',
  ];
}

/** The header line and the aligned table (numbers right-aligned) of a snapshot. */
export function progressTable(snapshot: ProgressSnapshot): string[] {
  const rows = snapshot.stores.map(cells);
  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (values: readonly string[]) =>
    values.map((value, column) => (column >= 3 ? value.padStart(widths[column]!) : value.padEnd(widths[column]!))).join('  ').trimEnd();
  const state = snapshot.state ? ` · ${snapshot.state}` : '';
  const failure = snapshot.failure ? ` · last error ${snapshot.failure} (may be retried)` : '';
  return [`request ${snapshot.requestId} (${snapshot.type}) ${snapshot.status}${state} · ${formatElapsed(snapshot.elapsedMs)}${failure}`, line(COLUMNS), ...rows.map(line)];
}

/** The stores a request of this type reports on, in data-map order, plus any other the record names. */
function storeRows(record: RequestView, startedAt: number): StoreRow[] {
  const expected: string[] = record.type === 'export' ? [...CUSTOMER_STORE_IDS] : ERASED_STORES.map((store) => store.id);
  const progress = new Map(record.stores.map((entry) => [entry.store, entry]));
  const ids = [...expected, ...record.stores.map((entry) => entry.store).filter((store) => !expected.includes(store))];
  return ids.map((store) => {
    const entry = progress.get(store);
    return entry
      ? { store, phase: entry.phase, status: entry.status, items: entry.items, bytes: entry.bytes, elapsedMs: Date.parse(entry.updatedAt) - startedAt }
      : { store };
  });
}

/** A plain line per change: state entered, task failure, store progress, end. */
class PlainProgress {
  private readonly printed = new Set<string>();

  constructor(private readonly stream: ProgressStream) {}

  /** Prints what is new in the snapshot. */
  show(snapshot: ProgressSnapshot, events: string[]): void {
    for (const event of events) this.stream.write(`${event}\n`);
    for (const row of snapshot.stores) {
      if (row.status === undefined) continue;
      const text = cells(row);
      const key = text.slice(0, 3).join(' ');
      if (this.printed.has(key)) continue;
      this.printed.add(key);
      this.stream.write(`  ${text[0]}: ${text[1]} ${text[2]}, ${text[3]} items, ${text[4]}, ${text[5]}\n`);
    }
  }
}

/** One line for a history event worth a plain line, or undefined. */
function describeEvent(event: HistoryEvent): string | undefined {
  if (event.stateEnteredEventDetails?.name) return `→ ${event.stateEnteredEventDetails.name}`;
  if (event.type === 'TaskFailed' || event.type === 'LambdaFunctionFailed') {
    const details = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
    return `  ✗ ${details?.error ?? 'failed'}${event.type === 'TaskFailed' ? ' (may be retried)' : ''}`;
  }
  return undefined;
}

/** Follows a request's execution until it ends, showing the per-store table; returns the outcome. */
export async function watchExecution(sfn: SFNClient, api: RequestReader, requestId: string, executionArn: string, options: WatchOptions = {}): Promise<ExecutionOutcome> {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const live = stream.isTTY ? createLogUpdate(stream as NodeJS.WritableStream, { showCursor: true }) : undefined;
  const plain = live ? undefined : new PlainProgress(stream);
  const seen = new Set<number>();
  let state: string | undefined;
  let failure: string | undefined;
  for (;;) {
    const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const events: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      for (const event of page.events ?? []) {
        if (event.id === undefined || seen.has(event.id)) continue;
        seen.add(event.id);
        if (event.stateEnteredEventDetails?.name) state = event.stateEnteredEventDetails.name;
        const failed = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
        if (failed) failure = failed.error ?? 'failed';
        const line = describeEvent(event);
        if (line) events.push(line);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const record = await api.get(requestId);
    const startedAt = description.startDate ? description.startDate.getTime() : Date.parse(record.createdAt);
    const status = description.status ?? 'UNKNOWN';
    const snapshot: ProgressSnapshot = { requestId, type: record.type, status: record.status, state, failure, elapsedMs: now() - startedAt, stores: storeRows(record, startedAt) };
    if (live) live(progressTable(snapshot).join('\n'));
    else plain!.show(snapshot, events);
    if (TERMINAL.has(status)) {
      const outcome = { status, error: description.error, cause: description.cause };
      const end = `execution ${status}${outcome.error ? `: ${outcome.error}` : ''}`;
      if (live) {
        live(`${progressTable(snapshot).join('\n')}\n${end}`);
        live.done();
      } else stream.write(`${end}\n`);
      return outcome;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
