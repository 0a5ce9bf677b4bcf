import type { CustomerStoreId, PipelineStoreId } from './core/data-map';
import { CUSTOMER_STORES } from './core/data-map';
import { RETENTION_PREFIX } from './core/retention/plan';
import { EXECUTION_EVENT_SOURCE, EXECUTION_STATUS_CHANGE_DETAIL_TYPE, UNSUCCESSFUL_EXECUTION_STATUSES } from './core/reconcile-execution';

/**
 * The function catalog: every Lambda function, its entry file, sizing and what its role may reach.
 * The CDK stack builds one NodejsFunction per entry and the local runtime runs the same entry
 * in-process, so both stay in step. Workflow ASL files refer to functions as `${<PascalId>FunctionArn}`
 * (e.g. `${RecordFailureFunctionArn}` for id `record-failure`).
 */

/** What a function's role may do on one store. */
export interface StoreGrant {
  store: CustomerStoreId | PipelineStoreId;
  /** read: get/query/scan/list; write: put/update (no delete, so no batch write); delete: delete and batch write; read-write: all; describe: a table's DescribeTable or a bucket's GetBucketVersioning only (no data). */
  access: 'read' | 'write' | 'delete' | 'read-write' | 'describe';
  /** For buckets: restrict to this key prefix (e.g. `staging/`). */
  keyPrefix?: string;
  /** For buckets: may also list object versions and read the versioning state, and with delete, delete versions. */
  versions?: boolean;
}

/** A Secrets Manager secret a function may read at cold start (`functions/shared/secrets.ts`). */
export type SecretId = 'hash-key' | 'callback-secret';

/** A Lambda function of the pipeline. */
export interface FunctionSpec {
  /** kebab-case id, unique; also the local function name suffix. */
  id: string;
  /** Source file relative to the repository root, exporting `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Stores the role may reach. */
  stores: StoreGrant[];
  /** Other permissions by name, resolved by the stack (e.g. `start-executions`, `put-events`, `put-metrics`). */
  permissions?: Permission[];
  /** Secrets the code reads (`hash-key`: keyed hashes, `callback-secret`: callback signatures); the role reads only these. */
  secrets?: SecretId[];
  /** What invokes the function besides workflows: the HTTP API, an event rule, or a schedule. */
  triggers?: FunctionTrigger[];
  /**
   * What X-Ray traces (Lambda's active tracing is on for every function): `calls` (default) the
   * invocation and each SDK call as a subsegment; `invocation` the invocation only, without loading the
   * X-Ray SDK, whose async hooks tax every promise: for a function that makes thousands of calls each time.
   */
  tracing?: 'calls' | 'invocation';
}

/** A permission besides store access, resolved by the stack. */
export type Permission = 'start-executions' | 'describe-executions' | 'list-executions' | 'stop-executions' | 'put-events' | 'presign-exports';

/**
 * The permissions a function's role gets: its declared ones, plus `put-events` when it writes the
 * request ledger (every status change it writes puts a status event).
 */
export function permissionsOf(spec: FunctionSpec): Permission[] {
  const writesLedger = spec.stores.some((grant) => grant.store === 'request-ledger' && (grant.access === 'write' || grant.access === 'read-write'));
  return [...new Set([...(spec.permissions ?? []), ...(writesLedger ? (['put-events'] as const) : [])])];
}

/** A non-workflow invocation source; CDK builds the rule/API, the local runtime routes the same. */
export type FunctionTrigger = { kind: 'http-api' } | EventTrigger | { kind: 'schedule'; expression: string };

/**
 * An event rule: on the pipeline's own bus (default), or on the account's `default` bus where AWS
 * services such as Step Functions publish; optionally filtered on detail fields.
 */
export interface EventTrigger {
  kind: 'event';
  bus?: 'pipeline' | 'default';
  source: string;
  detailType: string;
  /** Each listed detail field must equal one of its values; `pipeline-state-machines` stands for the pipeline's state machine ARNs. */
  detail?: Record<string, readonly string[] | 'pipeline-state-machines'>;
}

/** An event trigger's detail filter with `pipeline-state-machines` replaced by the given ARNs (undefined without a filter). */
export function resolveDetailFilter(trigger: EventTrigger, stateMachineArns: readonly string[]): Record<string, string[]> | undefined {
  if (!trigger.detail) return undefined;
  return Object.fromEntries(
    Object.entries(trigger.detail).map(([field, values]) => [field, values === 'pipeline-state-machines' ? [...stateMachineArns] : [...values]]),
  );
}

/** An eraser's grants on the erasure progress log (`progress/` in the audit bucket: read what is recorded, record more). */
const PROGRESS_LOG_GRANTS: StoreGrant[] = [
  { store: 'audit', access: 'read', keyPrefix: 'progress/' },
  { store: 'audit', access: 'write', keyPrefix: 'progress/' },
];

/** Every function of the pipeline. */
export const FUNCTIONS: FunctionSpec[] = [
  // Request API, ledger steps, callbacks and deadlines (issue 3).
  {
    id: 'api',
    entry: 'functions/api/handler.ts',
    description: 'HTTP API /v1/requests: create, read, list, cancel, extend, deny and download data-subject requests; /v1/checks: suppression and processing checks',
    timeoutSeconds: 29,
    memoryMb: 512,
    stores: [
      { store: 'request-ledger', access: 'read-write' },
      { store: 'customer-profile', access: 'read' },
      // The suppression and processing checks read keyed-hash entries only.
      { store: 'marketing-suppression', access: 'read' },
      // Cancelling a running export removes its staging data and partial volumes (every version).
      ...(['exports/', 'staging/'] as const).flatMap((keyPrefix): StoreGrant[] => [
        { store: 'exports', access: 'read', keyPrefix },
        { store: 'exports', access: 'delete', keyPrefix, versions: true },
      ]),
    ],
    permissions: ['start-executions', 'describe-executions', 'stop-executions', 'presign-exports'],
    secrets: ['hash-key'],
    triggers: [{ kind: 'http-api' }],
  },
  ...(
    [
      ['mark-in-progress', 'Moves a request to in_progress when its workflow starts (replay-safe)'],
      ['record-store-progress', 'Records one store\'s step outcome on the request'],
      // Only a final status releases the customer's open-request marker (a delete).
      ['complete-request', 'Completes a request with its result', 'delete'],
      ['hold-request', 'Puts an erasure on legal hold with the reasons'],
      ['record-failure', 'Marks a request failed with the workflow error'],
    ] as const
  ).map(
    ([id, description, releasesMarker]: readonly [string, string, 'delete'?]): FunctionSpec => ({
      id,
      entry: `functions/workflow/${id}.ts`,
      description,
      timeoutSeconds: 30,
      memoryMb: 256,
      stores: [{ store: 'request-ledger', access: releasesMarker ? 'read-write' : 'read' }, ...(releasesMarker ? [] : [{ store: 'request-ledger', access: 'write' } as const])],
    }),
  ),
  {
    id: 'reconcile-execution',
    entry: 'functions/workflow/reconcile-execution.ts',
    description: 'Marks a request failed when its execution ended FAILED, TIMED_OUT or ABORTED without its failure path',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [
      { store: 'request-ledger', access: 'read' },
      { store: 'request-ledger', access: 'write' },
    ],
    permissions: ['list-executions'],
    triggers: [
      {
        kind: 'event',
        bus: 'default',
        source: EXECUTION_EVENT_SOURCE,
        detailType: EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
        detail: { status: UNSUCCESSFUL_EXECUTION_STATUSES, stateMachineArn: 'pipeline-state-machines' },
      },
    ],
  },
  {
    id: 'deliver-callback',
    entry: 'functions/notify/deliver-callback.ts',
    description: 'POSTs a signed status callback to the request\'s callbackUrl on every status change',
    timeoutSeconds: 120,
    memoryMb: 256,
    stores: [{ store: 'request-ledger', access: 'read' }],
    secrets: ['callback-secret'],
    triggers: [{ kind: 'event', source: 'dsr.request', detailType: 'Request Status Changed' }],
  },
  {
    id: 'flush-status-events',
    entry: 'functions/notify/flush-status-events.ts',
    description: 'Every 5 minutes: emits the status events the ledger still owes (a crash between a status change and its event)',
    timeoutSeconds: 300,
    memoryMb: 256,
    stores: [{ store: 'request-ledger', access: 'read-write' }],
    triggers: [{ kind: 'schedule', expression: 'rate(5 minutes)' }],
  },
  {
    id: 'check-deadlines',
    entry: 'functions/deadlines/check-deadlines.ts',
    description: 'Daily: counts open requests past or within 5 days of their due date and publishes metrics',
    timeoutSeconds: 300,
    memoryMb: 256,
    stores: [{ store: 'request-ledger', access: 'read' }],
    triggers: [{ kind: 'schedule', expression: 'rate(1 day)' }],
  },
  // Export pipeline (issue 4): one collector per business store, planners, volume builder, finaliser.
  ...CUSTOMER_STORES.map(
    (store): FunctionSpec => ({
      id: `collect-${store.id}`,
      entry: 'functions/export/collect-store.ts',
      description: `Collects a customer's ${store.id} data to export staging (export mode) or counts what is left (verify mode)`,
      timeoutSeconds: 900,
      memoryMb: 1024,
      stores: [
        { store: store.id as CustomerStoreId, access: 'read', ...(store.holdsFiles ? { versions: true } : {}) },
        { store: 'request-ledger', access: 'read' },
        { store: 'exports', access: 'write', keyPrefix: 'staging/' },
      ],
      secrets: ['hash-key'],
    }),
  ),
  {
    id: 'plan-export',
    entry: 'functions/export/plan-export.ts',
    description: 'Lists the stores of the brand with their collector functions',
    timeoutSeconds: 30,
    memoryMb: 256,
    stores: [],
  },
  {
    id: 'plan-volumes',
    entry: 'functions/export/plan-volumes.ts',
    description: 'Splits the collected files of an export into ZIP volumes and stages the plan',
    timeoutSeconds: 300,
    memoryMb: 1024,
    stores: [
      { store: 'request-ledger', access: 'read' },
      { store: 'exports', access: 'read', keyPrefix: 'staging/' },
      { store: 'exports', access: 'write', keyPrefix: 'staging/' },
    ],
  },
  {
    id: 'build-volume',
    entry: 'functions/export/build-volume.ts',
    description: 'Streams one ZIP volume of an export from the stores into its final S3 key',
    timeoutSeconds: 900,
    memoryMb: 2048,
    stores: [
      // Every file store of the data map: the volume streams the customer's files from it.
      ...CUSTOMER_STORES.filter((store) => store.holdsFiles).map((store): StoreGrant => ({ store: store.id as CustomerStoreId, access: 'read' })),
      { store: 'exports', access: 'read', keyPrefix: 'staging/' },
      // The volume's summary (`volumeSummaryKey`) is staged for finalize-export.
      { store: 'exports', access: 'write', keyPrefix: 'staging/' },
      { store: 'exports', access: 'write', keyPrefix: 'exports/' },
      // Each write first checks that the request is still in progress (a cancelled export gets nothing more).
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
    // A volume of 10,000 small photos is 10,000 GetObjects: traced per call, they were 10,000
    // subsegments, and the X-Ray SDK's hooks cost about a quarter of the builder's CPU.
    tracing: 'invocation',
  },
  {
    id: 'finalize-export',
    entry: 'functions/export/finalize-export.ts',
    description: 'Summarises the export volumes, removes stale volumes and the staging area',
    timeoutSeconds: 300,
    memoryMb: 512,
    // The volume list is written only while the request is still in progress (a cancelled export gets nothing more).
    stores: [{ store: 'exports', access: 'read-write' }, { store: 'request-ledger', access: 'read' }],
    secrets: ['hash-key'],
  },
  // Erasure pipeline (issue 5): legal hold, plan, suppression, one eraser per store, Art. 19
  // notifications, verification check, certificate.
  {
    id: 'check-legal-hold',
    entry: 'functions/erasure/check-legal-hold.ts',
    description: 'Erasure: finds legal holds (undelivered/unpaid/disputed orders, legal-claim complaints)',
    timeoutSeconds: 120,
    memoryMb: 256,
    stores: [{ store: 'orders', access: 'read' }, { store: 'contact-history', access: 'read' }, { store: 'request-ledger', access: 'read' }],
    secrets: ['hash-key'],
  },
  {
    id: 'recheck-legal-holds',
    entry: 'functions/erasure/recheck-legal-holds.ts',
    description: 'Daily: re-checks the legal holds of on_hold erasures and resumes those whose holds have cleared',
    timeoutSeconds: 900,
    memoryMb: 256,
    stores: [{ store: 'orders', access: 'read' }, { store: 'contact-history', access: 'read' }, { store: 'request-ledger', access: 'read' }],
    permissions: ['start-executions'],
    secrets: ['hash-key'],
    triggers: [{ kind: 'schedule', expression: 'rate(1 day)' }],
  },
  {
    id: 'plan-erasure',
    entry: 'functions/erasure/plan-erasure.ts',
    description: 'Erasure: every erased store with its eraser and verification collector',
    timeoutSeconds: 30,
    memoryMb: 128,
    stores: [],
  },
  {
    id: 'capture-suppression-keys',
    entry: 'functions/erasure/capture-suppression-keys.ts',
    description: 'Erasure: writes keyed-hash marketing suppression entries before anything is erased',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [
      { store: 'customer-profile', access: 'read' },
      { store: 'marketing', access: 'read' },
      { store: 'marketing-suppression', access: 'read' },
      { store: 'marketing-suppression', access: 'write' },
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
  },
  ...CUSTOMER_STORES.filter((store) => store.erasure.action !== 'none').map(
    (store): FunctionSpec => ({
      id: `erase-${store.id}`,
      entry: 'functions/erasure/erase-store.ts',
      description: `Erasure: ${store.erasure.action === 'anonymise-and-retain' ? 'anonymises and retains' : 'deletes'} the customer's data in ${store.id}`,
      timeoutSeconds: 900,
      memoryMb: 512,
      stores: [
        ...(store.erasure.action === 'anonymise-and-retain'
          ? [{ store: store.id, access: 'read-write' } as const]
          : [
              { store: store.id, access: 'read' } as const,
              // A bucket eraser reads the versioning state and, in a versioned bucket, deletes every version.
              { store: store.id, access: 'delete', ...(store.kind === 's3-bucket' ? { versions: true } : {}) } as const,
            ]),
        { store: 'request-ledger', access: 'read' },
        ...PROGRESS_LOG_GRANTS,
      ],
      secrets: ['hash-key'],
    }),
  ),
  {
    id: 'settle-exports',
    entry: 'functions/erasure/settle-exports.ts',
    description: 'Erasure: cancels the customer\'s open exports and counts the running ones to wait for',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [{ store: 'request-ledger', access: 'read-write' }],
    permissions: ['stop-executions'],
    secrets: ['hash-key'],
  },
  {
    id: 'erase-exports',
    entry: 'functions/erasure/erase-exports.ts',
    description: 'Erasure: deletes every archive volume and staging object of the customer\'s exports',
    timeoutSeconds: 900,
    memoryMb: 512,
    stores: [
      { store: 'request-ledger', access: 'read' },
      ...(['exports/', 'staging/'] as const).flatMap((keyPrefix): StoreGrant[] => [
        { store: 'exports', access: 'read', keyPrefix },
        { store: 'exports', access: 'delete', keyPrefix, versions: true },
      ]),
      ...PROGRESS_LOG_GRANTS,
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'collect-exports',
    entry: 'functions/erasure/collect-exports.ts',
    description: 'Erasure (verify mode only): counts what is left of the customer\'s exports',
    timeoutSeconds: 300,
    memoryMb: 256,
    stores: [
      { store: 'request-ledger', access: 'read' },
      { store: 'exports', access: 'read', keyPrefix: 'exports/', versions: true },
      { store: 'exports', access: 'read', keyPrefix: 'staging/', versions: true },
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'notify-processors',
    entry: 'functions/notify/notify-processors.ts',
    description: 'Art. 19 events to the recipients a request concerns (erasure, rectification, restriction, objection), recorded once per request',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [
      { store: 'audit', access: 'read', keyPrefix: 'notifications/' },
      { store: 'audit', access: 'write', keyPrefix: 'notifications/' },
      // Reads the request's type and identifiers, writes the per-recipient `sent` times.
      { store: 'request-ledger', access: 'read' },
      { store: 'request-ledger', access: 'write' },
    ],
    permissions: ['put-events'],
  },
  {
    id: 'check-acknowledgements',
    entry: 'functions/notify/check-acknowledgements.ts',
    description: 'Daily: counts Art. 19 notifications unacknowledged past DSR_NOTIFICATION_ACK_DAYS and publishes the metric',
    timeoutSeconds: 300,
    memoryMb: 256,
    stores: [{ store: 'request-ledger', access: 'read' }],
    triggers: [{ kind: 'schedule', expression: 'rate(1 day)' }],
  },
  {
    id: 'check-erasure-verification',
    entry: 'functions/erasure/check-erasure-verification.ts',
    description: 'Erasure: fails the request when verification found personal data left',
    timeoutSeconds: 30,
    memoryMb: 128,
    stores: [],
  },
  {
    id: 'issue-certificate',
    entry: 'functions/erasure/issue-certificate.ts',
    description: 'Erasure: writes the certificate of erasure to the audit bucket (once)',
    timeoutSeconds: 120,
    memoryMb: 256,
    stores: [
      { store: 'audit', access: 'read', keyPrefix: 'certificates/' },
      { store: 'audit', access: 'write', keyPrefix: 'certificates/' },
      { store: 'audit', access: 'read', keyPrefix: 'progress/' },
      { store: 'orders', access: 'read' },
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
  },
  // Rectification (issue 9, Art. 16): apply the corrections from the ledger, read them back, certify.
  {
    id: 'apply-rectification',
    entry: 'functions/rectification/apply-rectification.ts',
    description: 'Rectification: sets the corrections in the profile, the consents\' addresses and unshipped orders\' shipping address',
    timeoutSeconds: 120,
    memoryMb: 256,
    stores: [
      ...(['customer-profile', 'marketing', 'orders'] as const).flatMap((store): StoreGrant[] => [
        { store, access: 'read' },
        { store, access: 'write' },
      ]),
      { store: 'request-ledger', access: 'read' },
    ],
    // The orders' queries name the retained partition (keyed hash) too.
    secrets: ['hash-key'],
  },
  {
    id: 'verify-rectification',
    entry: 'functions/rectification/verify-rectification.ts',
    description: 'Rectification: reads every corrected store back and fails naming a store that differs',
    timeoutSeconds: 120,
    memoryMb: 256,
    stores: [
      { store: 'customer-profile', access: 'read' },
      { store: 'marketing', access: 'read' },
      { store: 'orders', access: 'read' },
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'issue-rectification-certificate',
    entry: 'functions/rectification/issue-rectification-certificate.ts',
    description: 'Rectification: writes the certificate of rectification to the audit bucket (once)',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [
      { store: 'audit', access: 'read', keyPrefix: 'certificates/' },
      { store: 'audit', access: 'write', keyPrefix: 'certificates/' },
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
  },
  // Restriction (Art. 18) and objection (Art. 21), issue 9: entries under the customer's keyed hash that
  // the processing check answers, the objected data withdrawn or deleted, read back, certified.
  {
    id: 'apply-restriction',
    entry: 'functions/processing/apply-restriction.ts',
    description: 'Restriction: records the customer\'s restriction under the keyed hash, or lifts it',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [
      { store: 'marketing-suppression', access: 'read' },
      { store: 'marketing-suppression', access: 'write' },
      { store: 'marketing-suppression', access: 'delete' },
      { store: 'request-ledger', access: 'read' },
      ...PROGRESS_LOG_GRANTS,
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'verify-restriction',
    entry: 'functions/processing/verify-restriction.ts',
    description: 'Restriction: reads the restriction back through the processing check',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [
      { store: 'marketing-suppression', access: 'read' },
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'apply-objection',
    entry: 'functions/processing/apply-objection.ts',
    description: 'Objection: records it; direct marketing: suppresses, withdraws consents, deletes segments and audiences; smart creation: deletes tracked edits',
    timeoutSeconds: 300,
    memoryMb: 256,
    stores: [
      { store: 'customer-profile', access: 'read' },
      { store: 'marketing', access: 'read' },
      { store: 'marketing', access: 'write' },
      { store: 'marketing', access: 'delete' },
      { store: 'smart-creation', access: 'read' },
      { store: 'smart-creation', access: 'delete' },
      { store: 'marketing-suppression', access: 'read' },
      { store: 'marketing-suppression', access: 'write' },
      { store: 'request-ledger', access: 'read' },
      ...PROGRESS_LOG_GRANTS,
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'verify-objection',
    entry: 'functions/processing/verify-objection.ts',
    description: 'Objection: reads the objected stores and the processing check back',
    timeoutSeconds: 120,
    memoryMb: 256,
    stores: [
      { store: 'customer-profile', access: 'read' },
      { store: 'marketing', access: 'read' },
      { store: 'smart-creation', access: 'read' },
      { store: 'marketing-suppression', access: 'read' },
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'issue-processing-certificate',
    entry: 'functions/processing/issue-processing-certificate.ts',
    description: 'Restriction and objection: writes the certificate to the audit bucket (once)',
    timeoutSeconds: 60,
    memoryMb: 256,
    stores: [
      { store: 'audit', access: 'read', keyPrefix: 'certificates/' },
      { store: 'audit', access: 'write', keyPrefix: 'certificates/' },
      { store: 'request-ledger', access: 'read' },
    ],
    secrets: ['hash-key'],
  },
  // Retention sweep (issue 10): the steps of statemachines/retention.asl.json; its work files live under `retention/` in the exports bucket, its reports in the audit bucket.
  {
    id: 'plan-retention-sweep',
    entry: 'functions/retention/plan-sweep.ts',
    description: 'Retention: collects legal holds, finds the orders and contacts past their rule, and writes the run file and segment manifest of a sweep',
    timeoutSeconds: 900,
    memoryMb: 512,
    stores: [
      { store: 'orders', access: 'read' },
      { store: 'contact-history', access: 'read' },
      // DescribeTable of every swept table: its ItemCount sizes the parallel-scan segments.
      { store: 'customer-profile', access: 'describe' },
      { store: 'orders', access: 'describe' },
      { store: 'contact-history', access: 'describe' },
      { store: 'request-ledger', access: 'describe' },
      // GetBucketVersioning of every swept bucket, once per run, for the run file.
      { store: 'call-recordings', access: 'describe' },
      { store: 'exports', access: 'write', keyPrefix: RETENTION_PREFIX },
    ],
    secrets: ['hash-key'],
  },
  {
    id: 'sweep-retention-segment',
    entry: 'functions/retention/sweep-segment.ts',
    description: 'Retention: removes what is past its rule in a batch of segments; requests the erasure of inactive accounts',
    timeoutSeconds: 900,
    memoryMb: 512,
    stores: [
      // Contacts and retained invoices past their rule are deleted by key, from the planner's expired-records files.
      { store: 'contact-history', access: 'delete' },
      // Orders are read for an inactive account's latest order.
      { store: 'orders', access: 'read' },
      { store: 'orders', access: 'delete' },
      { store: 'call-recordings', access: 'read', versions: true },
      { store: 'call-recordings', access: 'delete', versions: true },
      // Final records past their period are deleted; an inactive account's erasure request is created like the API does.
      { store: 'request-ledger', access: 'read-write' },
      { store: 'customer-profile', access: 'read' },
      { store: 'exports', access: 'read', keyPrefix: RETENTION_PREFIX },
    ],
    permissions: ['start-executions'],
    secrets: ['hash-key'],
  },
  {
    id: 'write-retention-report',
    entry: 'functions/retention/write-report.ts',
    description: 'Retention: sums the Map run results into the run report and publishes per-store metrics',
    timeoutSeconds: 300,
    memoryMb: 256,
    stores: [
      // The Map's result files (work files, exports bucket) in; the report (audit bucket) out.
      { store: 'exports', access: 'read', keyPrefix: RETENTION_PREFIX },
      { store: 'audit', access: 'write', keyPrefix: RETENTION_PREFIX },
    ],
  },
  {
    id: 'record-retention-failure',
    entry: 'functions/retention/record-failure.ts',
    description: 'Retention: writes the report of a failed sweep',
    timeoutSeconds: 60,
    memoryMb: 128,
    stores: [{ store: 'audit', access: 'write', keyPrefix: RETENTION_PREFIX }],
  },
];

/** The catalog entry with the given id; throws for an unknown id. */
export function getFunction(id: string): FunctionSpec {
  const spec = FUNCTIONS.find((candidate) => candidate.id === id);
  if (!spec) throw new Error(`Unknown function "${id}"`);
  return spec;
}

/** PascalCase of a kebab-case id (`record-failure` → `RecordFailure`). */
export function pascalCase(id: string): string {
  return id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The ASL placeholder name for a function's ARN (`record-failure` → `RecordFailureFunctionArn`). */
export function functionArnPlaceholder(id: string): string {
  return `${pascalCase(id)}FunctionArn`;
}

/** The `${...}` placeholder names used in an ASL definition text. */
export function placeholdersIn(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]!))].sort();
}

/**
 * Definition substitutions for an ASL text: each `${XFunctionArn}` placeholder maps to the ARN of the
 * catalog function whose id is the kebab-case of X. Throws for a placeholder with no function.
 */
export function substitutionsFor(
  definition: string,
  arnOf: (functionId: string) => string,
  catalog: readonly FunctionSpec[] = FUNCTIONS,
): Record<string, string> {
  const substitutions: Record<string, string> = {};
  for (const placeholder of placeholdersIn(definition)) {
    const spec = catalog.find((candidate) => functionArnPlaceholder(candidate.id) === placeholder);
    if (!spec) throw new Error(`ASL placeholder \${${placeholder}} names no catalog function`);
    substitutions[placeholder] = arnOf(spec.id);
  }
  return substitutions;
}
