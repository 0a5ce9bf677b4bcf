import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { readCustomerItems, stillPresent } from '../connectors/dynamodb-store';
import { CUSTOMER_STORES, getStore, resourceName } from '../data-map';
import { storeError } from '../errors';
import type { SuppressionReason } from '../processing/parameters';
import type { Subject } from '../subject';
import { customerKey, hashKey, keyedHash, normaliseEmail, normalisePhone } from '../keyed-hash';

/**
 * The marketing suppression list (store `marketing-suppression`, PK `hash`): after an erasure it holds
 * only HMAC-SHA256 keyed hashes of the customer's normalised email addresses and phone numbers, so a
 * later marketing import can skip the person (`isSuppressed`) without anyone being able to read who
 * they are. A link entry `customer#<customerKey>` lists the hashes of one erased customer, so a replay
 * that runs after the profile is gone still notifies processors with the same hashes; it is written
 * for every erased customer, so the processing check refuses an erased customer by its keyed hash.
 * An objection to direct marketing writes the same hash entries with reason `objection`
 * (`writeSuppressionEntries`); the restriction and objection entries of the processing check share
 * the table under their own keys (`functions/core/processing/check.ts`).
 */

/** Input of `capture-suppression-keys` (the customer is resolved from the ledger). */
export const captureSuppressionInput = z.object({
  requestId: workflowRequestId,
});

/** Parsed suppression input, with the customer. */
export type CaptureSuppressionInput = z.infer<typeof captureSuppressionInput> & Subject;

/** Output of `capture-suppression-keys`: keyed hashes of a customer's contact points (the only thing passed between workflow states). */
export const suppressionKeysOutput = z.object({ emailHashes: z.array(z.string()), phoneHashes: z.array(z.string()) });

/** Keyed hashes of a customer's contact points. */
export type SuppressionKeys = z.infer<typeof suppressionKeysOutput>;

/** What the suppression step needs. */
export interface SuppressionDeps {
  doc: DynamoDBDocumentClient;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** Keyed hash of an email address as the suppression list stores it. */
export function emailHash(email: string, key?: string): string {
  return keyedHash('email', normaliseEmail(email), key);
}

/** Keyed hash of a phone number as the suppression list stores it. */
export function phoneHash(phone: string, key?: string): string {
  return keyedHash('phone', normalisePhone(phone), key);
}

/** Partition key of the link entry of an erased customer, by the customer's keyed hash. */
export function suppressionLinkKey(hashedCustomerId: string): string {
  return `customer#${hashedCustomerId}`;
}

/** Partition key of the link entry of an erased customer. */
function linkKey(customerId: string, key: string): string {
  return suppressionLinkKey(customerKey(customerId, key));
}

function suppressionTable(env?: NodeJS.ProcessEnv): string {
  return resourceName(getStore('marketing-suppression'), env);
}

/** Reads the email and phone hashes from the profile, the marketing consents and an earlier link entry. */
export async function gatherKeys(deps: SuppressionDeps, input: Subject, key: string): Promise<SuppressionKeys> {
  const emails = new Set<string>();
  const phones = new Set<string>();
  const profileStore = getStore('customer-profile');
  try {
    const profile = await deps.doc.send(
      new GetCommand({ TableName: resourceName(profileStore, deps.env), Key: { customerId: input.customerId }, ConsistentRead: true }),
    );
    if (typeof profile.Item?.email === 'string' && profile.Item.email) emails.add(emailHash(profile.Item.email, key));
    if (typeof profile.Item?.phone === 'string' && profile.Item.phone) phones.add(phoneHash(profile.Item.phone, key));
  } catch (error) {
    throw storeError(profileStore.id, error);
  }
  for await (const page of readCustomerItems(deps.doc, getStore('marketing'), input.customerId, { consistentRead: true, env: deps.env })) {
    for (const item of page.items) {
      if (typeof item.address !== 'string' || !item.address) continue;
      if (item.channel === 'email') emails.add(emailHash(item.address, key));
      if (item.channel === 'sms') phones.add(phoneHash(item.address, key));
    }
  }
  try {
    const link = await deps.doc.send(new GetCommand({ TableName: suppressionTable(deps.env), Key: { hash: linkKey(input.customerId, key) }, ConsistentRead: true }));
    for (const hash of (link.Item?.emailHashes as Set<string> | undefined) ?? []) emails.add(hash);
    for (const hash of (link.Item?.phoneHashes as Set<string> | undefined) ?? []) phones.add(hash);
  } catch (error) {
    throw storeError('marketing-suppression', error);
  }
  return { emailHashes: [...emails].sort(), phoneHashes: [...phones].sort() };
}

/**
 * Writes one suppression entry per hash (first `suppressedAt` kept on a replay) and returns the time
 * stamped. An erasure's reason replaces an objection's; an objection never replaces an erasure's.
 */
export async function writeSuppressionEntries(deps: SuppressionDeps, keys: SuppressionKeys, reason: SuppressionReason): Promise<string> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const table = suppressionTable(deps.env);
  const entries = [...keys.emailHashes.map((hash) => ({ hash, kind: 'email' })), ...keys.phoneHashes.map((hash) => ({ hash, kind: 'phone' }))];
  try {
    for (const entry of entries) {
      await deps.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { hash: entry.hash },
          UpdateExpression: `SET suppressedAt = if_not_exists(suppressedAt, :now), kind = :kind, reason = ${reason === 'erasure' ? ':reason' : 'if_not_exists(reason, :reason)'}`,
          ExpressionAttributeValues: { ':now': now, ':kind': entry.kind, ':reason': reason },
        }),
      );
    }
  } catch (error) {
    throw storeError('marketing-suppression', error);
  }
  return now;
}

/**
 * Captures the keyed hashes of the customer's email addresses and phone numbers before anything is
 * erased and writes the suppression entries (first `suppressedAt` kept on a replay) and the link entry
 * (also for a customer without contact points, so the processing check knows the customer is erased).
 * Returns the hashes for the processor notifications. Without a suppressing store in the data map there are none.
 */
export async function captureSuppressionKeys(deps: SuppressionDeps, input: CaptureSuppressionInput): Promise<SuppressionKeys> {
  const suppressing = CUSTOMER_STORES.some((store) => store.erasure.action === 'delete' && store.erasure.suppress);
  if (!suppressing) return { emailHashes: [], phoneHashes: [] };
  const key = hashKey(deps.env);
  const keys = await gatherKeys(deps, input, key);
  const now = await writeSuppressionEntries(deps, keys, 'erasure');
  const sets: string[] = [];
  const values: Record<string, unknown> = { ':now': now };
  if (keys.emailHashes.length) {
    sets.push('emailHashes :emails');
    values[':emails'] = new Set(keys.emailHashes);
  }
  if (keys.phoneHashes.length) {
    sets.push('phoneHashes :phones');
    values[':phones'] = new Set(keys.phoneHashes);
  }
  try {
    await deps.doc.send(
      new UpdateCommand({
        TableName: suppressionTable(deps.env),
        Key: { hash: linkKey(input.customerId, key) },
        UpdateExpression: `SET suppressedAt = if_not_exists(suppressedAt, :now)${sets.length ? ` ADD ${sets.join(', ')}` : ''}`,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    throw storeError('marketing-suppression', error);
  }
  return keys;
}

/** The contact points to check: email addresses and phone numbers as a marketing import holds them. */
export interface ContactPoints {
  emails?: readonly string[];
  phones?: readonly string[];
}

/** One answer of the suppression check: the contact point as given, whether it is suppressed, and why. */
export type SuppressionAnswer = ({ email: string } | { phone: string }) & { suppressed: boolean; reason?: SuppressionReason };

/**
 * Which contact points are suppressed, and why (their customer was erased, or objected to direct
 * marketing): the check a marketing import runs before adding contacts, one answer per contact point,
 * emails first, in the order given. Compares keyed hashes only (BatchGetItem, strongly consistent).
 */
export async function suppressionOf(doc: DynamoDBDocumentClient, contacts: ContactPoints, env?: NodeJS.ProcessEnv): Promise<SuppressionAnswer[]> {
  const key = hashKey(env);
  const asked = [
    ...(contacts.emails ?? []).map((email) => ({ contact: { email }, hash: emailHash(email, key) })),
    ...(contacts.phones ?? []).map((phone) => ({ contact: { phone }, hash: phoneHash(phone, key) })),
  ];
  const unique = [...new Set(asked.map((entry) => entry.hash))];
  const found = await stillPresent(doc, getStore('marketing-suppression'), unique.map((hash) => ({ hash })), { env });
  const reasons = new Map(found.map((item) => [String(item.hash), item.reason === 'objection' ? ('objection' as const) : ('erasure' as const)]));
  return asked.map(({ contact, hash }) => {
    const reason = reasons.get(hash);
    return reason ? { ...contact, suppressed: true, reason } : { ...contact, suppressed: false };
  });
}

/**
 * True when the email address or phone number belongs to an erased customer or one who objected to
 * direct marketing (`suppressionOf` for one contact; an empty value is never suppressed).
 */
export async function isSuppressed(
  doc: DynamoDBDocumentClient,
  contact: { email?: string; phone?: string },
  env?: NodeJS.ProcessEnv,
): Promise<boolean> {
  const answers = await suppressionOf(doc, { emails: contact.email ? [contact.email] : [], phones: contact.phone ? [contact.phone] : [] }, env);
  return answers.some((answer) => answer.suppressed);
}
