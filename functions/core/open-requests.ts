import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, RequestConflict } from './errors';
import type { RequestType } from './ledger';

/**
 * One open request per customer and type. The `byCustomer` index is eventually consistent, so the
 * rule is held by a marker item in the ledger table (`requestId = "open#<type>#<customerKey>"`, which
 * no request id can be: the API's id pattern has no `#`), naming the open request in `holder`. A new
 * request takes the marker with a conditional put before its record is written; the marker is released
 * when its holder reaches a final status. A marker whose holder is final, or missing for longer than
 * `STALE_MARKER_SECONDS` (a create that crashed between the two writes and was never retried), is taken
 * over with an update conditional on the old holder. Markers carry no `customerKey` or `status`, so
 * neither index holds them.
 */

/** Request id prefix of marker items. */
export const OPEN_MARKER_PREFIX = 'open#';

/**
 * How long a marker whose holder has no record yet still counts as held: longer than the API
 * function's timeout, so a create still between its two writes is never overtaken.
 */
export const STALE_MARKER_SECONDS = 120;

/** How many times a claim is retried while other creates or releases change the marker. */
const MAX_CLAIM_ATTEMPTS = 8;

/** A marker item as stored in the ledger table. */
export interface OpenMarker {
  requestId: string;
  /** The open request's id. */
  holder: string;
  claimedAt: string;
}

/** What claiming a marker needs: the ledger table and a clock. */
export interface OpenMarkerDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}

/** Where the request a marker names stands: still open, final, or without a record. */
export type HolderState = 'open' | 'final' | 'missing';

/** Outcome of a claim: taken for the request, or held by another open request. */
export type OpenClaim = { claimed: true } | { claimed: false; openRequestId: string };

/** The marker id of a customer (keyed hash) and request type. */
export function openMarkerId(type: RequestType, customerKey: string): string {
  return `${OPEN_MARKER_PREFIX}${type}#${customerKey}`;
}

/**
 * Takes the marker of the request's customer and type for `request.requestId`. A marker it already
 * holds counts as taken, so a create retried after a crash between the marker and the record succeeds.
 */
export async function claimOpenMarker(
  deps: OpenMarkerDeps,
  request: { requestId: string; type: RequestType; customerKey: string },
  holderState: (requestId: string) => Promise<HolderState>,
): Promise<OpenClaim> {
  const key = { requestId: openMarkerId(request.type, request.customerKey) };
  for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
    const now = deps.now ? deps.now() : new Date();
    try {
      await deps.doc.send(
        new PutCommand({
          TableName: deps.tableName,
          Item: { ...key, holder: request.requestId, claimedAt: now.toISOString() } satisfies OpenMarker,
          ConditionExpression: 'attribute_not_exists(requestId) OR holder = :holder',
          ExpressionAttributeValues: { ':holder': request.requestId },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const marker = (await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }))).Item as OpenMarker | undefined;
    if (!marker) continue;
    const state = await holderState(marker.holder);
    const stale = state === 'final' || (state === 'missing' && now.getTime() - Date.parse(marker.claimedAt) >= STALE_MARKER_SECONDS * 1000);
    if (!stale) return { claimed: false, openRequestId: marker.holder };
    try {
      await deps.doc.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: key,
          UpdateExpression: 'SET holder = :holder, claimedAt = :now',
          ConditionExpression: 'holder = :previous',
          ExpressionAttributeValues: { ':holder': request.requestId, ':now': now.toISOString(), ':previous': marker.holder },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new RequestConflict(`Request ${request.requestId}: too many concurrent requests of this customer and type`);
}

/**
 * Releases the marker of a request that reached a final status, conditional on it still being the
 * holder. Best effort: a marker left behind names a final request, and the next create takes it over.
 */
export async function releaseOpenMarker(deps: OpenMarkerDeps, request: { requestId: string; type: RequestType; customerKey: string }): Promise<void> {
  try {
    await deps.doc.send(
      new DeleteCommand({
        TableName: deps.tableName,
        Key: { requestId: openMarkerId(request.type, request.customerKey) },
        ConditionExpression: 'holder = :holder',
        ExpressionAttributeValues: { ':holder': request.requestId },
      }),
    );
  } catch {
    // Not the holder (or the write failed): the marker is stale and self-heals on the next create.
  }
}
