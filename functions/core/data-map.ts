import { BRANDS, type Brand } from './brands';

/**
 * The declarative data map: every store that holds personal data of a customer, plus the pipeline's
 * own stores. Export, erasure, verification, the CDK stack, the seeder and the docs all read this one
 * module; adding a store is an entry here (plus a connector only for a new kind of store).
 */

/** Ids of the business stores that hold customer data (from shared/context.md). */
export const CUSTOMER_STORE_IDS = [
  'customer-profile',
  'orders',
  'uploaded-photos',
  'photo-library',
  'contact-history',
  'call-recordings',
  'marketing',
  'smart-creation',
] as const;

/** Id of a business store that holds customer data. */
export type CustomerStoreId = (typeof CUSTOMER_STORE_IDS)[number];

/** Ids of the stores the pipeline itself owns. */
export const PIPELINE_STORE_IDS = ['request-ledger', 'exports', 'audit', 'marketing-suppression'] as const;

/** Id of a store the pipeline itself owns. */
export type PipelineStoreId = (typeof PIPELINE_STORE_IDS)[number];

/** How a store's physical resource is named: an environment variable, with the local default. */
export interface ResourceName {
  /** Environment variable that carries the table or bucket name in every function. */
  env: string;
  /** Name used when the variable is unset (the embedded local AWS and the CDK defaults). */
  defaultName: string;
}

/** Customer records live in a DynamoDB table under a partition key equal to the customer id. */
export interface PartitionKeyLocator {
  by: 'partition-key';
  /** Partition key attribute that holds the customer id. */
  partitionKey: string;
  /** Sort key attribute, when the table has one. */
  sortKey?: string;
}

/** Customer records are found through a global secondary index keyed by customer id. */
export interface IndexLocator {
  by: 'index';
  indexName: string;
  /** Index partition key attribute that holds the customer id. */
  indexPartitionKey: string;
  /** Index sort key attribute, when the index has one. */
  indexSortKey?: string;
  /** The table's own primary key attributes (needed to delete what the index finds). */
  partitionKey: string;
  sortKey?: string;
}

/** Customer files live in an S3 bucket under a per-customer key prefix. */
export interface KeyPrefixLocator {
  by: 'key-prefix';
  /**
   * Prefix template with `{customerId}` and optionally `{brand}`; it always ends at a `/` delimiter so
   * that customer `c1` never matches `c12`.
   */
  prefixTemplate: string;
}

/** How a customer's records are found in a store. */
export type Locator = PartitionKeyLocator | IndexLocator | KeyPrefixLocator;

/**
 * A pipeline bucket keyed by request, not by customer: the customer's files are under prefixes of
 * their requests of one type, found through the ledger's keyed-hash index.
 */
export interface RequestPrefixes {
  requestType: 'export';
  /** Prefix templates with `{requestId}`, each ending at a `/`. */
  prefixTemplates: string[];
}

/**
 * The one identifier a notified recipient gets to find the customer in its own copy (data minimisation):
 * `customer-id` when it holds the record under the customer id, `customer-key` (the keyed hash) when it was
 * only ever given the keyed hash. Never a name, email address or phone number.
 */
export type RecipientIdentifier = 'customer-id' | 'customer-key';

/**
 * Whether a recipient is told about the erasures, rectifications, restrictions and objections that
 * concern it (Art. 19), and with which identifier; or why it is not (recorded here, shown in the docs).
 */
export type RecipientNotification = { notify: true; identifier: RecipientIdentifier; why: string } | { notify: false; why: string };

/** A party that receives data from a store (Art. 13/15 recipients, Art. 19 notification). */
export interface Recipient {
  id: string;
  name: string;
  role: 'processor' | 'controller' | 'authority';
  /** Where the recipient processes the data. */
  location: string;
  /** Art. 19: told through its own queue (`infra/recipients.ts`), and with what identifier; or why not. */
  notification: RecipientNotification;
}

/** Erasure removes every record of the customer. */
export interface DeleteAction {
  action: 'delete';
  /** After deleting, keep a keyed-hash suppression entry so a later import does not re-add the person. */
  suppress?: boolean;
}

/** Erasure keeps what a legal obligation requires, stripped of everything else (Art. 17(3)(b)). */
export interface AnonymiseAndRetainAction {
  action: 'anonymise-and-retain';
  /** The legal obligation that requires keeping the records. */
  legalReason: string;
  /** Retention in whole years from the record's date attribute. */
  retainYears: number;
  /** Attribute whose date starts the retention period. */
  retentionFrom: string;
  /** The only attributes kept (besides keys and `retainUntil`). */
  keepAttributes: string[];
  /**
   * Partition key value the retained records move to, with `{customerKey}` (the keyed hash of the
   * customer id): the readable id is gone, yet a later export or re-applied erasure still finds them.
   */
  retainedPartitionTemplate: string;
}

/** Pipeline stores are not erased by a customer's request (they hold no readable personal data). */
export interface NotErasedAction {
  action: 'none';
  reason: string;
}

/** What erasure does with a store. */
export type ErasureAction = DeleteAction | AnonymiseAndRetainAction | NotErasedAction;

/** A retention period: a whole number of calendar days, months or years. */
export interface RetentionPeriod {
  amount: number;
  unit: 'days' | 'months' | 'years';
}

/** Fields every retention rule has: the customer-facing text, where `{period}` stands for the rule's period. */
interface RuleText {
  /** The customer-facing sentence of this rule; `{period}` is replaced by the rule's period, so the two cannot diverge. */
  text: string;
}

/**
 * Records (or objects) expire a period after a date attribute (or S3 user metadata); a record without
 * the attribute, or not matching `when`, never expires. `records: 'retained'` limits the rule to the
 * retained partitions of an anonymise-and-retain store.
 */
export interface AfterDateRule extends RuleText {
  kind: 'after-attribute' | 'after-metadata';
  /** The attribute (table) or metadata key (bucket) holding the ISO date the period counts from. */
  attribute: string;
  period: RetentionPeriod;
  /** Only records whose attribute has one of these values expire (e.g. closed contacts, final requests). */
  when?: { attribute: string; in: readonly string[] };
  /**
   * Bucket rules: every object's file name starts with the attribute's date (`keyDateOf` in
   * `retention/key-date.ts`), so the listing decides without reading metadata; an object named
   * otherwise is read with HeadObject.
   */
  datedFileNames?: true;
}

/** Retained records expire once the date in `attribute` (set at anonymisation to the start + `period`) has passed. */
export interface UntilDateRule extends RuleText {
  kind: 'until-attribute';
  attribute: string;
  /** The period the attribute was computed with (the anonymise-and-retain action's `retainYears`). */
  period: RetentionPeriod;
  records: 'retained';
}

/** Data lives as long as the account; inactive accounts are erased (the `inactive-account` rule of the profile). */
export interface AccountLifetimeRule extends RuleText {
  kind: 'account-lifetime';
}

/** An account with no login and no order for `period` gets an erasure request (reason `retention`). */
export interface InactiveAccountRule extends RuleText {
  kind: 'inactive-account';
  /** Profile attribute of the last login. */
  lastLoginAttribute: string;
  /** Order attribute of the order date (orders store). */
  orderedAtAttribute: string;
  period: RetentionPeriod;
}

/** Objects under a key prefix expire by S3 lifecycle rule (`infra/stores.ts`) a period after they are written. */
export interface LifecycleRule extends RuleText {
  kind: 'lifecycle';
  prefix: string;
  period: RetentionPeriod;
}

/** No period is enforced: the data is kept for the stated reason. */
export interface NoRetentionRule extends RuleText {
  kind: 'none';
  reason: string;
}

/** A machine-readable retention rule of a store (the retention sweep, `functions/core/retention/`, enforces them). */
export type RetentionRule = AfterDateRule | UntilDateRule | AccountLifetimeRule | InactiveAccountRule | LifecycleRule | NoRetentionRule;

/** The period as people read it (`90 days`, `1 day`, `2 years`). */
export function periodText(period: RetentionPeriod): string {
  return `${period.amount} ${period.amount === 1 ? period.unit.slice(0, -1) : period.unit}`;
}

/** The customer-facing sentence of one rule (its text with the period filled in). */
export function ruleText(rule: RetentionRule): string {
  return 'period' in rule ? rule.text.replaceAll('{period}', periodText(rule.period)) : rule.text;
}

/** A store's retention: its rules and the customer-facing text made of them (plus an optional closing clause). */
export function retentionOf(rules: RetentionRule[], closing?: string): { retention: string; retentionRules: RetentionRule[] } {
  return { retention: [...rules.map(ruleText), ...(closing ? [closing] : [])].join('; '), retentionRules: rules };
}

/** The date a period after `from` ends (calendar arithmetic in UTC; 29 February + 1 year → 28 February). */
export function addPeriod(from: Date, period: RetentionPeriod): Date {
  const end = new Date(from.getTime());
  if (period.unit === 'days') {
    end.setUTCDate(end.getUTCDate() + period.amount);
    return end;
  }
  const months = period.unit === 'years' ? period.amount * 12 : period.amount;
  const day = end.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}

/** Key schema of a DynamoDB store (all key attributes are strings). */
export interface TableSchema {
  partitionKey: string;
  sortKey?: string;
  /** Global secondary indexes (projection ALL). */
  indexes?: { name: string; partitionKey: string; sortKey?: string }[];
  /** Attribute holding an epoch-seconds expiry for DynamoDB TTL, when the table uses one. */
  timeToLiveAttribute?: string;
}

/** A store that holds data about customers. */
export interface StoreDefinition {
  id: CustomerStoreId | PipelineStoreId;
  /** Human title (export index, docs). */
  title: string;
  /** `business`: a company store the pipeline reads and erases; `pipeline`: the pipeline's own. */
  owner: 'business' | 'pipeline';
  kind: 'dynamodb-table' | 's3-bucket';
  resource: ResourceName;
  /** Key schema, for DynamoDB stores (CDK and local provisioning both read it). */
  table?: TableSchema;
  /** How a customer's records are found (business stores). */
  locator?: Locator;
  /** How a customer's files are found in a pipeline bucket keyed by request. */
  requestPrefixes?: RequestPrefixes;
  /**
   * Brands that offer this store's service (documentation and seeding). It never narrows a request's
   * scope: the customer id is group-wide, so export, erasure and verification always cover every store.
   */
  brands: readonly Brand[];
  /** Data categories held. */
  categories: string[];
  purpose: string;
  legalBasis: string;
  recipients: Recipient[];
  /** Retention period or criterion, as told to the customer: made of `retentionRules` (`retentionOf`). */
  retention: string;
  /** The machine-readable rules behind `retention`, enforced by the retention sweep. */
  retentionRules: RetentionRule[];
  /** Where the data comes from (Art. 15(1)(g)). */
  source: string;
  erasure: ErasureAction;
  /** True when the store holds files whose bytes go into the export (S3), false for records. */
  holdsFiles: boolean;
  /** Explanation shown with this category in the export (e.g. automated processing, Art. 15(1)(h)). */
  explanation?: string;
  /**
   * Money attributes held as whole minor units (cents, øre, pence) of the currency named by the nearest
   * `currencyAttribute` in the same or an enclosing object; the export shows them as amounts to people.
   */
  amounts?: { minorUnitAttributes: string[]; currencyAttribute: string };
}

const CLOUD_HOSTING: Recipient = {
  id: 'aws',
  name: 'Amazon Web Services EMEA SARL (cloud hosting)',
  role: 'processor',
  location: 'EU (eu-west-1), with possible transfers outside the EEA under Standard Contractual Clauses',
  notification: { notify: false, why: 'Hosts the stores themselves: erasing, rectifying or restricting a store changes the hosted copy directly' },
};

const ALL_BRANDS: readonly Brand[] = BRANDS;

/** Years invoice records are kept (Netherlands: AWR art. 52): the anonymise-and-retain period and its purge rule. */
const INVOICE_RETENTION_YEARS = 7;

/**
 * Default period after which an account with no login and no order is erased (setting
 * `inactiveAccountMonths`): 36 months, see docs/data-map.md for the reasoning.
 */
export const INACTIVE_ACCOUNT_PERIOD: RetentionPeriod = { amount: 36, unit: 'months' };

/** The business stores holding customer data, one entry per store. */
export const CUSTOMER_STORES: readonly StoreDefinition[] = [
  {
    id: 'customer-profile',
    title: 'Customer profile',
    owner: 'business',
    kind: 'dynamodb-table',
    resource: { env: 'DSR_TABLE_CUSTOMER_PROFILE', defaultName: 'dsr-customer-profile' },
    table: { partitionKey: 'customerId' },
    locator: { by: 'partition-key', partitionKey: 'customerId' },
    brands: ALL_BRANDS,
    categories: ['name', 'email address', 'phone number', 'postal addresses', 'language and country', 'account dates'],
    purpose: 'Creating and delivering your photo products and managing your account',
    legalBasis: 'Performance of the purchase contract (GDPR Art. 6(1)(b))',
    recipients: [CLOUD_HOSTING],
    ...retentionOf(
      [
        {
          kind: 'inactive-account',
          text: 'As long as your account exists',
          lastLoginAttribute: 'lastLoginAt',
          orderedAtAttribute: 'orderedAt',
          period: INACTIVE_ACCOUNT_PERIOD,
        },
      ],
      'deleted on account closure or erasure request',
    ),
    source: 'Provided by you when creating your account or ordering',
    erasure: { action: 'delete' },
    holdsFiles: false,
  },
  {
    id: 'orders',
    title: 'Orders and invoices',
    owner: 'business',
    kind: 'dynamodb-table',
    resource: { env: 'DSR_TABLE_ORDERS', defaultName: 'dsr-orders' },
    table: { partitionKey: 'customerId', sortKey: 'orderId' },
    locator: { by: 'partition-key', partitionKey: 'customerId', sortKey: 'orderId' },
    brands: ALL_BRANDS,
    categories: ['orders and order history', 'products', 'shipping and billing addresses', 'invoice data', 'amounts and VAT', 'payment reference'],
    purpose: 'Producing and delivering your orders, invoicing, and meeting tax obligations',
    legalBasis: 'Performance of the contract (Art. 6(1)(b)); legal obligation to keep invoice records (Art. 6(1)(c))',
    recipients: [
      CLOUD_HOSTING,
      {
        id: 'payment-provider',
        name: 'Payment service provider',
        role: 'controller',
        location: 'EU',
        notification: { notify: false, why: 'Controller of the payment under its own legal obligations (payment services, anti-money-laundering); receives no profile or marketing data' },
      },
      {
        id: 'carriers',
        name: 'Parcel carriers (delivery)',
        role: 'processor',
        location: 'EU/EEA',
        notification: { notify: false, why: 'Receives an address only with a shipped parcel, for that delivery; an unshipped order is corrected in the orders store before any label is made' },
      },
      {
        id: 'tax-authority',
        name: 'Tax authorities, on request',
        role: 'authority',
        location: 'EU',
        notification: { notify: false, why: 'Receives invoice records only on a request of its own; those records are kept as issued (Art. 17(3)(b))' },
      },
    ],
    ...retentionOf([
      { kind: 'account-lifetime', text: 'Order details as long as your account exists' },
      {
        kind: 'until-attribute',
        attribute: 'retainUntil',
        records: 'retained',
        period: { amount: INVOICE_RETENTION_YEARS, unit: 'years' },
        text: 'invoice records {period} after the invoice date (Dutch tax law, AWR art. 52), stripped of all other data after an erasure request',
      },
    ]),
    source: 'Your orders on our websites and apps',
    erasure: {
      action: 'anonymise-and-retain',
      legalReason: 'Statutory duty to keep invoice records for tax purposes (Netherlands: Algemene wet inzake rijksbelastingen art. 52, 7 years)',
      retainYears: INVOICE_RETENTION_YEARS,
      retentionFrom: 'invoiceDate',
      keepAttributes: ['invoiceNumber', 'invoiceDate', 'orderedAt', 'currency', 'netAmount', 'vatAmount', 'vatRate', 'grossAmount', 'country', 'brand'],
      retainedPartitionTemplate: 'retained#{customerKey}',
    },
    holdsFiles: false,
    amounts: { minorUnitAttributes: ['unitPrice', 'netAmount', 'vatAmount', 'grossAmount'], currencyAttribute: 'currency' },
  },
  {
    id: 'uploaded-photos',
    title: 'Uploaded photos',
    owner: 'business',
    kind: 's3-bucket',
    resource: { env: 'DSR_BUCKET_UPLOADED_PHOTOS', defaultName: 'dsr-uploaded-photos' },
    locator: { by: 'key-prefix', prefixTemplate: 'customers/{customerId}/' },
    brands: ALL_BRANDS,
    categories: ['photos you uploaded for products', 'photo metadata (original file name, upload date)'],
    purpose: 'Printing the photo products you order',
    legalBasis: 'Performance of the purchase contract (Art. 6(1)(b))',
    recipients: [CLOUD_HOSTING],
    ...retentionOf([{ kind: 'account-lifetime', text: 'As long as your account exists' }], 'deleted on erasure request'),
    source: 'Uploaded by you through our websites and apps',
    erasure: { action: 'delete' },
    holdsFiles: true,
  },
  {
    id: 'photo-library',
    title: 'Photo library (minnebanken / minbildbank)',
    owner: 'business',
    kind: 's3-bucket',
    resource: { env: 'DSR_BUCKET_PHOTO_LIBRARY', defaultName: 'dsr-photo-library' },
    locator: { by: 'key-prefix', prefixTemplate: '{brand}/{customerId}/' },
    brands: ['fotoknudsen', 'onskefoto'],
    categories: ['albums', 'photos and files stored in the photo organizer'],
    purpose: 'The photo organizer and storage service you signed up for',
    legalBasis: 'Your consent (Art. 6(1)(a)); you can cancel the service at any time',
    recipients: [CLOUD_HOSTING],
    // Cancelling the service deletes the library (the photo-library service's own process); an inactive account is erased with it.
    ...retentionOf([{ kind: 'account-lifetime', text: 'Until you cancel the service; then deleted as soon as possible' }]),
    source: 'Uploaded by you through the website or app',
    erasure: { action: 'delete' },
    holdsFiles: true,
  },
  {
    id: 'contact-history',
    title: 'Customer service contacts',
    owner: 'business',
    kind: 'dynamodb-table',
    resource: { env: 'DSR_TABLE_CONTACT_HISTORY', defaultName: 'dsr-contact-history' },
    table: { partitionKey: 'contactId', indexes: [{ name: 'byCustomer', partitionKey: 'customerId', sortKey: 'createdAt' }] },
    locator: {
      by: 'index',
      indexName: 'byCustomer',
      indexPartitionKey: 'customerId',
      indexSortKey: 'createdAt',
      partitionKey: 'contactId',
    },
    brands: ALL_BRANDS,
    categories: ['questions and complaints by phone, chat and email', 'chat transcripts and messages', 'financial details you shared'],
    purpose: 'Following up on your questions and complaints',
    legalBasis: 'Legitimate interest in giving the best possible service (Art. 6(1)(f))',
    recipients: [CLOUD_HOSTING],
    ...retentionOf(
      [
        {
          kind: 'after-attribute',
          attribute: 'closedAt',
          when: { attribute: 'status', in: ['closed'] },
          period: { amount: 2, unit: 'years' },
          text: 'Up to {period} after the contact is closed',
        },
      ],
      'deleted on erasure request',
    ),
    source: 'Your contacts with our customer service',
    erasure: { action: 'delete' },
    holdsFiles: false,
    amounts: { minorUnitAttributes: ['refundAmount'], currencyAttribute: 'currency' },
  },
  {
    id: 'call-recordings',
    title: 'Recorded phone calls',
    owner: 'business',
    kind: 's3-bucket',
    resource: { env: 'DSR_BUCKET_CALL_RECORDINGS', defaultName: 'dsr-call-recordings' },
    locator: { by: 'key-prefix', prefixTemplate: 'recordings/{customerId}/' },
    brands: ALL_BRANDS,
    categories: ['audio recordings of calls with customer service'],
    purpose: 'Training customer-service staff to keep service standards high',
    legalBasis: 'Legitimate interest (Art. 6(1)(f))',
    recipients: [CLOUD_HOSTING],
    ...retentionOf([{ kind: 'after-metadata', attribute: 'recorded-at', datedFileNames: true, period: { amount: 90, unit: 'days' }, text: '{period} after the call' }], 'deleted on erasure request'),
    source: 'Your phone calls with our customer service',
    erasure: { action: 'delete' },
    holdsFiles: true,
  },
  {
    id: 'marketing',
    title: 'Marketing preferences and segments',
    owner: 'business',
    kind: 'dynamodb-table',
    resource: { env: 'DSR_TABLE_MARKETING', defaultName: 'dsr-marketing' },
    table: { partitionKey: 'customerId', sortKey: 'entryId' },
    locator: { by: 'partition-key', partitionKey: 'customerId', sortKey: 'entryId' },
    brands: ALL_BRANDS,
    categories: ['direct-marketing consents and opt-outs (email, SMS, post)', 'marketing segments', 'social-media audiences'],
    purpose: 'Sending you direct marketing and segment-based and social-media marketing',
    legalBasis: 'Legitimate interest (Art. 6(1)(f)); you can object at any time',
    recipients: [
      CLOUD_HOSTING,
      {
        id: 'email-marketing-provider',
        name: 'Email-marketing service provider',
        role: 'processor',
        location: 'EU',
        notification: { notify: true, identifier: 'customer-id', why: 'Holds the contact and its consents under the customer id (its external id); it needs that id to act' },
      },
      {
        id: 'meta-custom-audiences',
        name: 'Meta Platforms (Facebook and Instagram custom audiences)',
        role: 'controller',
        location: 'Ireland and the USA',
        notification: { notify: true, identifier: 'customer-key', why: 'The audience sync keeps each member it uploaded under the keyed hash; that hash is all it needs to remove the member (no email or phone travels)' },
      },
    ],
    ...retentionOf([
      {
        kind: 'account-lifetime',
        text: 'Until you object or withdraw; an erased customer keeps only a keyed-hash suppression entry so a later import does not add them again',
      },
    ]),
    source: 'Your account settings, orders and website use',
    erasure: { action: 'delete', suppress: true },
    holdsFiles: false,
  },
  {
    id: 'smart-creation',
    title: 'Smart creation (automated product creation)',
    owner: 'business',
    kind: 'dynamodb-table',
    resource: { env: 'DSR_TABLE_SMART_CREATION', defaultName: 'dsr-smart-creation' },
    table: { partitionKey: 'customerId', sortKey: 'entryId' },
    locator: { by: 'partition-key', partitionKey: 'customerId', sortKey: 'entryId' },
    brands: ALL_BRANDS,
    categories: ['results of automated analysis of your uploaded photos', 'changes you made to automatically created products'],
    purpose: 'Automatically creating photo products from your photos and improving that technique',
    legalBasis: 'Performance of the contract (Art. 6(1)(b)); legitimate interest in user-friendly products (Art. 6(1)(f))',
    recipients: [CLOUD_HOSTING],
    ...retentionOf([{ kind: 'account-lifetime', text: 'As long as your account exists' }], 'deleted on erasure request'),
    source: 'Derived by our algorithms from the photos you uploaded, and from your edits',
    erasure: { action: 'delete' },
    holdsFiles: false,
    explanation:
      'We use algorithms, artificial intelligence and machine learning to analyse the photos you upload (for example image quality, faces and scenes, dates) and to propose a complete photo product from them, reducing creation time from months to minutes. The analysis selects and orders photos and chooses layouts; it has no legal or similarly significant effect on you: you decide whether to order, and you can change or discard every proposal. We record the changes you make to proposals to improve the technique.',
  },
];

/** The stores the pipeline itself owns. */
export const PIPELINE_STORES: readonly StoreDefinition[] = [
  {
    id: 'request-ledger',
    title: 'Data-subject request ledger',
    owner: 'pipeline',
    kind: 'dynamodb-table',
    resource: { env: 'DSR_TABLE_REQUEST_LEDGER', defaultName: 'dsr-request-ledger' },
    table: {
      partitionKey: 'requestId',
      indexes: [
        { name: 'byCustomer', partitionKey: 'customerKey', sortKey: 'createdAt' },
        { name: 'byStatus', partitionKey: 'status', sortKey: 'dueAt' },
        // Sparse: only records whose status event is still owed (the ledger's outbox) carry these keys.
        { name: 'byPendingEvent', partitionKey: 'pendingEvent', sortKey: 'pendingEventSince' },
        // Sparse: only records with an unacknowledged Art. 19 notification (notification-ledger.ts).
        { name: 'byUnacknowledged', partitionKey: 'unacknowledged', sortKey: 'unacknowledgedSince' },
      ],
    },
    brands: ALL_BRANDS,
    categories: ['request type, status and dates', 'customer id (replaced by a keyed hash once an erasure completes)'],
    purpose: 'Handling and proving the handling of your privacy requests',
    legalBasis: 'Legal obligation to answer data-subject requests (Art. 6(1)(c), Art. 12)',
    recipients: [CLOUD_HOSTING],
    ...retentionOf(
      [
        {
          kind: 'after-attribute',
          // A final record's last change is its completion or cancellation (or a later erasedBy mark): never earlier.
          attribute: 'updatedAt',
          when: { attribute: 'status', in: ['completed', 'cancelled'] },
          period: { amount: 5, unit: 'years' },
          text: 'Kept as accountability record (Art. 5(2)) until {period} after the request was closed (the supervisory authority\'s power to fine lapses after 5 years, Awb art. 5:45), then deleted; erasure certificates stay in the audit bucket',
        },
      ],
      'holds no readable personal data after an erasure',
    ),
    source: 'Your request',
    erasure: { action: 'none', reason: 'Accountability record; the customer id is replaced by its keyed hash' },
    holdsFiles: false,
  },
  {
    id: 'exports',
    title: 'Export archives',
    owner: 'pipeline',
    kind: 's3-bucket',
    resource: { env: 'DSR_BUCKET_EXPORTS', defaultName: 'dsr-exports' },
    requestPrefixes: { requestType: 'export', prefixTemplates: ['exports/{requestId}/', 'staging/{requestId}/'] },
    brands: ALL_BRANDS,
    categories: ['copies of your data prepared for download'],
    purpose: 'Giving you a copy of your data (Art. 15, 20)',
    legalBasis: 'Legal obligation (Art. 6(1)(c))',
    recipients: [CLOUD_HOSTING],
    ...retentionOf(
      [
        { kind: 'lifecycle', prefix: 'exports/', period: { amount: 7, unit: 'days' }, text: 'Archives expire after {period}' },
        { kind: 'lifecycle', prefix: 'staging/', period: { amount: 1, unit: 'days' }, text: 'staging data after {period}' },
      ],
      'both are deleted when you ask for erasure',
    ),
    source: 'Generated from the stores above',
    erasure: { action: 'delete' },
    holdsFiles: true,
  },
  {
    id: 'audit',
    title: 'Erasure certificates',
    owner: 'pipeline',
    kind: 's3-bucket',
    resource: { env: 'DSR_BUCKET_AUDIT', defaultName: 'dsr-audit' },
    brands: ALL_BRANDS,
    categories: ['proof of erasure: hashed customer id, counts per store, retained invoice references'],
    purpose: 'Proving that an erasure was carried out (Art. 5(2))',
    legalBasis: 'Legal obligation (Art. 6(1)(c))',
    recipients: [CLOUD_HOSTING],
    ...retentionOf([{ kind: 'none', reason: 'Proof of erasure (Art. 5(2)); holds only keyed hashes and counts', text: 'Kept as accountability record; holds no readable personal data' }]),
    source: 'Generated by the erasure workflow',
    erasure: { action: 'none', reason: 'Proof of erasure; holds only keyed hashes' },
    holdsFiles: false,
  },
  {
    id: 'marketing-suppression',
    title: 'Marketing suppression list, restrictions and objections',
    owner: 'pipeline',
    kind: 'dynamodb-table',
    resource: { env: 'DSR_TABLE_MARKETING_SUPPRESSION', defaultName: 'dsr-marketing-suppression' },
    table: { partitionKey: 'hash' },
    brands: ALL_BRANDS,
    categories: [
      'keyed hashes (HMAC-SHA256) of the email address and phone number of erased customers and of customers who objected to direct marketing',
      'restrictions (Art. 18) and objections (Art. 21) under the keyed hash of the customer id: scope or purpose, ground, since when, the request',
    ],
    purpose: 'Making sure an erased or objecting customer is not added again by a later marketing import, and answering whether a customer\'s data may be processed for a purpose',
    legalBasis: 'Legitimate interest in honouring the erasure and objection (Art. 6(1)(f), Art. 21)',
    recipients: [CLOUD_HOSTING],
    ...retentionOf([
      { kind: 'none', reason: 'Needed as long as marketing lists are imported, to honour erasures', text: 'Kept as long as marketing lists are imported; holds no readable personal data' },
    ]),
    source: 'Generated by the erasure, restriction and objection workflows',
    erasure: { action: 'none', reason: 'Holds only keyed hashes, needed to honour the erasure' },
    holdsFiles: false,
  },
];

/** Every store, business and pipeline. */
export const DATA_MAP: readonly StoreDefinition[] = [...CUSTOMER_STORES, ...PIPELINE_STORES];

/**
 * Default retention, in days, of the S3 server access logs of the created buckets (the stack's log
 * bucket, not a store of the map). They name requesters, IP addresses and object keys that contain
 * customer ids, so they are personal data and expire by lifecycle rule (setting `accessLogRetentionDays`).
 */
export const ACCESS_LOG_RETENTION_DAYS = 90;

/** Every store an erasure erases: the business stores and the pipeline's copies of customer data (exports). */
export const ERASED_STORES: readonly StoreDefinition[] = DATA_MAP.filter((store) => store.erasure.action !== 'none');

/** The store with the given id; throws for an unknown id. */
export function getStore(id: string): StoreDefinition {
  const store = DATA_MAP.find((candidate) => candidate.id === id);
  if (!store) throw new Error(`Unknown store "${id}"`);
  return store;
}

/** The physical table or bucket name of a store, from the environment or its default. */
export function resourceName(store: StoreDefinition, env: NodeJS.ProcessEnv = process.env): string {
  return env[store.resource.env] || store.resource.defaultName;
}

/** True when the store's bucket keeps object versions (file stores and the audit bucket), in the stack and on a local backend. */
export function isVersionedBucket(store: StoreDefinition): boolean {
  return store.kind === 's3-bucket' && (store.holdsFiles === true || store.id === 'audit');
}

/** The S3 key prefix holding a customer's files; it always ends with `/`. */
export function customerKeyPrefix(locator: KeyPrefixLocator, customerId: string, brand: Brand): string {
  assertSafeCustomerId(customerId);
  const prefix = locator.prefixTemplate.replaceAll('{customerId}', customerId).replaceAll('{brand}', brand);
  if (!prefix.endsWith('/')) throw new Error(`Prefix template "${locator.prefixTemplate}" must end with "/"`);
  return prefix;
}

/**
 * Every S3 key prefix that can hold a customer's files: the customer id is group-wide, so a template
 * with `{brand}` is searched under every brand's prefix, whatever brand a request names.
 */
export function customerKeyPrefixes(locator: KeyPrefixLocator, customerId: string): string[] {
  const brands: readonly (Brand | undefined)[] = locator.prefixTemplate.includes('{brand}') ? BRANDS : [undefined];
  return brands.map((brand) => customerKeyPrefix(locator, customerId, brand ?? BRANDS[0]));
}

/** Customer ids: letters, digits, `-` and `_`, 1 to 64 characters (no `/`, so prefixes cannot overlap). */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws when a customer id could escape or overlap a key prefix. */
export function assertSafeCustomerId(customerId: string): void {
  if (!CUSTOMER_ID_PATTERN.test(customerId)) {
    throw new Error(`Customer id must match ${CUSTOMER_ID_PATTERN}`);
  }
}
