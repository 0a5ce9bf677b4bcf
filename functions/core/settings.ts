import { z } from 'zod';
import type { FunctionSpec } from '../catalog';
import { DATA_MAP, INACTIVE_ACCOUNT_PERIOD, type StoreDefinition } from './data-map';
import { ConfigurationError } from './errors';

/**
 * Every runtime setting of the functions, declared once: its environment variable (`DSR_*`), its CDK
 * context key, its schema and default. The functions read them with `readFunctionSettings`; the stack
 * takes them from context (`infra/settings.ts` builds on this list) and both the stack and the local
 * runtime give every function the same environment through `functionEnvironment`.
 */

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** One runtime setting: the variable the functions read and the context key the stack takes it from. */
interface FunctionSetting<S extends z.ZodType> {
  env: `DSR_${string}`;
  schema: S;
}

const setting = <S extends z.ZodType>(env: `DSR_${string}`, schema: S): FunctionSetting<S> => ({ env, schema });

/** The runtime settings by CDK context key. */
export const FUNCTION_SETTINGS = {
  /** Hours a consent withdrawal is due after receipt ("as soon as possible": its `dueAt` and deadline metrics). */
  consentWithdrawalTargetHours: setting('DSR_CONSENT_WITHDRAWAL_TARGET_HOURS', z.coerce.number().int().min(1).max(30 * 24).default(72)),
  /** Seconds an erasure waits `pending` (cancellable) before it starts (7 days). */
  erasureCoolingOffSeconds: setting('DSR_ERASURE_COOLING_OFF_SECONDS', z.coerce.number().int().min(0).default(7 * 24 * 3600)),
  /** Lifetime of a presigned download URL. */
  downloadUrlTtlSeconds: setting('DSR_DOWNLOAD_URL_TTL_SECONDS', z.coerce.number().int().min(60).max(7 * 24 * 3600).default(900)),
  /** Largest export ZIP volume, in bytes (2 GiB; any positive size is valid: a larger file gets a volume of its own). */
  exportVolumeBytes: setting('DSR_EXPORT_VOLUME_BYTES', z.coerce.number().int().positive().default(2 * GIB)),
  /** Multipart part size of export uploads (8 MiB; S3 minimum 5 MiB). */
  exportPartBytes: setting('DSR_EXPORT_PART_BYTES', z.coerce.number().int().min(5 * MIB).default(8 * MIB)),
  /** Parts uploaded in parallel per export upload. */
  exportUploadConcurrency: setting('DSR_EXPORT_UPLOAD_CONCURRENCY', z.coerce.number().int().min(1).max(16).default(4)),
  /** Bytes of source files the volume builder may hold fetched ahead of the one it writes (64 MiB; a larger file streams). */
  exportFetchBudgetBytes: setting('DSR_EXPORT_FETCH_BUDGET_BYTES', z.coerce.number().int().min(MIB).default(64 * MIB)),
  /** GetObject requests the volume builder keeps in flight. */
  exportFetchConcurrency: setting('DSR_EXPORT_FETCH_CONCURRENCY', z.coerce.number().int().min(1).max(48).default(16)),
  /** DeleteObjects or BatchWriteItem calls an eraser keeps in flight. */
  erasureConcurrency: setting('DSR_ERASURE_CONCURRENCY', z.coerce.number().int().min(1).max(32).default(8)),
  /** Attempts per erasure batch while items stay unprocessed or keys fail transiently. */
  erasureBatchMaxAttempts: setting('DSR_ERASURE_BATCH_MAX_ATTEMPTS', z.coerce.number().int().min(1).max(20).default(8)),
  /** First backoff delay of an erasure batch retry, in ms (full jitter, cap 5 s). */
  erasureBatchBaseDelayMs: setting('DSR_ERASURE_BATCH_BASE_DELAY_MS', z.coerce.number().int().min(0).max(10_000).default(50)),
  /** Months without a login or an order after which an account gets an erasure request (reason `retention`); see docs/data-map.md. */
  inactiveAccountMonths: setting('DSR_INACTIVE_ACCOUNT_MONTHS', z.coerce.number().int().min(1).max(1200).default(INACTIVE_ACCOUNT_PERIOD.amount)),
  /** `disabled`: the retention sweep only counts inactive accounts and requests no erasure. */
  inactiveAccountErasure: setting('DSR_INACTIVE_ACCOUNT_ERASURE', z.enum(['enabled', 'disabled']).default('enabled')),
  /** Fewest DynamoDB parallel-scan segments per table of the retention sweep (each segment is one Map item; more by `DSR_RETENTION_SEGMENT_ITEMS`). */
  retentionScanSegments: setting('DSR_RETENTION_SCAN_SEGMENTS', z.coerce.number().int().min(1).max(10_000).default(8)),
  /**
   * Most items one parallel-scan segment of the retention sweep may hold (by DescribeTable `ItemCount`):
   * the planner raises a table's segments above `DSR_RETENTION_SCAN_SEGMENTS` to keep each under it.
   * 50,000: the benchmark swept ≈ 1.6 ms per item (docs/performance.md), so a child's 4 segments take
   * ≈ 320 s, under Lambda's 900 s by a factor of about 2.8.
   */
  retentionSegmentItems: setting('DSR_RETENTION_SEGMENT_ITEMS', z.coerce.number().int().min(1).default(50_000)),
  /** Child executions the retention sweep's Distributed Map runs at once (`MaxConcurrencyPath`). */
  retentionMaxConcurrency: setting('DSR_RETENTION_MAX_CONCURRENCY', z.coerce.number().int().min(1).max(10_000).default(16)),
  /** Attempts of one status callback delivery. */
  callbackMaxAttempts: setting('DSR_CALLBACK_MAX_ATTEMPTS', z.coerce.number().int().min(1).default(5)),
  /** First backoff delay of a callback retry, in ms (doubled per attempt). */
  callbackBaseDelayMs: setting('DSR_CALLBACK_BASE_DELAY_MS', z.coerce.number().int().min(0).default(1000)),
  /** EventBridge bus of the status events and Art. 19 notifications. */
  eventBusName: setting('DSR_EVENT_BUS_NAME', z.string().min(1).default('dsr')),
  /**
   * Days an Art. 19 notification may stay unacknowledged before it counts in `UnacknowledgedNotifications`
   * (14: two weekly import cycles of a processor, and still inside the month the customer is answered in).
   */
  notificationAckDays: setting('DSR_NOTIFICATION_ACK_DAYS', z.coerce.number().int().min(1).max(365).default(14)),
} as const;

type Settings = typeof FUNCTION_SETTINGS;

/** The resolved runtime settings, by context key. */
export type FunctionSettings = { [K in keyof Settings]: z.output<Settings[K]['schema']> };

/** The context-key schema of the runtime settings (the stack's settings schema extends it). */
export const functionSettingsSchema = z.object(
  Object.fromEntries(Object.entries(FUNCTION_SETTINGS).map(([key, entry]) => [key, entry.schema])) as { [K in keyof Settings]: Settings[K]['schema'] },
);

/** Reads every runtime setting from the environment; an invalid value is a `ConfigurationError` naming its variable. */
export function readFunctionSettings(env: NodeJS.ProcessEnv = process.env): FunctionSettings {
  const settings: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(FUNCTION_SETTINGS)) {
    const parsed = entry.schema.safeParse(env[entry.env] === '' ? undefined : env[entry.env]);
    if (!parsed.success) throw new ConfigurationError(`${entry.env}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
    settings[key] = parsed.data;
  }
  return settings as FunctionSettings;
}

/** The `DSR_*` variables of the runtime settings. */
export function settingsEnvironment(settings: FunctionSettings): Record<string, string> {
  return Object.fromEntries(Object.entries(FUNCTION_SETTINGS).map(([key, entry]) => [entry.env, String(settings[key as keyof FunctionSettings])]));
}

/** Powertools service name of every function (matches the shared logger in functions/shared/handler.ts). */
export const POWERTOOLS_SERVICE_NAME = 'dsr';

/**
 * The workflows: state machine `<prefix>-<name>` from `statemachines/<name>.asl.json`, its ARN in every
 * function as `env`, and the catalog id prefixes of the per-store functions it invokes dynamically
 * (`"FunctionName.$"` chosen by a planner from `DSR_COLLECT_FUNCTIONS`/`DSR_ERASE_FUNCTIONS`).
 */
export const WORKFLOWS = [
  { name: 'export', env: 'DSR_EXPORT_STATE_MACHINE_ARN', dynamicFunctionPrefixes: ['collect-'] },
  { name: 'erasure', env: 'DSR_ERASURE_STATE_MACHINE_ARN', dynamicFunctionPrefixes: ['collect-', 'erase-'] },
  { name: 'restriction', env: 'DSR_RESTRICTION_STATE_MACHINE_ARN', dynamicFunctionPrefixes: [] },
  { name: 'objection', env: 'DSR_OBJECTION_STATE_MACHINE_ARN', dynamicFunctionPrefixes: [] },
  { name: 'rectification', env: 'DSR_RECTIFICATION_STATE_MACHINE_ARN', dynamicFunctionPrefixes: [] },
  { name: 'consent-withdrawal', env: 'DSR_CONSENT_WITHDRAWAL_STATE_MACHINE_ARN', dynamicFunctionPrefixes: [] },
  {
    name: 'retention',
    env: 'DSR_RETENTION_STATE_MACHINE_ARN',
    dynamicFunctionPrefixes: [],
    schedule: 'rate(1 day)',
    distributedMap: { store: 'exports', itemReaderKeys: 'retention/*/segments.json', resultWriterKeys: 'retention/*/results/*' },
  },
] as const satisfies readonly WorkflowSpec[];

/** One workflow of `WORKFLOWS`. */
export interface WorkflowSpec {
  name: string;
  env: `DSR_${string}`;
  dynamicFunctionPrefixes: readonly string[];
  /** EventBridge schedule expression that starts the workflow (input `{ "dryRun": false }`); request workflows have none. */
  schedule?: string;
  /** For a workflow with a Distributed Map: the store its ItemReader reads and its ResultWriter writes, as key patterns. */
  distributedMap?: { store: string; itemReaderKeys: string; resultWriterKeys: string };
}

/** The workflow of a name as a `WorkflowSpec`, or undefined. */
export function workflowSpec(name: string): WorkflowSpec | undefined {
  return (WORKFLOWS as readonly WorkflowSpec[]).find((workflow) => workflow.name === name);
}

/** The workflows that run data-subject requests (started through the request API); the scheduled ones are not among them. */
export const REQUEST_WORKFLOWS: readonly WorkflowSpec[] = (WORKFLOWS as readonly WorkflowSpec[]).filter((workflow) => workflow.schedule === undefined);

/** Per-store function maps: env variable → catalog id prefix (`collect-<store>`, `erase-<store>`). */
export const PER_STORE_FUNCTIONS = [
  { env: 'DSR_COLLECT_FUNCTIONS', idPrefix: 'collect-' },
  { env: 'DSR_ERASE_FUNCTIONS', idPrefix: 'erase-' },
] as const;

/** A per-store function map from the environment (`{}` when unset); anything but JSON `{ storeId: name }` is a `ConfigurationError` naming the variable. */
export function readFunctionMap(env: NodeJS.ProcessEnv, variable: (typeof PER_STORE_FUNCTIONS)[number]['env']): Record<string, string> {
  const text = env[variable] || '{}';
  try {
    return z.record(z.string(), z.string().min(1)).parse(JSON.parse(text));
  } catch {
    throw new ConfigurationError(`${variable} must be JSON {"storeId": "functionName"}`);
  }
}

/** What a function's environment is built from; the stack passes CloudFormation values, the local runtime local ones. */
export interface EnvironmentSources {
  settings: FunctionSettings;
  catalog: readonly FunctionSpec[];
  /** The physical table or bucket name of a store. */
  storeName: (store: StoreDefinition) => string;
  /** The ARN of a workflow's state machine (`export`, `erasure`). */
  stateMachineArn: (workflow: string) => string;
  /** The ARN of a catalog function. */
  functionArn: (functionId: string) => string;
  /** JSON text of a value (the stack needs `Stack.toJsonString` for tokens). */
  toJson?: (value: unknown) => string;
}

/**
 * The environment every function gets, in AWS and locally alike: the runtime settings, the Powertools
 * service name, one variable per store name, the workflow ARNs and the per-store function maps.
 */
export function functionEnvironment(sources: EnvironmentSources): Record<string, string> {
  const toJson = sources.toJson ?? ((value: unknown) => JSON.stringify(value));
  const storeIds = new Set<string>(DATA_MAP.map((store) => store.id));
  const environment: Record<string, string> = { ...settingsEnvironment(sources.settings), POWERTOOLS_SERVICE_NAME };
  for (const store of DATA_MAP) environment[store.resource.env] = sources.storeName(store);
  for (const workflow of WORKFLOWS) environment[workflow.env] = sources.stateMachineArn(workflow.name);
  for (const group of PER_STORE_FUNCTIONS) {
    const map = Object.fromEntries(
      sources.catalog
        .filter((spec) => spec.id.startsWith(group.idPrefix) && storeIds.has(spec.id.slice(group.idPrefix.length)))
        .map((spec) => [spec.id.slice(group.idPrefix.length), sources.functionArn(spec.id)]),
    );
    environment[group.env] = toJson(map);
  }
  return environment;
}
