import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { REQUEST_STATUSES, statusEventId, type Ledger, type RequestEventDetail } from './ledger';
import { toView } from './requests';

/**
 * Status callbacks: on every `Request Status Changed` event, POST the request (as the API shows it,
 * at the status of the event) to the request's `callbackUrl`, signed with
 * `X-DSR-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. Retried with exponential backoff and
 * full jitter; a callback that keeps failing is logged and given up, never failing the request.
 * Status events are delivered at least once, so a callback can repeat: `X-DSR-Event-Id`
 * (`<requestId>:<version>`) is the receiver's idempotency key.
 */

/** The EventBridge event a callback is delivered for (detail = record without customer id/callback URL). */
export const statusChangedEvent = z.object({
  source: z.literal('dsr.request'),
  'detail-type': z.literal('Request Status Changed'),
  detail: z.looseObject({ requestId: z.string().min(1), status: z.enum(REQUEST_STATUSES), version: z.number().int().positive() }),
});

/** Name of the signature header. */
export const SIGNATURE_HEADER = 'X-DSR-Signature';

/** Name of the header carrying the status event's id (`statusEventId`), the same on a repeated delivery. */
export const EVENT_ID_HEADER = 'X-DSR-Event-Id';

/** The signature header value for a raw body. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What delivery needs. */
export interface CallbackDeps {
  ledger: Ledger;
  /** HMAC secret (`DSR_CALLBACK_SECRET`). */
  secret: string;
  fetch: typeof fetch;
  /** Attempts in all (`DSR_CALLBACK_MAX_ATTEMPTS`, default 5). */
  maxAttempts: number;
  /** First backoff delay in ms, doubled per attempt (`DSR_CALLBACK_BASE_DELAY_MS`, default 1000). */
  baseDelayMs: number;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

/** Outcome of a delivery. */
export interface CallbackOutcome {
  requestId: string;
  status: string;
  delivered: boolean;
  attempts: number;
  /** Why nothing was sent, or the last failure. */
  reason?: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delivers the callback for one status-change event (no-op when the request has no callback URL). */
export async function deliverCallback(deps: CallbackDeps, event: z.infer<typeof statusChangedEvent>): Promise<CallbackOutcome> {
  const detail = event.detail as unknown as RequestEventDetail;
  const record = await deps.ledger.find(detail.requestId);
  const base = { requestId: detail.requestId, status: detail.status };
  if (!record?.callbackUrl) return { ...base, delivered: false, attempts: 0, reason: 'no callbackUrl' };
  if (!deps.secret) return { ...base, delivered: false, attempts: 0, reason: 'DSR_CALLBACK_SECRET is not configured' };
  const body = JSON.stringify(toView(detail));
  const signature = signBody(body, deps.secret);
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  let reason = '';
  for (let attempt = 1; attempt <= deps.maxAttempts; attempt += 1) {
    try {
      const response = await deps.fetch(record.callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signature,
          [EVENT_ID_HEADER]: statusEventId(detail),
          'X-DSR-Request-Id': detail.requestId,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) return { ...base, delivered: true, attempts: attempt };
      reason = `HTTP ${response.status}`;
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        return { ...base, delivered: false, attempts: attempt, reason };
      }
    } catch (error) {
      reason = error instanceof Error ? error.name : 'unknown error';
    }
    if (attempt < deps.maxAttempts) await sleep(Math.round(random() * deps.baseDelayMs * 2 ** (attempt - 1)));
  }
  return { ...base, delivered: false, attempts: deps.maxAttempts, reason };
}
