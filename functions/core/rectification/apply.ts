import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { readCustomerItems, primaryKeyOf, type Item } from '../connectors/dynamodb-store';
import { getStore, resourceName } from '../data-map';
import { InvalidInput, isConditionFailure, storeError } from '../errors';
import type { Ledger } from '../ledger';
import type { Subject } from '../subject';
import { workflowRequestId } from '../workflow-input';
import { CORRECTION_FIELDS, correctedFields, postalAddressOf, postalLine, shippingAddressOf, type CorrectionField, type Corrections } from './corrections';

/**
 * Applying a rectification (Art. 16) to the stores that hold the corrected data: the customer profile
 * (every corrected field), the marketing consents' addresses (email, SMS and post consents) and the
 * shipping address of orders not yet shipped. Invoice data (billing address, amounts, numbers) is never
 * rewritten: an invoice is kept as issued. Each record is set to the corrected values (so applying
 * twice leaves the same state), with a condition that the record still exists (and the order is still
 * unshipped). Only field names and counts leave this module, never values.
 */

/** The stores a rectification changes, in certificate order. */
export const RECTIFIED_STORES = ['customer-profile', 'marketing', 'orders'] as const;

/** A store a rectification changes. */
export type RectifiedStore = (typeof RECTIFIED_STORES)[number];

/** Order statuses whose shipping address may still change. */
export const UNSHIPPED_ORDER_STATUSES = ['placed', 'in_production'] as const;

/** The consents whose `address` follows each corrected field. */
const CONSENT_ENTRIES: Partial<Record<CorrectionField, string>> = { email: 'consent#email', phone: 'consent#sms', addresses: 'consent#post' };

/** One record to set: its key, the attributes it must hold, and the record as read. */
export interface RectificationTarget {
  key: Item;
  expected: Item;
  current: Item;
}

/** The records of one store to rectify, and the corrected fields they get. */
export interface StoreTargets {
  store: RectifiedStore;
  fields: CorrectionField[];
  records: RectificationTarget[];
}

/** Input of `apply-rectification` and `verify-rectification`. */
export const rectificationStepInput = z.object({ requestId: workflowRequestId });

/** What one store's rectification changed: field names and the number of records, never values. */
export const rectifiedStoreSchema = z.object({
  store: z.enum(RECTIFIED_STORES),
  fields: z.array(z.enum(CORRECTION_FIELDS)),
  records: z.number().int().nonnegative(),
});

/** What one store's rectification changed. */
export type RectifiedStoreResult = z.infer<typeof rectifiedStoreSchema>;

/** Output of `apply-rectification`. */
export const applyRectificationOutput = z.object({ stores: z.array(rectifiedStoreSchema) });

/** What the rectification steps need. */
export interface RectificationDeps {
  doc: DynamoDBDocumentClient;
  ledger: Pick<Ledger, 'get'>;
  env?: NodeJS.ProcessEnv;
}

/** The request's corrections from its ledger record; `InvalidInput` when it holds none (not a rectification, or already final). */
export async function correctionsOf(ledger: Pick<Ledger, 'get'>, requestId: string): Promise<Corrections> {
  const record = await ledger.get(requestId);
  if (record.type !== 'rectification' || !record.corrections) throw new InvalidInput(`Request ${requestId} holds no corrections to apply`);
  return record.corrections;
}

/** The profile attributes the corrections set. */
function profileExpected(corrections: Corrections): Item {
  return Object.fromEntries(CORRECTION_FIELDS.filter((field) => corrections[field] !== undefined).map((field) => [field, corrections[field]]));
}

/** Every item of the customer's own partition of a table, read strongly consistent. */
async function ownItems(deps: RectificationDeps, storeId: RectifiedStore, customerId: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of readCustomerItems(deps.doc, getStore(storeId), customerId, { consistentRead: true, partitions: 'own', env: deps.env })) items.push(...page.items);
  return items;
}

/**
 * The records each store must hold after the rectification, read now: the profile (when it exists),
 * the consents whose address a correction covers, and the orders still unshipped (when an address is
 * corrected). A store no correction concerns is listed with no fields and no records.
 */
export async function rectificationTargets(deps: RectificationDeps, customerId: string, corrections: Corrections): Promise<StoreTargets[]> {
  const profileStore = getStore('customer-profile');
  let profile: Item | undefined;
  try {
    profile = (await deps.doc.send(new GetCommand({ TableName: resourceName(profileStore, deps.env), Key: { customerId }, ConsistentRead: true }))).Item;
  } catch (error) {
    throw storeError(profileStore.id, error);
  }
  const fields = correctedFields(corrections);
  const profileTargets: StoreTargets = {
    store: 'customer-profile',
    fields,
    records: profile ? [{ key: { customerId }, expected: profileExpected(corrections), current: profile }] : [],
  };

  const consentValues: Record<string, string> = {};
  if (corrections.email !== undefined) consentValues[CONSENT_ENTRIES.email!] = corrections.email;
  if (corrections.phone !== undefined) consentValues[CONSENT_ENTRIES.phone!] = corrections.phone;
  const postal = postalAddressOf(corrections);
  if (postal) consentValues[CONSENT_ENTRIES.addresses!] = postalLine(postal);
  const consents = Object.keys(consentValues).length ? (await ownItems(deps, 'marketing', customerId)).filter((item) => String(item.entryId) in consentValues) : [];
  const marketingTargets: StoreTargets = {
    store: 'marketing',
    fields: fields.filter((field) => CONSENT_ENTRIES[field] !== undefined && CONSENT_ENTRIES[field]! in consentValues),
    records: consents.map((item) => ({ key: primaryKeyOf(getStore('marketing'), item), expected: { address: consentValues[String(item.entryId)] }, current: item })),
  };

  const shipping = shippingAddressOf(corrections);
  const unshipped = shipping
    ? (await ownItems(deps, 'orders', customerId)).filter((item) => (UNSHIPPED_ORDER_STATUSES as readonly unknown[]).includes(item.status))
    : [];
  const orderTargets: StoreTargets = {
    store: 'orders',
    fields: shipping ? ['addresses'] : [],
    records: unshipped.map((item) => ({ key: primaryKeyOf(getStore('orders'), item), expected: { shippingAddress: shipping }, current: item })),
  };
  return [profileTargets, marketingTargets, orderTargets];
}

/** Sets one record to its expected attributes unless it is gone (or, for an order, shipped meanwhile); true when written. */
async function setRecord(deps: RectificationDeps, store: RectifiedStore, target: RectificationTarget): Promise<boolean> {
  const definition = getStore(store);
  const names: Record<string, string> = { '#pk': definition.table!.partitionKey };
  const values: Record<string, unknown> = {};
  const set = Object.entries(target.expected).map(([attribute, value], index) => {
    names[`#a${index}`] = attribute;
    values[`:v${index}`] = value;
    return `#a${index} = :v${index}`;
  });
  let condition = 'attribute_exists(#pk)';
  if (store === 'orders') {
    names['#status'] = 'status';
    UNSHIPPED_ORDER_STATUSES.forEach((status, index) => (values[`:s${index}`] = status));
    condition += ` AND #status IN (${UNSHIPPED_ORDER_STATUSES.map((_, index) => `:s${index}`).join(', ')})`;
  }
  try {
    await deps.doc.send(
      new UpdateCommand({
        TableName: resourceName(definition, deps.env),
        Key: target.key,
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw storeError(store, error);
  }
}

/**
 * Applies the request's corrections (read from its ledger record) to every store; returns per store
 * the corrected field names and how many records now hold them. Replay-safe: a second run sets the same
 * values again and reports the same counts.
 */
export async function applyRectification(deps: RectificationDeps, input: z.infer<typeof rectificationStepInput> & Subject): Promise<{ stores: RectifiedStoreResult[] }> {
  const corrections = await correctionsOf(deps.ledger, input.requestId);
  const targets = await rectificationTargets(deps, input.customerId, corrections);
  const stores: RectifiedStoreResult[] = [];
  for (const { store, fields, records } of targets) {
    let written = 0;
    for (const target of records) if (await setRecord(deps, store, target)) written += 1;
    stores.push({ store, fields: written ? fields : [], records: written });
  }
  return { stores };
}
