import { randomUUID } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { CreateRequestBody, ListRequestsQuery } from './api-contract';
import { removeExportData } from './erasure/exports';
import { deadlineState, DUE_SOON_DAYS } from './deadlines';
import { archiveKey } from './export/layout';
import { keyedHash } from './keyed-hash';
import { BrandMismatch, ConfigurationError, CustomerErased, DownloadNotFound, DuplicateRequest, InvalidStatusTransition, RequestConflict, RequestNotReady } from './errors';
import { newRequestRecord, type Ledger, type RecipientNotificationState, type RequestRecord, type RequestType, type StoreProgress } from './ledger';
import { normaliseCorrections } from './rectification/corrections';
import { FUNCTION_SETTINGS } from './settings';
import { stopExecution } from './lifecycle';
import type { WorkflowInput } from './workflow-input';

/**
 * The request API's core: create (idempotent by request id), read, list, cancel and download. A new
 * request is refused when the customer's profile names another brand, or when the customer has an
 * open request of the same type (the ledger's open marker, taken before the record is written). It
 * writes the ledger record (conditional put) and then starts the workflow execution named after
 * the request id; a retry with the same body starts a missing execution again, which Step Functions
 * treats as idempotent for the same name and input.
 */

/**
 * Number of volumes of a completed export: the result's `volumeCount`; for a record completed before
 * the result became a count (it listed `volumes`, same keys), the length of that list.
 */
export function exportVolumeCount(result: Record<string, unknown> | undefined): number {
  if (typeof result?.volumeCount === 'number') return result.volumeCount;
  return Array.isArray(result?.volumes) ? result.volumes.length : 0;
}

/** The Step Functions execution input of a request (`workflowInputSchema`): never the customer id. */
export type ExecutionInput = WorkflowInput;

/** A request as the API returns it: the record without its internal fields, per-store progress as a list. */
export type RequestView = Omit<RequestRecord, 'bodyHash' | 'version' | 'stores' | 'corrections' | 'notifications'> & {
  stores: ({ store: string } & StoreProgress)[];
  /** Art. 19 notifications, by recipient id. */
  notifications?: ({ recipient: string } & RecipientNotificationState)[];
};

/** What the request API core needs. */
export interface RequestsDeps {
  ledger: Ledger;
  sfn: SFNClient;
  s3: S3Client;
  /** Reads the customer's profile (its brand) from the `customer-profile` table. */
  doc: DynamoDBDocumentClient;
  customerProfileTable: string;
  /** Computes the keyed hash of a customer id. */
  customerKey: (customerId: string) => string;
  exportStateMachineArn: string;
  erasureStateMachineArn: string;
  /** The state machine ARNs of the other request types' workflows, by type (`WORKFLOWS`). */
  stateMachineArns?: Partial<Record<RequestType, string>>;
  /** Hours a consent withdrawal is due after receipt (`DSR_CONSENT_WITHDRAWAL_TARGET_HOURS`, default 72). */
  consentWithdrawalTargetHours?: number;
  /** Erasure cooling-off in seconds (`DSR_ERASURE_COOLING_OFF_SECONDS`). */
  coolingOffSeconds: number;
  exportsBucket: string;
  /** Key of the keyed hashes in archive keys and body hashes (`DSR_HASH_KEY`); default from the environment. */
  hashKey?: string;
  /** Presigned URL lifetime (`DSR_DOWNLOAD_URL_TTL_SECONDS`, default 900). */
  downloadUrlTtlSeconds: number;
  /** The environment the exports bucket name and hash key are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** The API view of a record (per-store progress as a sorted list; no body hash, version or corrections). */
export function toView(record: Omit<RequestRecord, 'customerId' | 'callbackUrl'> & Partial<Pick<RequestRecord, 'customerId' | 'callbackUrl'>>): RequestView {
  const { bodyHash: _bodyHash, version: _version, corrections: _corrections, stores, notifications, ...rest } = record;
  return {
    ...rest,
    stores: Object.entries(stores ?? {})
      .map(([store, progress]) => ({ store, ...progress }))
      .sort((left, right) => left.store.localeCompare(right.store)),
    ...(notifications
      ? { notifications: Object.entries(notifications).map(([recipient, state]) => ({ recipient, ...state })).sort((left, right) => left.recipient.localeCompare(right.recipient)) }
      : {}),
  };
}

/** A value with the keys of every object in it sorted (arrays keep their order). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).sort(([left], [right]) => left.localeCompare(right)).map(([key, entry]) => [key, canonical(entry)]));
}

/**
 * The keyed hash (HMAC-SHA256, namespace `request-body`) of the canonical body (keys sorted at every
 * level, e.g. in `verification`; request id excluded): equal bodies, equal hashes. Keyed because it
 * outlives the request and an unkeyed hash of a body holding an email could be guessed back.
 */
export function bodyHash(body: CreateRequestBody, key?: string): string {
  const { requestId: _requestId, ...fields } = body;
  return keyedHash('request-body', JSON.stringify(canonical(fields)), key);
}

/** The execution input of a record; deterministic, so a repeated StartExecution is idempotent. */
export function executionInput(record: RequestRecord): ExecutionInput {
  if (!record.customerId) throw new InvalidStatusTransition(`Request ${record.requestId} no longer holds a customer id`);
  return {
    requestId: record.requestId,
    type: record.type,
    brand: record.brand,
    ...(record.notBefore ? { notBefore: record.notBefore } : {}),
  };
}

/** The state machine ARN for a request type. */
function stateMachineArn(deps: RequestsDeps, type: RequestRecord['type']): string {
  if (type === 'export') return deps.exportStateMachineArn;
  if (type === 'erasure') return deps.erasureStateMachineArn;
  const arn = deps.stateMachineArns?.[type];
  if (!arn) throw new ConfigurationError(`No state machine ARN is configured for ${type} requests`);
  return arn;
}

/** The default of `DSR_CONSENT_WITHDRAWAL_TARGET_HOURS`, from its one declaration. */
const DEFAULT_CONSENT_WITHDRAWAL_TARGET_HOURS: number = FUNCTION_SETTINGS.consentWithdrawalTargetHours.schema.parse(undefined);

/** The due date of a request received at `now`: a consent withdrawal's target hours later ("as soon as possible"); undefined (one month) for the others. */
function dueAtOf(deps: Pick<RequestsDeps, 'consentWithdrawalTargetHours'>, type: RequestType, now: Date): Date | undefined {
  if (type !== 'consent-withdrawal') return undefined;
  return new Date(now.getTime() + (deps.consentWithdrawalTargetHours ?? DEFAULT_CONSENT_WITHDRAWAL_TARGET_HOURS) * 3_600_000);
}

/** Starts the record's execution (name = request id) unless it already has one; returns the record. */
async function ensureExecution(deps: RequestsDeps, record: RequestRecord): Promise<RequestRecord> {
  if (record.executionArn || record.status !== 'pending') return record;
  const response = await deps.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: stateMachineArn(deps, record.type),
      name: record.requestId,
      input: JSON.stringify(executionInput(record)),
    }),
  );
  return deps.ledger.setExecutionArn(record.requestId, response.executionArn!);
}

/** Throws `BrandMismatch` when the customer's profile names another brand; without a profile the request proceeds. */
async function assertBrandMatches(deps: Pick<RequestsDeps, 'doc' | 'customerProfileTable'>, body: CreateRequestBody): Promise<void> {
  const response = await deps.doc.send(
    new GetCommand({
      TableName: deps.customerProfileTable,
      Key: { customerId: body.customerId },
      ConsistentRead: true,
      ProjectionExpression: '#brand',
      ExpressionAttributeNames: { '#brand': 'brand' },
    }),
  );
  const profileBrand = response.Item?.brand as string | undefined;
  if (profileBrand !== undefined && profileBrand !== body.brand) {
    throw new BrandMismatch(`The customer belongs to brand ${profileBrand}, but the request names brand ${body.brand}`);
  }
}

/** The answer to a request id that is already stored: its record (execution started) or `RequestConflict`. */
async function existingRequest(deps: RequestsDeps, record: RequestRecord, hash: string): Promise<{ view: RequestView; created: boolean }> {
  if (record.bodyHash !== hash) throw new RequestConflict(`Request ${record.requestId} already exists with a different body`);
  return { view: toView(await ensureExecution(deps, record)), created: false };
}

/**
 * Creates a request (202 semantics) for the calling principal `caller` (recorded on the record): a new
 * id checks the brand (`BrandMismatch`) and takes the open marker (`DuplicateRequest` naming the open
 * request), then writes the record and starts the workflow; the same id with the same body returns the
 * stored record (starting its execution if a crash left it unstarted); the same id with a different
 * body → `RequestConflict`.
 */
export async function createRequest(deps: RequestsDeps, body: CreateRequestBody, caller?: string): Promise<{ view: RequestView; created: boolean }> {
  const now = deps.now ? deps.now() : new Date();
  const hash = bodyHash(body, deps.hashKey);
  const requestId = body.requestId ?? randomUUID();
  const stored = body.requestId ? await deps.ledger.find(requestId) : undefined;
  if (stored) return existingRequest(deps, stored, hash);
  await assertBrandMatches(deps, body);
  const candidate = newRequestRecord({
    requestId,
    type: body.type,
    customerId: body.customerId,
    customerKey: deps.customerKey(body.customerId),
    brand: body.brand,
    bodyHash: hash,
    receivedAt: now,
    notBefore: body.type === 'erasure' ? new Date(now.getTime() + deps.coolingOffSeconds * 1000).toISOString() : undefined,
    verification: body.verification,
    caller,
    callbackUrl: body.callbackUrl,
    locale: body.locale,
    dueAt: dueAtOf(deps, body.type, now),
    corrections: body.type === 'rectification' ? normaliseCorrections(body.corrections) : undefined,
    restriction: body.type === 'restriction' ? { action: body.action, scope: body.scope, ...(body.ground ? { ground: body.ground } : {}) } : undefined,
    objection: body.type === 'objection' ? { purpose: body.purpose } : undefined,
  });
  const claim = await deps.ledger.claimOpen(candidate);
  if (!claim.claimed) {
    throw new DuplicateRequest(`The customer already has an open ${body.type} request ${claim.openRequestId}`, claim.openRequestId);
  }
  const { record, created } = await deps.ledger.create(candidate);
  return created ? { view: toView(await ensureExecution(deps, record)), created } : existingRequest(deps, record, hash);
}

/** The view of one request; `RequestNotFound` for an unknown id. */
export async function getRequest(deps: Pick<RequestsDeps, 'ledger'>, requestId: string): Promise<RequestView> {
  return toView(await deps.ledger.get(requestId));
}

/**
 * Lists requests by customer and/or status, or (`overdue`) the open ones past their due date or due soon
 * by the deadline check's rule for their type (`deadlineState`: 5 days; 24 hours for a consent withdrawal).
 */
export async function listRequests(
  deps: Pick<RequestsDeps, 'ledger' | 'customerKey' | 'now'>,
  query: ListRequestsQuery,
): Promise<{ items: RequestView[]; nextToken?: string }> {
  const now = deps.now ? deps.now() : new Date();
  const page = await deps.ledger.list({
    customerKey: query.customerId ? deps.customerKey(query.customerId) : undefined,
    status: query.status,
    dueBefore: query.overdue === 'true' ? new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000).toISOString() : undefined,
    limit: query.limit,
    nextToken: query.nextToken,
  });
  const items = query.overdue === 'true' ? page.items.filter((record) => deadlineState(record.type, record.dueAt, now) !== undefined) : page.items;
  return { items: items.map(toView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

/** Statuses a request can be cancelled in (a running one only when it is an export; a held one has erased nothing yet). */
const CANCELLABLE_STATUSES: readonly RequestRecord['status'][] = ['pending', 'on_hold', 'in_progress'];

/** Why a running request of a type other than export cannot be cancelled. */
function notCancellableWhileRunning(record: RequestRecord): string {
  return record.type === 'erasure'
    ? 'it has started erasing (its cooling-off is over), and an erasure partly done cannot be undone; let it finish'
    : 'only a running export can be stopped; let it finish';
}

/** Throws `InvalidStatusTransition` with the reason unless `record` may be cancelled (or already is). */
function assertCancellable(record: RequestRecord): void {
  if (record.status !== 'cancelled' && !CANCELLABLE_STATUSES.includes(record.status)) {
    throw new InvalidStatusTransition(`Request ${record.requestId} is ${record.status}; only a pending or held request or a running export can be cancelled`);
  }
  if (record.status === 'in_progress' && record.type !== 'export') {
    throw new InvalidStatusTransition(`Request ${record.requestId} (${record.type}) is in progress and cannot be cancelled: ${notCancellableWhileRunning(record)}`);
  }
}

/** The running executions of an export: its first one and any replay (`<requestId>-replay-<n>`). */
async function runningExecutions(deps: Pick<RequestsDeps, 'sfn' | 'exportStateMachineArn'>, record: RequestRecord): Promise<string[]> {
  const arns = new Set(record.executionArn ? [record.executionArn] : []);
  let nextToken: string | undefined;
  do {
    const page = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn: deps.exportStateMachineArn, statusFilter: 'RUNNING', nextToken, maxResults: 1000 }));
    for (const execution of page.executions ?? []) {
      if (execution.name === record.requestId || execution.name?.startsWith(`${record.requestId}-`)) arns.add(execution.executionArn!);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return [...arns];
}

/**
 * Cancels a pending request or a running export (`InvalidStatusTransition` with the reason otherwise,
 * e.g. an erasure that has started). The status moves first, so a step still running can no longer
 * complete the request or record progress, and a replay ends at `Nothing To Do`; then the execution is
 * stopped and, for an export, its staging data and volumes are removed. A repeated cancel (say after the
 * status event could not be put) stops and removes again, which also removes what a task that was
 * mid-flight at the stop wrote afterwards.
 */
export async function cancelRequest(
  deps: Pick<RequestsDeps, 'ledger' | 'sfn' | 's3' | 'exportStateMachineArn' | 'env'>,
  requestId: string,
): Promise<RequestView> {
  const current = await deps.ledger.get(requestId);
  assertCancellable(current);
  // Checked again by the write itself: a workflow that marked the request in progress since the read wins.
  const from = current.type === 'export' ? CANCELLABLE_STATUSES : (['pending', 'on_hold'] as const);
  const { record } = await deps.ledger.transition(requestId, 'cancelled', { from }).catch(async (error: unknown) => {
    if (error instanceof InvalidStatusTransition) assertCancellable(await deps.ledger.get(requestId));
    throw error;
  });
  const executions = record.type === 'export' ? await runningExecutions(deps, record) : record.executionArn ? [record.executionArn] : [];
  for (const executionArn of executions) await stopExecution(deps.sfn, executionArn, 'RequestCancelled', 'Cancelled through the API');
  if (record.type === 'export') await removeExportData({ s3: deps.s3, env: deps.env }, requestId);
  return toView(record);
}

/** A freshly presigned GetObject URL for one volume of a completed export (its key derived from the layout, no S3 read). */
export async function downloadUrl(
  deps: Pick<RequestsDeps, 'ledger' | 's3' | 'exportsBucket' | 'downloadUrlTtlSeconds' | 'hashKey'>,
  requestId: string,
  volume: number,
): Promise<string> {
  const record = await deps.ledger.get(requestId);
  if (record.type !== 'export') throw new RequestNotReady(`Request ${requestId} is an ${record.type}, not an export`);
  if (record.erasedBy) throw new CustomerErased(`The customer's data was erased by request ${record.erasedBy}; export ${requestId} is gone`);
  if (record.status !== 'completed') throw new RequestNotReady(`Request ${requestId} is ${record.status}; the export is not ready`);
  const count = exportVolumeCount(record.result);
  if (volume > count) throw new DownloadNotFound(`Request ${requestId} has ${count} volume(s); volume ${volume} does not exist`);
  return getSignedUrl(
    deps.s3,
    new GetObjectCommand({
      Bucket: deps.exportsBucket,
      Key: archiveKey(requestId, volume, deps.hashKey),
      ResponseContentDisposition: `attachment; filename="dsr-export-${requestId}-${volume}.zip"`,
    }),
    { expiresIn: deps.downloadUrlTtlSeconds },
  );
}
