import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deliverCallback, signBody, statusChangedEvent, type CallbackDeps } from '../../functions/core/callback';
import { customerKey } from '../../functions/core/keyed-hash';
import { eventDetail, type Ledger, type RequestRecord } from '../../functions/core/ledger';
import { startLedgerTable, type LedgerTable } from './helpers/ledger-table';

const SECRET = 'callback-secret-for-tests';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver answering with the given status codes in turn (200 once they run out). */
async function startReceiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    response.writeHead(statuses.shift() ?? 200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

function record(callbackUrl?: string): RequestRecord {
  return {
    requestId: 'r1',
    type: 'export',
    customerId: 'c1',
    customerKey: customerKey('c1', 'k'.repeat(40)),
    brand: 'bonusprint',
    status: 'completed',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:05:00.000Z',
    dueAt: '2025-02-01T00:00:00.000Z',
    bodyHash: 'hash',
    stores: { orders: { phase: 'collect', status: 'completed', items: 2, bytes: 10, updatedAt: '2025-01-01T00:01:00.000Z' } },
    result: { volumes: [] },
    version: 3,
    ...(callbackUrl ? { callbackUrl } : {}),
  };
}

describe('deliverCallback', () => {
  let table: LedgerTable;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  const sleeps: number[] = [];

  beforeEach(async () => {
    table = await startLedgerTable();
    sleeps.length = 0;
  });

  afterEach(async () => {
    receiver?.server.close();
    receiver = undefined;
    await table.close();
  });

  function deps(overrides: Partial<CallbackDeps> = {}): CallbackDeps {
    return {
      ledger: table.ledger,
      secret: SECRET,
      fetch,
      maxAttempts: 4,
      baseDelayMs: 100,
      timeoutMs: 5_000,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
      ...overrides,
    };
  }

  const eventFor = (stored: RequestRecord) => ({ source: 'dsr.request' as const, 'detail-type': 'Request Status Changed' as const, detail: eventDetail(stored) });

  it('POSTs the record signed with an HMAC-SHA256 of the raw body, with the event id as idempotency key', async () => {
    // Arrange
    receiver = await startReceiver([]);
    const stored = record(receiver.url);
    await table.ledger.create(stored);

    // Act
    const outcome = await deliverCallback(deps(), eventFor(stored));

    // Assert
    expect(outcome).toMatchObject({ delivered: true, attempts: 1, status: 'completed' });
    const [delivery] = receiver.received;
    const expected = `sha256=${createHmac('sha256', SECRET).update(delivery!.body).digest('hex')}`;
    expect(delivery!.headers['x-dsr-signature']).toBe(expected);
    expect(signBody(delivery!.body, SECRET)).toBe(expected);
    expect(delivery!.headers['x-dsr-event-id']).toBe('r1:3');
    const body = JSON.parse(delivery!.body);
    expect(body).toMatchObject({ requestId: 'r1', status: 'completed', stores: [{ store: 'orders', items: 2 }] });
    expect(body).not.toHaveProperty('customerId');
    expect(body).not.toHaveProperty('bodyHash');
  });

  it('retries 5xx answers with exponential backoff and then delivers', async () => {
    // Arrange
    receiver = await startReceiver([503, 502]);
    const stored = record(receiver.url);
    await table.ledger.create(stored);

    // Act
    const outcome = await deliverCallback(deps(), eventFor(stored));

    // Assert
    expect(outcome).toMatchObject({ delivered: true, attempts: 3 });
    expect(receiver.received).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up after the last attempt without throwing, leaving the request untouched', async () => {
    // Arrange
    receiver = await startReceiver([500, 500, 500, 500]);
    const stored = record(receiver.url);
    await table.ledger.create(stored);

    // Act
    const outcome = await deliverCallback(deps(), eventFor(stored));

    // Assert
    expect(outcome).toMatchObject({ delivered: false, attempts: 4, reason: 'HTTP 500' });
    expect((await table.ledger.get('r1')).status).toBe('completed');
  });

  it('does not retry a 4xx rejection, and retries unreachable receivers', async () => {
    // Arrange
    receiver = await startReceiver([410]);
    const rejected = record(receiver.url);
    await table.ledger.create(rejected);
    const unreachable = { ...record('http://127.0.0.1:9/hook'), requestId: 'r2' };
    await table.ledger.create(unreachable);

    // Act
    const gone = await deliverCallback(deps(), eventFor(rejected));
    const down = await deliverCallback(deps({ maxAttempts: 2 }), eventFor(unreachable));

    // Assert
    expect(gone).toMatchObject({ delivered: false, attempts: 1, reason: 'HTTP 410' });
    expect(down).toMatchObject({ delivered: false, attempts: 2 });
  });

  it('sends nothing for a request without a callback URL', async () => {
    // Arrange
    const stored = record();
    await table.ledger.create(stored);

    // Act
    const outcome = await deliverCallback(deps(), eventFor(stored));

    // Assert
    expect(outcome).toMatchObject({ delivered: false, attempts: 0, reason: 'no callbackUrl' });
  });
});

describe('signBody (known answers)', () => {
  // Computed once with `printf '%s' '<body>' | openssl dgst -sha256 -hmac callback-secret`: receivers
  // verify this exact value, so any change to the signature scheme fails here.
  it.each([
    ['{"requestId":"r-1","status":"COMPLETED"}', 'sha256=30ad01b29f5e2502fb80737b7af4a06517aaa8d2758829a99813b7c09aa6a5ab'],
    ['{"name":"Zoë"}', 'sha256=236978576e46b51213fe2c7da77ed55980d17eb6e220c3302fc9ad83411fb190'],
  ])('signs %j as %s (UTF-8 body)', (body, expected) => {
    expect(signBody(body, 'callback-secret')).toBe(expected);
  });
});

describe('deliverCallback (answers, headers and backoff, with a fake fetch)', () => {
  const sleeps: number[] = [];

  /** Delivery deps over a ledger holding `stored` and a fetch answering `statuses` in turn (a thrown value is thrown). */
  function fakeDeps(stored: RequestRecord | undefined, answers: (number | unknown)[], overrides: Partial<CallbackDeps> = {}) {
    const calls: { url: string; init: RequestInit }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const answer = answers.shift() ?? 200;
      if (typeof answer !== 'number') throw answer;
      return new Response(null, { status: answer });
    }) as unknown as typeof fetch;
    const deps: CallbackDeps = {
      ledger: { find: async () => stored } as unknown as Ledger,
      secret: SECRET,
      fetch: fakeFetch,
      maxAttempts: 4,
      baseDelayMs: 100,
      timeoutMs: 5_000,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.25,
      ...overrides,
    };
    return { deps, calls };
  }

  const eventOf = (stored: RequestRecord) => ({ source: 'dsr.request' as const, 'detail-type': 'Request Status Changed' as const, detail: eventDetail(stored) });

  beforeEach(() => {
    sleeps.length = 0;
  });

  it('POSTs JSON with the signature, event id and request id headers, never following a redirect, within the timeout', async () => {
    const stored = record('https://portal.example/hook');
    const { deps, calls } = fakeDeps(stored, [204]);

    const outcome = await deliverCallback(deps, eventOf(stored));

    expect(outcome).toStrictEqual({ requestId: 'r1', status: 'completed', delivered: true, attempts: 1 });
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe('https://portal.example/hook');
    expect(init.method).toBe('POST');
    expect(init.redirect).toBe('manual');
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(init.headers).toEqual({
      'content-type': 'application/json',
      'X-DSR-Signature': signBody(init.body as string, SECRET),
      'X-DSR-Event-Id': 'r1:3',
      'X-DSR-Request-Id': 'r1',
    });
  });

  it.each([408, 429, 500, 503, 302])('retries an HTTP %i answer', async (status) => {
    const stored = record('https://portal.example/hook');
    const { deps, calls } = fakeDeps(stored, [status]);

    const outcome = await deliverCallback(deps, eventOf(stored));

    expect(outcome).toMatchObject({ delivered: true, attempts: 2 });
    expect(calls).toHaveLength(2);
  });

  it.each([400, 401, 404, 499])('gives up at once on an HTTP %i answer', async (status) => {
    const stored = record('https://portal.example/hook');
    const { deps, calls } = fakeDeps(stored, [status]);

    const outcome = await deliverCallback(deps, eventOf(stored));

    expect(outcome).toStrictEqual({ requestId: 'r1', status: 'completed', delivered: false, attempts: 1, reason: `HTTP ${status}` });
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('backs off base × 2^(attempt-1) × random between attempts, never after the last, and reports the last failure', async () => {
    const stored = record('https://portal.example/hook');
    const { deps } = fakeDeps(stored, [500, new TypeError('fetch failed'), 503, 'not an error']);

    const outcome = await deliverCallback(deps, eventOf(stored));

    expect(outcome).toStrictEqual({ requestId: 'r1', status: 'completed', delivered: false, attempts: 4, reason: 'unknown error' });
    expect(sleeps).toEqual([25, 50, 100]);
  });

  it('names the error of a failed attempt', async () => {
    const stored = record('https://portal.example/hook');
    const { deps } = fakeDeps(stored, [new TypeError('fetch failed')], { maxAttempts: 1 });

    const outcome = await deliverCallback(deps, eventOf(stored));

    expect(outcome).toStrictEqual({ requestId: 'r1', status: 'completed', delivered: false, attempts: 1, reason: 'TypeError' });
  });

  it('sends nothing without a secret, or for a request the ledger does not know', async () => {
    const stored = record('https://portal.example/hook');
    const unsigned = fakeDeps(stored, [], { secret: '' });
    const unknown = fakeDeps(undefined, []);

    const withoutSecret = await deliverCallback(unsigned.deps, eventOf(stored));
    const withoutRecord = await deliverCallback(unknown.deps, eventOf(stored));

    expect(withoutSecret).toStrictEqual({ requestId: 'r1', status: 'completed', delivered: false, attempts: 0, reason: 'DSR_CALLBACK_SECRET is not configured' });
    expect(withoutRecord).toStrictEqual({ requestId: 'r1', status: 'completed', delivered: false, attempts: 0, reason: 'no callbackUrl' });
    expect(unsigned.calls).toHaveLength(0);
  });
});

describe('deliverCallback (defaults and contract)', () => {
  it('waits between attempts with a real timer by default', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const stored = record('https://portal.example/hook');
      const answers = [500, 200];
      const deps: CallbackDeps = {
        ledger: { find: async () => stored } as unknown as Ledger,
        secret: SECRET,
        fetch: (async () => new Response(null, { status: answers.shift() })) as unknown as typeof fetch,
        maxAttempts: 2,
        baseDelayMs: 1_000,
        timeoutMs: 5_000,
        random: () => 0.5,
      };

      let settled = false;
      const delivering = deliverCallback(deps, { source: 'dsr.request', 'detail-type': 'Request Status Changed', detail: eventDetail(stored) }).finally(() => (settled = true));
      await vi.advanceTimersByTimeAsync(499);
      const early = settled;
      await vi.advanceTimersByTimeAsync(1);
      const outcome = await delivering;

      expect(early).toBe(false);
      expect(outcome).toMatchObject({ delivered: true, attempts: 2 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('makes no attempt and reports no failure when no attempt is allowed', async () => {
    const stored = record('https://portal.example/hook');
    const deps = { ledger: { find: async () => stored } as unknown as Ledger, secret: SECRET, fetch, maxAttempts: 0, baseDelayMs: 1, timeoutMs: 1 };

    const outcome = await deliverCallback(deps, { source: 'dsr.request', 'detail-type': 'Request Status Changed', detail: eventDetail(stored) });

    expect(outcome).toStrictEqual({ requestId: 'r1', status: 'completed', delivered: false, attempts: 0, reason: '' });
  });

  it('accepts only status-change events of the request source with an id, a status and a version', () => {
    const event = { source: 'dsr.request', 'detail-type': 'Request Status Changed', detail: { requestId: 'r1', status: 'completed', version: 3, extra: 1 } };

    expect(statusChangedEvent.parse(event)).toStrictEqual(event);
    for (const bad of [
      { ...event, source: 'other' },
      { ...event, 'detail-type': 'Other' },
      { ...event, detail: { status: 'completed', version: 3 } },
      { ...event, detail: { requestId: '', status: 'completed', version: 3 } },
      { ...event, detail: { requestId: 'r1', status: 'done', version: 3 } },
      { ...event, detail: { requestId: 'r1', status: 'completed', version: 0 } },
      { source: 'dsr.request', 'detail-type': 'Request Status Changed' },
    ]) {
      expect(statusChangedEvent.safeParse(bad).success).toBe(false);
    }
    expect(statusChangedEvent.safeParse({ ...event, detail: { ...event.detail, requestId: 'r-long-id' } }).success).toBe(true);
  });
});
