import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Brand } from '../../functions/core/brands';
import { addPeriod, DATA_MAP, getStore, resourceName } from '../../functions/core/data-map';
import { customerKey } from '../../functions/core/keyed-hash';
import type { StoreCounts } from '../../functions/core/retention/counts';
import { datedFileName } from '../../functions/core/retention/key-date';
import { RETENTION_PREFIX, reportKey } from '../../functions/core/retention/plan';
import type { RetentionReport } from '../../functions/core/retention/report';
import type { ErasureContext } from './erasure-helpers';

/**
 * A retention fixture for the workflow and end-to-end tests: records and objects on both sides of every
 * rule (a day before and a day after each period) for several customers of several brands, one of them
 * under a legal hold, and the counts the sweep must report for them.
 */

const DAY = 86_400_000;

/** A customer of the fixture: id (with a run prefix) and brand. */
export interface FixtureCustomer {
  customerId: string;
  brand: Brand;
}

/** The seeded fixture: who is who, what must go, and the exact counts per store. */
export interface RetentionFixture {
  customers: Record<'a' | 'b' | 'held' | 'c' | 'inactive' | 'active' | 'ordered', FixtureCustomer>;
  /** Snapshot keys (`store:key`) of everything past its rule and not held: gone after the sweep. */
  expired: string[];
  /** The counts of the first run, per swept store (in report order). */
  counts: StoreCounts[];
}

/** An ISO instant `days` days away from a period's end measured back from now (negative: past it). */
function aroundPeriod(now: Date, period: Parameters<typeof addPeriod>[1], days: number): string {
  const start = new Date(now.getTime());
  if (period.unit === 'days') start.setUTCDate(start.getUTCDate() - period.amount);
  else start.setUTCMonth(start.getUTCMonth() - (period.unit === 'years' ? period.amount * 12 : period.amount));
  return new Date(start.getTime() + days * DAY).toISOString();
}

/** Snapshot key of a table item. */
function itemKey(storeId: string, item: Record<string, unknown>): string {
  const table = getStore(storeId).table!;
  return `${storeId}:${JSON.stringify([item[table.partitionKey], table.sortKey ? item[table.sortKey] : null])}`;
}

/** Seeds the fixture with ids prefixed by `prefix` (so a test can seed twice), dated around `now`. */
export async function seedRetentionFixture(ctx: ErasureContext, prefix: string, now: Date = new Date()): Promise<RetentionFixture> {
  const customer = (label: string, brand: Brand): FixtureCustomer => ({ customerId: `${prefix}${label}`, brand });
  const customers = {
    a: customer('a', 'albelli'),
    b: customer('b', 'bonusprint'),
    held: customer('held', 'fotoknudsen'),
    c: customer('c', 'resnap'),
    inactive: customer('inactive', 'onskefoto'),
    active: customer('active', 'albelli'),
    ordered: customer('ordered', 'bonusprint'),
  };
  const expired: string[] = [];
  const put = async (storeId: string, item: Record<string, unknown>, gone = false) => {
    await ctx.doc.send(new PutCommand({ TableName: resourceName(getStore(storeId)), Item: item }));
    if (gone) expired.push(itemKey(storeId, item));
  };
  const years2 = { amount: 2, unit: 'years' } as const;
  const years5 = { amount: 5, unit: 'years' } as const;
  const months36 = { amount: 36, unit: 'months' } as const;

  // Profiles: inactive a day past 36 months (no orders), active a day before, old login but a recent order, held and inactive.
  const profile = (who: FixtureCustomer, fields: Record<string, unknown>) => put('customer-profile', { customerId: who.customerId, brand: who.brand, createdAt: aroundPeriod(now, years5, -10), ...fields });
  await profile(customers.inactive, { lastLoginAt: aroundPeriod(now, months36, -1) });
  await profile(customers.active, { lastLoginAt: aroundPeriod(now, months36, 1) });
  await profile(customers.ordered, { lastLoginAt: aroundPeriod(now, months36, -300) });
  await profile(customers.held, { lastLoginAt: aroundPeriod(now, months36, -1) });
  await put('orders', { customerId: customers.ordered.customerId, orderId: `${prefix}o-recent`, brand: 'bonusprint', status: 'delivered', paymentStatus: 'paid', orderedAt: aroundPeriod(now, months36, 1) });

  // Retained invoices: one past retainUntil, one a day before it, one of the held customer.
  const retained = (who: FixtureCustomer, orderId: string, retainUntilDays: number) => ({
    customerId: `retained#${customerKey(who.customerId)}`,
    orderId: `${prefix}${orderId}`,
    invoiceNumber: `INV-${prefix}${orderId}`,
    invoiceDate: aroundPeriod(now, { amount: 7, unit: 'years' }, retainUntilDays),
    retainUntil: new Date(now.getTime() + retainUntilDays * DAY).toISOString(),
    brand: who.brand,
  });
  await put('orders', retained(customers.a, 'o-expired', -1), true);
  await put('orders', retained(customers.a, 'o-kept', 1));
  await put('orders', retained(customers.held, 'o-held', -1));

  // Contacts: closed a day past 2 years (gone), a day before (kept), open for years (kept); the held customer's legal claim holds its expired one.
  const contact = (who: FixtureCustomer, id: string, fields: Record<string, unknown>) => ({
    contactId: `${who.customerId}-${id}`,
    customerId: who.customerId,
    brand: who.brand,
    channel: 'email',
    subject: 'Order question',
    legalClaim: false,
    createdAt: aroundPeriod(now, years2, -30),
    ...fields,
  });
  await put('contact-history', contact(customers.a, 'ct-expired', { status: 'closed', closedAt: aroundPeriod(now, years2, -1) }), true);
  await put('contact-history', contact(customers.a, 'ct-kept', { status: 'closed', closedAt: aroundPeriod(now, years2, 1) }));
  await put('contact-history', contact(customers.a, 'ct-open', { status: 'open', createdAt: aroundPeriod(now, years5, 0) }));
  await put('contact-history', contact(customers.b, 'ct-expired', { status: 'closed', closedAt: aroundPeriod(now, years2, -1) }), true);
  await put('contact-history', contact(customers.held, 'ct-expired', { status: 'closed', closedAt: aroundPeriod(now, years2, -1) }));
  await put('contact-history', contact(customers.held, 'ct-claim', { status: 'open', legalClaim: true, createdAt: aroundPeriod(now, years2, 100) }));

  // Call recordings, named by their date (the sweep reads it from the key): 91 days after the call (gone), 89 days (kept), the held
  // customer's old one (kept); and one named without a date, recorded 91 days ago but uploaded now (read with HeadObject, gone).
  const recordings = getStore('call-recordings');
  const recording = async (who: FixtureCustomer, name: string, daysAgo: number, gone: boolean, dated = true) => {
    const recordedAt = new Date(now.getTime() - daysAgo * DAY);
    const key = `recordings/${who.customerId}/${dated ? datedFileName(recordedAt, `${prefix}${name}`) : `${prefix}${name}`}.wav`;
    await ctx.s3.send(
      new PutObjectCommand({ Bucket: resourceName(recordings), Key: key, Body: `RIFF ${key}`, ContentType: 'audio/wav', Metadata: { 'contact-id': `${prefix}call`, 'recorded-at': recordedAt.toISOString(), 'duration-seconds': '1' } }),
    );
    if (gone) expired.push(`call-recordings:${key}`);
  };
  await recording(customers.a, 'old', 91, true);
  await recording(customers.a, 'new', 89, false);
  await recording(customers.c, 'old', 91, true);
  await recording(customers.c, 'legacy', 91, true, false);
  await recording(customers.held, 'old', 91, false);

  // Ledger: requests closed a day past 5 years (gone), a day before (kept), open for 6 years (kept), the held customer's (kept).
  const request = (who: FixtureCustomer, id: string, status: string, updatedAt: string) => ({
    requestId: `${prefix}${id}`,
    type: 'export',
    customerKey: customerKey(who.customerId),
    brand: who.brand,
    status,
    createdAt: updatedAt,
    updatedAt,
    dueAt: updatedAt,
    bodyHash: 'h',
    stores: {},
    version: 3,
  });
  await put('request-ledger', request(customers.a, 'rq-expired', 'completed', aroundPeriod(now, years5, -1)), true);
  await put('request-ledger', request(customers.a, 'rq-kept', 'completed', aroundPeriod(now, years5, 1)));
  await put('request-ledger', request(customers.b, 'rq-open', 'in_progress', aroundPeriod(now, { amount: 6, unit: 'years' }, 0)));
  await put('request-ledger', request(customers.held, 'rq-held', 'cancelled', aroundPeriod(now, years5, -1)));

  const counts: StoreCounts[] = [
    { store: 'customer-profile', examined: 4, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 },
    { store: 'orders', examined: 3, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 },
    { store: 'contact-history', examined: 6, expired: 3, removed: 2, heldSkipped: 1, remaining: 0 },
    { store: 'call-recordings', examined: 5, expired: 4, removed: 3, heldSkipped: 1, remaining: 0 },
    // The four seeded requests and the inactive account's erasure request, created before the ledger is swept (MaxConcurrency 1).
    { store: 'request-ledger', examined: 5, expired: 2, removed: 1, heldSkipped: 1, remaining: 0 },
  ];
  return { customers, expired, counts };
}

/** A content hash of every item and object of every store of the data map (ledger, audit and the sweep's own work files in exports excluded), by `store:key`. */
export async function storeSnapshot(ctx: ErasureContext): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  for (const store of DATA_MAP.filter((candidate) => candidate.id !== 'audit' && candidate.id !== 'request-ledger')) {
    const name = resourceName(store);
    if (store.kind === 'dynamodb-table') {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await ctx.doc.send(new ScanCommand({ TableName: name, ExclusiveStartKey: startKey, ConsistentRead: true }));
        for (const item of page.Items ?? []) snapshot.set(itemKey(store.id, item), createHash('sha256').update(JSON.stringify(item, Object.keys(item).sort())).digest('hex'));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      continue;
    }
    let token: string | undefined;
    do {
      const page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (store.id === 'exports' && object.Key!.startsWith(RETENTION_PREFIX)) continue;
        snapshot.set(`${store.id}:${object.Key}`, `${object.ETag}:${object.Size}`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return snapshot;
}

/** The fixture's ledger records (by request id) with a content hash, to check they are kept byte for byte. */
export async function ledgerSnapshot(ctx: ErasureContext, prefix: string): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  const page = await ctx.doc.send(new ScanCommand({ TableName: resourceName(getStore('request-ledger')), ConsistentRead: true }));
  for (const item of page.Items ?? []) {
    if (String(item.requestId).startsWith(prefix)) snapshot.set(`request-ledger:${JSON.stringify([item.requestId, null])}`, createHash('sha256').update(JSON.stringify(item, Object.keys(item).sort())).digest('hex'));
  }
  return snapshot;
}

/** Starts a retention run named `runId` and waits until it ends. */
export async function runRetention(ctx: ErasureContext, runId: string, input: Record<string, unknown> = { dryRun: false }): Promise<{ status: string; error?: string; cause?: string; executionArn: string }> {
  const started = await ctx.sfn.send(new StartExecutionCommand({ stateMachineArn: ctx.aws.stateMachineArns['dsr-retention'], name: runId, input: JSON.stringify(input) }));
  for (;;) {
    const execution = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    if (execution.status !== 'RUNNING') return { status: execution.status!, error: execution.error, cause: execution.cause, executionArn: started.executionArn! };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The report of a run from the audit bucket. */
export async function readReport(ctx: ErasureContext, runId: string): Promise<RetentionReport> {
  const response = await ctx.s3.send(new GetObjectCommand({ Bucket: resourceName(getStore('audit')), Key: reportKey(runId) }));
  return JSON.parse(await response.Body!.transformToString()) as RetentionReport;
}

/** A report's per-store counts without the rule texts. */
export function reportCounts(report: RetentionReport): StoreCounts[] {
  return report.stores.map(({ rule: _rule, ...counts }) => counts);
}
