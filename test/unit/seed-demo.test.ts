import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import { BRANDS } from '../../functions/core/brands';
import { customerKeyPrefix, getStore, type KeyPrefixLocator } from '../../functions/core/data-map';
import { buildDemoDataset, DEMO_CUSTOMERS, DEMO_EMPTY_CUSTOMER, DEMO_MARKER_KEY, seedDemoData } from '../../local/seed/demo';
import {
  contactSchema,
  marketingEntrySchema,
  orderSchema,
  profileSchema,
  recordingMetadataSchema,
  libraryFileMetadataSchema,
  smartCreationEntrySchema,
  uploadedPhotoMetadataSchema,
  VAT_RATES,
  type ContactRecord,
  type OrderRecord,
} from '../../local/seed/records';

/** The demo dataset, built in memory: shapes, mix per customer, edge cases, determinism; seeding once. */

const dataset = buildDemoDataset();
const itemsOf = (store: string, customerId?: string) =>
  dataset.items.filter((entry) => entry.store === store && (customerId === undefined || entry.item.customerId === customerId)).map((entry) => entry.item);
const objectsOf = (store: string) => dataset.objects.filter((object) => object.store === store);
const orders = itemsOf('orders') as OrderRecord[];
const contacts = itemsOf('contact-history') as ContactRecord[];

const SCHEMAS = {
  'customer-profile': profileSchema,
  orders: orderSchema,
  'contact-history': contactSchema,
  marketing: marketingEntrySchema,
  'smart-creation': smartCreationEntrySchema,
} as const;

describe('demo dataset', () => {
  it('is deterministic: two builds give identical records and bytes', () => {
    // Act
    const again = buildDemoDataset();

    // Assert
    expect(again.items).toEqual(dataset.items);
    expect(again.objects.map((o) => [o.key, o.metadata, Buffer.from(o.body as Buffer).toString('base64')])).toEqual(
      dataset.objects.map((o) => [o.key, o.metadata, Buffer.from(o.body as Buffer).toString('base64')]),
    );
  });

  it('has at least 20 customers over all five brands, with unique ids that follow the data map pattern', () => {
    // Assert
    expect(DEMO_CUSTOMERS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(DEMO_CUSTOMERS.map((c) => c.brand))).toEqual(new Set(BRANDS));
    expect(new Set(DEMO_CUSTOMERS.map((c) => c.customerId)).size).toBe(DEMO_CUSTOMERS.length);
    const ids = DEMO_CUSTOMERS.map((c) => c.customerId);
    expect(ids.some((id) => ids.some((other) => other !== id && other.startsWith(id)))).toBe(true);
  });

  it('validates every record against its store schema and keys it for its own customer and brand', () => {
    for (const { store, item } of dataset.items) {
      // Act
      const parsed = SCHEMAS[store as keyof typeof SCHEMAS].safeParse(item);

      // Assert
      expect(parsed.success, `${store} ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      const owner = DEMO_CUSTOMERS.find((c) => c.customerId === item.customerId);
      expect(owner?.brand).toBe(item.brand);
    }
  });

  it('gives every customer a profile, orders, photos, contacts, consents, segments and smart-creation entries', () => {
    for (const { customerId, brand } of DEMO_CUSTOMERS) {
      // Assert
      expect(itemsOf('customer-profile', customerId)).toHaveLength(1);
      expect(itemsOf('orders', customerId).length).toBeGreaterThan(0);
      expect(itemsOf('contact-history', customerId).length).toBeGreaterThan(0);
      const marketing = itemsOf('marketing', customerId).map((entry) => String(entry.entryId));
      expect(marketing).toContain('consent#email');
      expect(marketing.some((id) => id.startsWith('segment#'))).toBe(true);
      expect(itemsOf('smart-creation', customerId).some((entry) => String(entry.entryId).startsWith('analysis#'))).toBe(true);
      expect(objectsOf('uploaded-photos').some((o) => o.key.startsWith(`customers/${customerId}/`))).toBe(true);
      const hasLibrary = objectsOf('photo-library').some((o) => o.key.startsWith(`${brand}/${customerId}/`));
      expect(hasLibrary).toBe(brand === 'fotoknudsen' || brand === 'onskefoto');
    }
  });

  it('keeps every file under its customer prefix from the data map, with the documented metadata', () => {
    const metadataSchemas = { 'uploaded-photos': uploadedPhotoMetadataSchema, 'photo-library': libraryFileMetadataSchema, 'call-recordings': recordingMetadataSchema };
    for (const object of dataset.objects) {
      // Arrange
      const store = getStore(object.store);
      const owner = DEMO_CUSTOMERS.find((c) => object.key.split('/').includes(c.customerId));

      // Assert
      expect(owner, object.key).toBeDefined();
      expect(object.key.startsWith(customerKeyPrefix(store.locator as KeyPrefixLocator, owner!.customerId, owner!.brand))).toBe(true);
      expect(metadataSchemas[object.store as keyof typeof metadataSchemas].safeParse(object.metadata).success).toBe(true);
      expect(Object.values(object.metadata).every((value) => /^[\x20-\x7e]*$/.test(value))).toBe(true);
    }
  });

  it('writes valid JPEG photos whose original names survive URI-encoding', () => {
    // Arrange
    const photos = [...objectsOf('uploaded-photos'), ...objectsOf('photo-library')];

    // Act
    const decoded = photos.map((photo) => jpeg.decode(photo.body as Buffer));

    // Assert
    expect(decoded.every((image) => image.width >= 64 && image.height >= 48)).toBe(true);
    const names = photos.map((photo) => decodeURIComponent(photo.metadata['original-filename']!));
    expect(names.some((name) => /[^\x00-\x7f]/.test(name))).toBe(true);
    expect(new Set(photos.map((photo) => (photo.body as Buffer).toString('base64'))).size).toBe(photos.length);
  });

  it('computes amounts consistently: net = Σ quantity × unitPrice, VAT by country, gross = net + VAT', () => {
    for (const order of orders) {
      // Assert
      expect(order.netAmount).toBe(order.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0));
      expect(order.vatRate).toBe(VAT_RATES[order.country]);
      expect(order.vatAmount).toBe(Math.round((order.netAmount * order.vatRate) / 100));
      expect(order.grossAmount).toBe(order.netAmount + order.vatAmount);
    }
    expect(new Set(orders.map((order) => order.country))).toEqual(new Set(Object.keys(VAT_RATES)));
  });

  it('keeps the retained invoice data free of the customer id, and order photo keys point at uploaded photos', () => {
    // Arrange
    const photoKeys = new Set(objectsOf('uploaded-photos').map((o) => o.key));
    const retained = getStore('orders').erasure;
    if (retained.action !== 'anonymise-and-retain') throw new Error('orders must be anonymise-and-retain');

    for (const order of orders) {
      // Assert
      for (const attribute of [...retained.keepAttributes, 'orderId']) {
        expect(String(order[attribute as keyof OrderRecord])).not.toContain(order.customerId);
      }
      expect(order.lines.flatMap((line) => line.photoKeys).every((key) => photoKeys.has(key))).toBe(true);
    }
    expect(new Set(orders.map((order) => order.invoiceNumber)).size).toBe(orders.length);
  });

  it('includes the legal-hold, legal-claim and dispute cases only for the customers flagged with them', () => {
    // Act
    const openOrders = orders.filter((order) => order.status !== 'delivered' && order.status !== 'cancelled');
    const unpaid = orders.filter((order) => order.paymentStatus === 'pending');
    const disputed = orders.filter((order) => order.paymentStatus === 'disputed');
    const claims = contacts.filter((contact) => contact.legalClaim);

    // Assert
    const flagged = (scenario: string) => DEMO_CUSTOMERS.filter((c) => c.scenarios.includes(scenario as never)).map((c) => c.customerId);
    expect(openOrders.map((o) => o.customerId)).toEqual(flagged('legal-hold-open-order'));
    expect(unpaid.map((o) => o.customerId)).toEqual(flagged('legal-hold-open-order'));
    expect(disputed.map((o) => o.customerId)).toEqual(flagged('disputed-payment'));
    expect(claims.map((c) => c.customerId)).toEqual(flagged('legal-claim'));
    expect(flagged('legal-hold-open-order')).toHaveLength(1);
    expect(flagged('legal-claim')).toHaveLength(1);
    expect(flagged('disputed-payment')).toHaveLength(1);
  });

  it('has phone, chat and email contacts, a chat transcript, and recordings that match their contact', () => {
    // Arrange
    const recordings = objectsOf('call-recordings');

    // Assert
    expect(new Set(contacts.map((c) => c.channel))).toEqual(new Set(['phone', 'chat', 'email']));
    expect(contacts.some((c) => c.channel === 'chat' && (c.messages?.length ?? 0) >= 2)).toBe(true);
    expect(recordings.length).toBeGreaterThan(0);
    for (const recording of recordings) {
      const contact = contacts.find((c) => c.recordingKey === recording.key);
      expect(contact?.contactId).toBe(recording.metadata['contact-id']);
      expect((recording.body as Buffer).toString('ascii', 0, 4)).toBe('RIFF');
    }
  });

  it('has consents, opt-outs, segments and audiences in marketing, analyses and edits in smart creation', () => {
    // Arrange
    const marketing = itemsOf('marketing');
    const smart = itemsOf('smart-creation');
    const photoKeys = new Set(objectsOf('uploaded-photos').map((o) => o.key));

    // Assert
    expect(marketing.some((e) => e.entryId === 'consent#email' && e.granted === false)).toBe(true);
    for (const prefix of ['consent#sms', 'consent#post', 'segment#', 'audience#']) {
      expect(marketing.some((e) => String(e.entryId).startsWith(prefix)), prefix).toBe(true);
    }
    expect(smart.some((e) => String(e.entryId).startsWith('edit#'))).toBe(true);
    expect(smart.filter((e) => String(e.entryId).startsWith('analysis#')).every((e) => photoKeys.has(String(e.photoKey)))).toBe(true);
  });

  it('leaves the empty customer out of every store, while its prefix sibling has data', () => {
    // Arrange
    const id = DEMO_EMPTY_CUSTOMER.customerId;

    // Assert
    expect(dataset.items.some((entry) => entry.item.customerId === id)).toBe(false);
    expect(dataset.objects.some((object) => object.key.split('/').includes(id))).toBe(false);
    expect(DEMO_CUSTOMERS.some((c) => id.startsWith(c.customerId))).toBe(true);
  });

  it('uses fictitious contact data only', () => {
    for (const profile of itemsOf('customer-profile')) {
      // Assert
      expect(String(profile.email)).toMatch(/@example\.(com|net|org)$/);
      expect(String(profile.phone)).toMatch(/^\+\d/);
    }
  });
});

describe('seedDemoData', () => {
  const s3 = mockClient(S3Client);
  const doc = mockClient(DynamoDBDocumentClient);
  const clients = { s3: new S3Client({ region: 'eu-west-1' }), doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })) };

  afterEach(() => {
    s3.reset();
    doc.reset();
  });

  it('writes every record and file, then the marker last', async () => {
    // Arrange
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    s3.on(PutObjectCommand).resolves({});
    doc.on(PutCommand).resolves({});

    // Act
    const result = await seedDemoData(clients, { DSR_BUCKET_UPLOADED_PHOTOS: 'photos-bucket', DSR_TABLE_ORDERS: 'orders-table' });

    // Assert
    expect(result.seeded).toBe(true);
    expect(result.customers).toEqual(DEMO_CUSTOMERS.map(({ customerId, brand }) => ({ customerId, brand })));
    expect(doc.commandCalls(PutCommand)).toHaveLength(dataset.items.length);
    expect(doc.commandCalls(PutCommand).filter((call) => call.args[0].input.TableName === 'orders-table')).toHaveLength(orders.length);
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(dataset.objects.length + 1);
    expect(puts.at(-1)).toMatchObject({ Bucket: 'photos-bucket', Key: DEMO_MARKER_KEY });
  });

  it('does nothing when the marker exists, and reports the same customers', async () => {
    // Arrange
    s3.on(HeadObjectCommand).resolves({});

    // Act
    const result = await seedDemoData(clients, {});

    // Assert
    expect(result).toEqual({ seeded: false, customers: DEMO_CUSTOMERS.map(({ customerId, brand }) => ({ customerId, brand })) });
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails instead of seeding when the marker cannot be checked', async () => {
    // Arrange
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const seeding = seedDemoData(clients, {});

    // Assert
    await expect(seeding).rejects.toThrow('Access Denied');
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });
});
