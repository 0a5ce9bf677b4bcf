import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Brand } from '../../functions/core/brands';
import { getStore, resourceName } from '../../functions/core/data-map';
import { BASE_IMAGE_COUNT, labelledJpeg, toneWav } from './media';
import { ALBUM_NAMES, COUNTRY_FIXTURES, EURO_RATE, ORDER_PREFIX, PHOTO_NAMES, PRODUCTS, SCENE_LABELS, SEGMENTS } from './people';
import { seededRng, type Rng } from './random';
import {
  CURRENCIES,
  VAT_RATES,
  libraryFileKey,
  recordingKey,
  safeFileName,
  selectionReason,
  uploadedPhotoKey,
  vatFor,
  type Address,
  type ContactRecord,
  type Country,
  type MarketingRecord,
  type OrderRecord,
  type ProfileRecord,
  type SmartCreationRecord,
} from './records';
import { putItems, putObjects, type SeedClients, type SeedItem, type SeedObject } from './write';

/**
 * The deterministic demo dataset `npm start` seeds on first start: 24 customers over all five brands,
 * each with a realistic mix over every store, plus deliberate edge cases (prefix-sharing ids, legal
 * holds, a dispute, a customer with no data anywhere). Everything derives from fixed labels and a fixed
 * epoch, so two fresh data directories hold identical records.
 */

/** Edge cases a demo customer stands for. */
export type DemoScenario =
  | 'prefix-sibling'
  | 'call-recording'
  | 'photo-library'
  | 'legal-hold-open-order'
  | 'legal-claim'
  | 'disputed-payment'
  | 'marketing-opt-out';

/** A demo customer: id, brand, country, and what it is there to show. */
export interface DemoCustomer {
  customerId: string;
  brand: Brand;
  country: Country;
  scenarios: readonly DemoScenario[];
  notes: string;
}

/** The fixed "now" of the demo data: every date is relative to 2025-06-01T00:00:00Z. */
export const DEMO_EPOCH = Date.UTC(2025, 5, 1);

/**
 * The demo customers. Ids are `c<n>`: `c1` is a prefix of `c10`–`c19` and `c2` of `c20`–`c24`, so
 * isolation bugs (a prefix without delimiter, a `begins_with`) show up at once.
 */
export const DEMO_CUSTOMERS: readonly DemoCustomer[] = [
  { customerId: 'c1', brand: 'albelli', country: 'NL', scenarios: ['prefix-sibling', 'call-recording'], notes: 'Every store except the photo library; id is a prefix of c10–c19' },
  { customerId: 'c2', brand: 'bonusprint', country: 'GB', scenarios: ['prefix-sibling'], notes: 'Typical bonusprint customer; id is a prefix of c20–c24' },
  { customerId: 'c3', brand: 'fotoknudsen', country: 'NO', scenarios: ['photo-library'], notes: 'minnebanken photo-library albums' },
  { customerId: 'c4', brand: 'onskefoto', country: 'SE', scenarios: ['photo-library'], notes: 'minbildbank photo-library albums' },
  { customerId: 'c5', brand: 'resnap', country: 'NL', scenarios: [], notes: 'Smart-creation heavy (resnap)' },
  { customerId: 'c6', brand: 'albelli', country: 'BE', scenarios: ['marketing-opt-out'], notes: 'Opted out of email marketing' },
  { customerId: 'c7', brand: 'albelli', country: 'DE', scenarios: ['call-recording'], notes: 'Recorded phone call' },
  { customerId: 'c8', brand: 'bonusprint', country: 'GB', scenarios: ['legal-hold-open-order'], notes: 'Legal hold: an undelivered, unpaid order' },
  { customerId: 'c9', brand: 'fotoknudsen', country: 'NO', scenarios: ['photo-library', 'legal-claim'], notes: 'Legal hold: open complaint flagged legalClaim' },
  { customerId: 'c10', brand: 'onskefoto', country: 'SE', scenarios: ['photo-library', 'disputed-payment'], notes: 'Legal hold: an order under payment dispute' },
  { customerId: 'c11', brand: 'resnap', country: 'DE', scenarios: [], notes: 'resnap customer in Germany' },
  { customerId: 'c12', brand: 'albelli', country: 'NL', scenarios: ['prefix-sibling', 'call-recording'], notes: 'Prefix sibling of c1 with files in every prefix c1 uses' },
  { customerId: 'c13', brand: 'bonusprint', country: 'GB', scenarios: [], notes: 'bonusprint customer' },
  { customerId: 'c14', brand: 'fotoknudsen', country: 'NO', scenarios: ['photo-library'], notes: 'Photo library' },
  { customerId: 'c15', brand: 'onskefoto', country: 'SE', scenarios: ['photo-library', 'marketing-opt-out'], notes: 'Photo library; opted out of email marketing' },
  { customerId: 'c16', brand: 'resnap', country: 'GB', scenarios: [], notes: 'resnap customer in the UK' },
  { customerId: 'c17', brand: 'albelli', country: 'NL', scenarios: [], notes: 'albelli customer' },
  { customerId: 'c18', brand: 'bonusprint', country: 'GB', scenarios: [], notes: 'bonusprint customer' },
  { customerId: 'c19', brand: 'fotoknudsen', country: 'NO', scenarios: ['photo-library'], notes: 'Photo library' },
  { customerId: 'c20', brand: 'onskefoto', country: 'SE', scenarios: ['photo-library'], notes: 'Photo library' },
  { customerId: 'c21', brand: 'resnap', country: 'NL', scenarios: [], notes: 'resnap customer' },
  { customerId: 'c22', brand: 'albelli', country: 'DE', scenarios: [], notes: 'albelli customer in Germany' },
  { customerId: 'c23', brand: 'bonusprint', country: 'GB', scenarios: [], notes: 'bonusprint customer' },
  { customerId: 'c24', brand: 'onskefoto', country: 'SE', scenarios: ['photo-library'], notes: 'Photo library' },
];

/** A customer id with no record in any store (the "empty export" case); `c4` is its prefix. */
export const DEMO_EMPTY_CUSTOMER = {
  customerId: 'c404',
  brand: 'albelli',
  notes: 'Exists in no store: an export finds nothing, an erasure has nothing to do',
} as const satisfies { customerId: string; brand: Brand; notes: string };

/** Marker object (in the uploaded-photos bucket, outside `customers/`) that records a completed demo seed. */
export const DEMO_MARKER_KEY = '.seed/demo.json';

/** The records and files of the whole demo dataset. */
export interface DemoDataset {
  items: SeedItem[];
  objects: SeedObject[];
}

const DAY_MS = 86_400_000;

/** ISO timestamp `days` (plus `seconds`) before the demo epoch. */
function daysAgo(days: number, seconds = 0): string {
  return new Date(DEMO_EPOCH - days * DAY_MS - seconds * 1000).toISOString();
}

/** ISO timestamp `seconds` after an ISO timestamp. */
function after(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/** An ASCII email local part from a display name. */
function emailLocalPart(first: string, last: string): string {
  return `${safeFileName(first)}.${safeFileName(last)}`.replaceAll('-', '.');
}

/** Builds one demo customer's records and files. */
function buildCustomer(customer: DemoCustomer, index: number): DemoDataset {
  const { customerId, brand, scenarios } = customer;
  const rng = seededRng(`dsr-demo:${customerId}`);
  const has = (scenario: DemoScenario): boolean => scenarios.includes(scenario);
  const items: SeedItem[] = [];
  const objects: SeedObject[] = [];

  const profile = buildProfile(customer, rng);
  items.push({ store: 'customer-profile', item: profile });
  const home = profile.addresses[0]!;

  const photoKeys: string[] = [];
  const photoCount = rng.int(2, 5);
  for (let p = 0; p < photoCount; p += 1) {
    const uploadId = `up-${rng.hex(10)}`;
    const originalName = PHOTO_NAMES[(index * 3 + p) % PHOTO_NAMES.length]!;
    const key = uploadedPhotoKey(customerId, uploadId, safeFileName(originalName));
    photoKeys.push(key);
    objects.push({
      store: 'uploaded-photos',
      key,
      contentType: 'image/jpeg',
      metadata: {
        'original-filename': encodeURIComponent(originalName),
        'uploaded-at': daysAgo(rng.int(30, 700), rng.int(0, 86_399)),
        brand,
      },
      body: labelledJpeg(rng.int(0, BASE_IMAGE_COUNT - 1), key),
    });
  }

  const orderCount = rng.int(1, 3);
  for (let o = 0; o < orderCount; o += 1) {
    const cancelled = o > 0 && rng.chance(0.2);
    items.push({
      store: 'orders',
      item: buildOrder(customer, profile, rng, photoKeys, {
        orderedAt: daysAgo(rng.int(60, 1500), rng.int(0, 86_399)),
        status: cancelled ? 'cancelled' : 'delivered',
        paymentStatus: cancelled ? 'refunded' : 'paid',
      }),
    });
  }
  if (has('legal-hold-open-order')) {
    items.push({ store: 'orders', item: buildOrder(customer, profile, rng, photoKeys, { orderedAt: daysAgo(2, 3600), status: 'in_production', paymentStatus: 'pending' }) });
  }
  if (has('disputed-payment')) {
    items.push({ store: 'orders', item: buildOrder(customer, profile, rng, photoKeys, { orderedAt: daysAgo(40, 7200), status: 'delivered', paymentStatus: 'disputed' }) });
  }

  if (has('photo-library') && (brand === 'fotoknudsen' || brand === 'onskefoto')) {
    const albumCount = rng.int(1, 2);
    for (let a = 0; a < albumCount; a += 1) {
      const albumId = `al-${rng.hex(8)}`;
      const albumName = ALBUM_NAMES[brand][(index + a) % ALBUM_NAMES[brand].length]!;
      const fileCount = rng.int(2, 3);
      for (let f = 0; f < fileCount; f += 1) {
        const originalName = PHOTO_NAMES[(index + a * 3 + f) % PHOTO_NAMES.length]!;
        const ext = originalName.toLowerCase().endsWith('.jpeg') ? 'jpeg' : 'jpg';
        const key = libraryFileKey(brand, customerId, albumId, `f-${rng.hex(10)}`, ext);
        objects.push({
          store: 'photo-library',
          key,
          contentType: 'image/jpeg',
          metadata: {
            'album-name': encodeURIComponent(albumName),
            'original-filename': encodeURIComponent(originalName),
            'added-at': daysAgo(rng.int(10, 900), rng.int(0, 86_399)),
          },
          body: labelledJpeg(rng.int(0, BASE_IMAGE_COUNT - 1), key),
        });
      }
    }
  }

  const contacts = buildContacts(customer, rng, has('call-recording'), has('legal-claim'));
  for (const { record, recording } of contacts) {
    items.push({ store: 'contact-history', item: record });
    if (recording) objects.push(recording);
  }

  for (const entry of buildMarketing(customer, profile, home, rng, has('marketing-opt-out'))) items.push({ store: 'marketing', item: entry });
  for (const entry of buildSmartCreation(customer, rng, photoKeys)) items.push({ store: 'smart-creation', item: entry });

  return { items, objects };
}

/** Who a record belongs to. */
export type CustomerRef = Pick<DemoCustomer, 'customerId' | 'brand' | 'country'>;

/** A profile with a home address (and sometimes a work address). */
export function buildProfile({ customerId, brand, country }: CustomerRef, rng: Rng): ProfileRecord {
  const fixtures = COUNTRY_FIXTURES[country];
  const firstName = rng.pick(fixtures.firstNames);
  const lastName = rng.pick(fixtures.lastNames);
  const address = (type: Address['type']): Address => {
    const [postalCode, city] = rng.pick(fixtures.towns);
    return { type, street: `${rng.pick(fixtures.streets)} ${rng.int(1, 199)}`, postalCode, city, country };
  };
  const addresses = [address('home')];
  if (rng.chance(0.3)) addresses.push(address('work'));
  const createdAt = daysAgo(rng.int(800, 3000), rng.int(0, 86_399));
  return {
    customerId,
    brand,
    firstName,
    lastName,
    email: `${emailLocalPart(firstName, lastName)}.${customerId}@${rng.pick(['example.com', 'example.net', 'example.org'])}`,
    phone: fixtures.phone(String(rng.int(0, 9999)).padStart(4, '0')),
    locale: fixtures.locale,
    country,
    addresses,
    createdAt,
    lastLoginAt: daysAgo(rng.int(1, 60), rng.int(0, 86_399)),
  };
}

/** One order with consistent amounts: net = Σ quantity × unitPrice, VAT by country, gross = net + VAT. */
export function buildOrder(
  { customerId, brand, country }: CustomerRef,
  profile: ProfileRecord,
  rng: Rng,
  photoKeys: string[],
  shape: { orderedAt: string; status: OrderRecord['status']; paymentStatus: OrderRecord['paymentStatus'] },
): OrderRecord {
  const currency = CURRENCIES[country];
  const vatRate = VAT_RATES[country];
  const products = PRODUCTS[brand];
  const lineCount = rng.int(1, Math.min(3, products.length));
  const lines = Array.from({ length: lineCount }, (_, l) => {
    const product = products[(rng.int(0, products.length - 1) + l) % products.length]!;
    const photoCount = Math.min(photoKeys.length, rng.int(1, 6));
    const first = rng.int(0, Math.max(0, photoKeys.length - 1));
    return {
      sku: product.sku,
      product: product.product,
      quantity: rng.int(product.quantity[0], product.quantity[1]),
      unitPrice: Math.round(product.netEuroCents * EURO_RATE[currency]),
      projectId: `pr-${rng.hex(10)}`,
      photoKeys: Array.from({ length: photoCount }, (_, k) => photoKeys[(first + k) % photoKeys.length]!),
    };
  });
  const netAmount = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  const year = shape.orderedAt.slice(0, 4);
  const home = profile.addresses[0]!;
  const name = `${profile.firstName} ${profile.lastName}`;
  const order: OrderRecord = {
    customerId,
    orderId: `o-${rng.hex(12)}`,
    brand,
    orderNumber: `${ORDER_PREFIX[brand]}-${year}-${String(rng.int(0, 9_999_999)).padStart(7, '0')}`,
    invoiceNumber: `INV-${country}-${year}-${String(rng.int(0, 99_999_999)).padStart(8, '0')}`,
    invoiceDate: after(shape.orderedAt, rng.int(60, 3600)),
    orderedAt: shape.orderedAt,
    status: shape.status,
    paymentStatus: shape.paymentStatus,
    lines,
    shippingAddress: { ...home, type: 'shipping', name },
    billingAddress: { ...home, type: 'billing', name },
    currency,
    netAmount,
    vatRate,
    ...vatFor(netAmount, vatRate),
    country,
    paymentReference: `psp_${rng.hex(16)}`,
  };
  if (rng.chance(0.3)) order.customerNote = rng.pick(['Gift — please leave out the invoice', 'Leave with the neighbours at no. 14 if nobody is home', 'Please wrap the book carefully']);
  return order;
}

/** Chat and email templates: subject and alternating customer/agent messages. */
const CONVERSATIONS: readonly { subject: string; messages: readonly string[] }[] = [
  {
    subject: 'Where is my order?',
    messages: ['Hi, my photo book has not arrived yet, can you check?', 'Sorry for the wait! The parcel is with the carrier and arrives tomorrow.', 'Great, thank you.'],
  },
  {
    subject: 'Change delivery address',
    messages: ['Can I still change the delivery address of my order?', 'Yes, I have updated it to the address you gave. Anything else?', 'No, that was all.'],
  },
  {
    subject: 'Colours look different from the screen',
    messages: ['The prints are darker than on my screen.', 'I understand. We will reprint them free of charge with brightness correction.'],
  },
];

/** A contact record plus, for recorded calls, the recording file. */
interface BuiltContact {
  record: ContactRecord;
  recording?: SeedObject;
}

/** Contacts by email, chat and phone; a recorded call and a legal-claim complaint where the scenario asks. */
function buildContacts({ customerId, brand, country }: DemoCustomer, rng: Rng, recorded: boolean, legalClaim: boolean): BuiltContact[] {
  const channels: ContactRecord['channel'][] = ['email', 'chat', 'phone'];
  const count = recorded || customerId === 'c1' ? 3 : rng.int(1, 3);
  const start = recorded ? 0 : rng.int(0, 2);
  const contacts: BuiltContact[] = [];
  for (let c = 0; c < count; c += 1) {
    const channel = channels[(start + c) % channels.length]!;
    const createdAt = daysAgo(rng.int(5, 600), rng.int(0, 86_399));
    const contactId = `ct-${rng.hex(12)}`;
    const base = { contactId, customerId, createdAt, brand, channel, legalClaim: false, status: 'closed' as const, closedAt: after(createdAt, rng.int(600, 172_800)) };
    if (channel === 'phone') {
      const record: ContactRecord = { ...base, subject: 'Question about an invoice', callNotes: 'Customer asked for a copy of the invoice; sent by email.' };
      if (!recorded) {
        contacts.push({ record });
        continue;
      }
      const callId = `call-${rng.hex(10)}`;
      const seconds = rng.int(3, 6);
      record.recordingKey = recordingKey(customerId, callId, createdAt);
      contacts.push({
        record,
        recording: {
          store: 'call-recordings',
          key: record.recordingKey,
          contentType: 'audio/wav',
          metadata: { 'contact-id': contactId, 'recorded-at': createdAt, 'duration-seconds': String(seconds) },
          body: toneWav(seconds, rng.pick([330, 440, 523])),
        },
      });
      continue;
    }
    const conversation = rng.pick(CONVERSATIONS);
    const messages = conversation.messages.map((text, m) => ({ from: m % 2 === 0 ? ('customer' as const) : ('agent' as const), at: after(createdAt, m * rng.int(30, 600)), text }));
    contacts.push({ record: { ...base, subject: conversation.subject, messages } });
  }
  if (legalClaim) {
    const createdAt = daysAgo(20, 5400);
    contacts.push({
      record: {
        contactId: `ct-${rng.hex(12)}`,
        customerId,
        createdAt,
        brand,
        channel: 'email',
        subject: 'Formal complaint: damaged photo book, compensation claimed',
        messages: [
          { from: 'customer', at: createdAt, text: 'The book arrived torn and I missed the anniversary. I hold you liable and have asked my lawyer to claim compensation.' },
          { from: 'agent', at: after(createdAt, 7200), text: 'We are sorry. Your complaint is registered and passed to our legal team.' },
        ],
        financialDetails: { iban: `${country}00 TEST 0000 0000 00`, refundAmount: Math.round(4995 * EURO_RATE[CURRENCIES[country]]), currency: CURRENCIES[country] },
        legalClaim: true,
        status: 'open',
      },
    });
  }
  return contacts;
}

/** Consents (email always, SMS and post sometimes), segments, and a social-media audience when email consent is on. */
function buildMarketing({ customerId, brand }: DemoCustomer, profile: ProfileRecord, home: Address, rng: Rng, optedOut: boolean): MarketingRecord[] {
  const entries: MarketingRecord[] = [];
  const emailGranted = !optedOut && rng.chance(0.85);
  entries.push({
    customerId,
    entryId: 'consent#email',
    brand,
    channel: 'email',
    granted: emailGranted,
    address: profile.email,
    updatedAt: daysAgo(rng.int(10, 800)),
    source: optedOut ? 'unsubscribe-link' : rng.pick(['account-settings', 'checkout'] as const),
  });
  if (rng.chance(0.5)) {
    entries.push({ customerId, entryId: 'consent#sms', brand, channel: 'sms', granted: rng.chance(0.5), address: profile.phone, updatedAt: daysAgo(rng.int(10, 800)), source: 'checkout' });
  }
  if (rng.chance(0.4)) {
    const line = `${home.street}, ${home.postalCode} ${home.city}`;
    entries.push({ customerId, entryId: 'consent#post', brand, channel: 'post', granted: true, address: line, updatedAt: daysAgo(rng.int(10, 800)), source: 'account-settings' });
  }
  const segmentCount = rng.int(1, 2);
  const first = rng.int(0, SEGMENTS.length - 1);
  for (let s = 0; s < segmentCount; s += 1) {
    const segment = SEGMENTS[(first + s) % SEGMENTS.length]!;
    entries.push({ customerId, entryId: `segment#${segment.name}`, brand, segment: segment.name, assignedAt: daysAgo(rng.int(1, 300)), criteria: segment.criteria });
  }
  if (emailGranted && rng.chance(0.6)) {
    entries.push({ customerId, entryId: 'audience#meta', brand, platform: 'meta', audienceId: `aud-${brand}-${rng.hex(6)}`, matchKeys: ['email'], syncedAt: daysAgo(rng.int(1, 90)) });
  }
  return entries;
}

/** An analysis per uploaded photo and a few product-edit events (always for resnap). */
function buildSmartCreation({ customerId, brand }: DemoCustomer, rng: Rng, photoKeys: string[]): SmartCreationRecord[] {
  const analyses = photoKeys.map((photoKey) => ({
    customerId,
    entryId: `analysis#${photoKey.split('/')[2]}`,
    brand,
    photoKey,
    analysedAt: daysAgo(rng.int(30, 700)),
    model: 'smart-creation-vision-3',
    qualityScore: Math.round(rng.next() * 100) / 100,
    faces: rng.int(0, 4),
    sceneLabels: [rng.pick(SCENE_LABELS), rng.pick(SCENE_LABELS)].filter((label, i, all) => all.indexOf(label) === i),
    selected: rng.chance(0.7),
  }));
  const edits = brand === 'resnap' ? rng.int(2, 4) : rng.chance(0.5) ? rng.int(1, 2) : 0;
  const projectId = `pr-${rng.hex(10)}`;
  const entries: SmartCreationRecord[] = analyses.map((analysis) => ({
    ...analysis,
    selectionReason: selectionReason(analysis.selected, analysis.qualityScore, analysis.faces),
    projectId,
  }));
  let at = daysAgo(rng.int(10, 300), rng.int(0, 86_399));
  for (let e = 0; e < edits; e += 1) {
    at = after(at, rng.int(20, 600));
    entries.push({
      customerId,
      entryId: `edit#${at}`,
      brand,
      projectId,
      at,
      action: rng.pick(['replace-photo', 'change-layout', 'remove-page', 'change-cover', 'reorder-pages', 'edit-text'] as const),
      page: rng.int(0, 40),
    });
  }
  return entries;
}

/** The whole demo dataset, built in memory (pure and deterministic). */
export function buildDemoDataset(): DemoDataset {
  const dataset: DemoDataset = { items: [], objects: [] };
  DEMO_CUSTOMERS.forEach((customer, index) => {
    const built = buildCustomer(customer, index);
    dataset.items.push(...built.items);
    dataset.objects.push(...built.objects);
  });
  return dataset;
}

/** True when the demo marker object exists. */
async function demoSeeded(clients: SeedClients, bucket: string): Promise<boolean> {
  try {
    await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: DEMO_MARKER_KEY }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((error as Error).name === 'NotFound' || status === 404) return false;
    throw error;
  }
}

/**
 * Seeds the demo dataset once: when the marker exists it returns `seeded: false`; otherwise it writes
 * every record and file, then the marker (so an interrupted seed runs again, rewriting the same data).
 */
export async function seedDemoData(
  clients: SeedClients,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seeded: boolean; customers: { customerId: string; brand: Brand }[] }> {
  const customers = DEMO_CUSTOMERS.map(({ customerId, brand }) => ({ customerId, brand }));
  const markerBucket = resourceName(getStore('uploaded-photos'), env);
  if (await demoSeeded(clients, markerBucket)) return { seeded: false, customers };
  const dataset = buildDemoDataset();
  await putItems(clients.doc, dataset.items, env);
  await putObjects(clients.s3, dataset.objects, env);
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: markerBucket,
      Key: DEMO_MARKER_KEY,
      ContentType: 'application/json',
      Body: JSON.stringify({ dataset: 'dsr-demo', epoch: new Date(DEMO_EPOCH).toISOString(), customers: customers.map((c) => c.customerId) }),
    }),
  );
  return { seeded: true, customers };
}
