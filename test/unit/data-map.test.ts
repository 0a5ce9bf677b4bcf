import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BRANDS } from '../../functions/core/brands';
import {
  assertSafeCustomerId,
  CUSTOMER_STORE_IDS,
  CUSTOMER_STORES,
  customerKeyPrefix,
  customerKeyPrefixes,
  DATA_MAP,
  getStore,
  PIPELINE_STORE_IDS,
  resourceName,
  ruleText,
  type CustomerStoreId,
  type KeyPrefixLocator,
} from '../../functions/core/data-map';
import { CATALOGS } from '../../functions/core/export/i18n';
import { unenforcedPeriods } from '../../functions/core/retention/rules';
import { resolveSettings } from '../../infra/settings';
import {
  analysisEntrySchema,
  audienceEntrySchema,
  consentEntrySchema,
  contactSchema,
  editEntrySchema,
  libraryFileMetadataSchema,
  orderLineSchema,
  orderSchema,
  profileSchema,
  recordingMetadataSchema,
  segmentEntrySchema,
  uploadedPhotoMetadataSchema,
} from '../../local/seed/records';

/** The data map: every store of the privacy statement, consistent keys, safe prefixes, brand filters, erasure. */

/** The stores `shared/context.md` derives from section 4 of the privacy statement. */
const CONTEXT_STORES = ['customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation'];

const keyPrefixStores = CUSTOMER_STORES.filter((store) => store.locator?.by === 'key-prefix');

describe('data map', () => {
  it('describes every store of the privacy statement and the pipeline, each with every field filled in', () => {
    // Assert
    expect([...CUSTOMER_STORE_IDS]).toEqual(CONTEXT_STORES);
    expect(DATA_MAP.map((store) => store.id)).toEqual([...CONTEXT_STORES, ...PIPELINE_STORE_IDS]);
    for (const store of DATA_MAP) {
      for (const field of ['title', 'purpose', 'legalBasis', 'retention', 'source'] as const) expect(store[field].trim(), `${store.id}.${field}`).not.toBe('');
      expect(store.categories.length, store.id).toBeGreaterThan(0);
      expect(store.recipients.length, store.id).toBeGreaterThan(0);
      expect(store.brands.length, store.id).toBeGreaterThan(0);
      expect(store.owner).toBe(CUSTOMER_STORE_IDS.includes(store.id as never) ? 'business' : 'pipeline');
      if (store.owner === 'business') {
        expect(store.locator, store.id).toBeDefined();
        expect(store.erasure.action).not.toBe('none');
      }
    }
    expect(getStore('smart-creation').explanation).toMatch(/algorithm/);
  });

  it('names every resource by its own environment variable with a dsr-<id> default', () => {
    // Assert
    const envs = DATA_MAP.map((store) => store.resource.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const store of DATA_MAP) {
      expect(store.resource.env).toMatch(store.kind === 'dynamodb-table' ? /^DSR_TABLE_[A-Z_]+$/ : /^DSR_BUCKET_[A-Z_]+$/);
      expect(store.resource.defaultName).toBe(`dsr-${store.id}`);
      expect(resourceName(store, {})).toBe(store.resource.defaultName);
      expect(resourceName(store, { [store.resource.env]: 'company-name' })).toBe('company-name');
    }
  });

  it('gives every DynamoDB store a table schema its locator agrees with, and S3 stores key prefixes', () => {
    for (const store of DATA_MAP) {
      if (store.kind === 's3-bucket') {
        // Assert
        expect(store.table, store.id).toBeUndefined();
        if (store.owner === 'business') expect(store.locator?.by).toBe('key-prefix');
        continue;
      }
      expect(store.table, store.id).toBeDefined();
      const { table, locator } = store;
      if (!locator) continue;
      expect(locator.by).not.toBe('key-prefix');
      if (locator.by === 'partition-key') {
        expect([locator.partitionKey, locator.sortKey]).toEqual([table!.partitionKey, table!.sortKey]);
        expect(locator.partitionKey).toBe('customerId');
      }
      if (locator.by === 'index') {
        const index = table!.indexes?.find((candidate) => candidate.name === locator.indexName);
        expect(index, `${store.id} index ${locator.indexName}`).toBeDefined();
        expect([locator.indexPartitionKey, locator.indexSortKey]).toEqual([index!.partitionKey, index!.sortKey]);
        expect([locator.partitionKey, locator.sortKey]).toEqual([table!.partitionKey, table!.sortKey]);
      }
    }
  });

  it('ends every prefix template at a delimiter, so customer c1 never matches c12', () => {
    // Assert
    expect(keyPrefixStores.map((store) => store.id)).toEqual(['uploaded-photos', 'photo-library', 'call-recordings']);
    for (const store of keyPrefixStores) {
      const locator = store.locator as KeyPrefixLocator;
      expect(locator.prefixTemplate.endsWith('/')).toBe(true);
      expect(locator.prefixTemplate).toContain('{customerId}/');
      for (const brand of store.brands) {
        const c1 = customerKeyPrefix(locator, 'c1', brand);
        const c12 = customerKeyPrefix(locator, 'c12', brand);
        expect(c12.startsWith(c1), `${store.id} ${brand}`).toBe(false);
        expect(`${c12}x.jpg`.startsWith(c1)).toBe(false);
        expect(c1).not.toMatch(/\{|\}/);
      }
    }
  });

  it('applies the photo library to fotoknudsen and onskefoto only, every other store to all brands', () => {
    // Assert
    expect([...getStore('photo-library').brands]).toEqual(['fotoknudsen', 'onskefoto']);
    for (const store of CUSTOMER_STORES.filter((candidate) => candidate.id !== 'photo-library')) expect([...store.brands]).toEqual([...BRANDS]);
    expect(customerKeyPrefix(getStore('photo-library').locator as KeyPrefixLocator, 'c3', 'fotoknudsen')).toBe('fotoknudsen/c3/');
  });

  it('searches a brand-partitioned prefix under every brand, and a plain prefix once', () => {
    // Act
    const library = customerKeyPrefixes(getStore('photo-library').locator as KeyPrefixLocator, 'c3');
    const uploads = customerKeyPrefixes(getStore('uploaded-photos').locator as KeyPrefixLocator, 'c3');

    // Assert
    expect(library).toEqual(BRANDS.map((brand) => `${brand}/c3/`));
    expect(uploads).toEqual(['customers/c3/']);
  });

  it.each(['', 'c1/', '../c1', 'c1/../c12', 'c*', 'c 1', 'c1\n', 'klänning', 'x'.repeat(65), '%2F'])('rejects the unsafe customer id %j', (customerId) => {
    // Act
    const check = () => assertSafeCustomerId(customerId);

    // Assert
    expect(check).toThrow();
    expect(() => customerKeyPrefix(getStore('uploaded-photos').locator as KeyPrefixLocator, customerId, 'albelli')).toThrow();
  });

  it.each(['c1', 'C-12_x', 'x'.repeat(64)])('accepts the customer id %j', (customerId) => {
    expect(() => assertSafeCustomerId(customerId)).not.toThrow();
  });

  it('retains only non-personal invoice attributes of orders, for the statutory period, under a hashed partition', () => {
    // Arrange
    const erasure = getStore('orders').erasure;
    if (erasure.action !== 'anonymise-and-retain') throw new Error('orders must be anonymise-and-retain');
    const personal = ['customerId', 'shippingAddress', 'billingAddress', 'paymentReference', 'customerNote', 'lines'];
    const attributes = Object.keys(orderSchema.shape);

    // Assert
    expect(erasure.keepAttributes.every((attribute) => attributes.includes(attribute))).toBe(true);
    expect(erasure.keepAttributes.filter((attribute) => personal.includes(attribute))).toEqual([]);
    expect(erasure.keepAttributes).toContain(erasure.retentionFrom);
    expect(erasure.keepAttributes).toEqual(expect.arrayContaining(['invoiceNumber', 'invoiceDate', 'netAmount', 'vatAmount', 'grossAmount']));
    expect(erasure.retainYears).toBeGreaterThanOrEqual(7);
    expect(erasure.legalReason).toMatch(/tax|invoice/i);
    expect(erasure.retainedPartitionTemplate).toContain('{customerKey}');
    expect(erasure.retainedPartitionTemplate).not.toContain('{customerId}');
    for (const store of CUSTOMER_STORES.filter((candidate) => candidate.id !== 'orders')) expect(store.erasure.action, store.id).toBe('delete');
    expect(getStore('marketing').erasure).toEqual({ action: 'delete', suppress: true });
  });

  it('names Art. 19 recipients to notify for marketing, each with the one identifier it gets', () => {
    // Assert
    const notified = getStore('marketing').recipients.flatMap((recipient) => (recipient.notification.notify ? [[recipient.id, recipient.notification.identifier]] : []));
    expect(notified).toEqual([
      ['email-marketing-provider', 'customer-id'],
      ['meta-custom-audiences', 'customer-key'],
    ]);
  });

  it('says for every recipient why it is or is not notified', () => {
    // Assert
    for (const store of DATA_MAP) for (const recipient of store.recipients) expect(recipient.notification.why.length, `${store.id}/${recipient.id}`).toBeGreaterThan(20);
  });
});

describe('docs/data-map.md', () => {
  const doc = readFileSync(new URL('../../docs/data-map.md', import.meta.url), 'utf8');

  it('says for every recipient whether it is told (Art. 19) and which identifier it gets', () => {
    for (const recipient of CUSTOMER_STORES.flatMap((store) => store.recipients)) {
      // Assert
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${recipient.id}\` |`));
      expect(row, recipient.id).toBeDefined();
      expect(row).toContain(recipient.notification.notify ? `| yes | \`${recipient.notification.identifier === 'customer-id' ? 'customerId' : 'customerKey'}\`` : '| no |');
    }
  });

  it('mentions every store, its resource variable, default name and locator', () => {
    for (const store of DATA_MAP) {
      // Assert
      expect(doc, store.id).toContain(`\`${store.id}\``);
      expect(doc, store.resource.env).toContain(store.resource.env);
      expect(doc, store.resource.defaultName).toContain(store.resource.defaultName);
      if (store.locator?.by === 'key-prefix') expect(doc).toContain(store.locator.prefixTemplate);
      if (store.locator?.by === 'index') expect(doc).toContain(store.locator.indexName);
    }
  });

  it('documents every attribute of every record shape and every object metadata key', () => {
    // Arrange
    const schemas = [
      profileSchema,
      orderSchema,
      orderLineSchema,
      contactSchema,
      consentEntrySchema,
      segmentEntrySchema,
      audienceEntrySchema,
      analysisEntrySchema,
      editEntrySchema,
      uploadedPhotoMetadataSchema,
      libraryFileMetadataSchema,
      recordingMetadataSchema,
    ];

    for (const schema of schemas) {
      for (const attribute of Object.keys(schema.shape)) {
        // Assert
        expect(doc, attribute).toContain(`\`${attribute}\``);
      }
    }
  });
});

describe('data map retention rules', () => {
  it('states in every store only periods that one of its rules enforces, and the check catches a period with no rule', () => {
    // Arrange
    const unenforced = { retention: 'Up to 2 years after the contact is closed; 90 days after the call', retentionRules: [{ kind: 'account-lifetime' as const, text: 'x' }] };

    // Act
    const found = DATA_MAP.map((store) => ({ store: store.id, unenforced: unenforcedPeriods(store) }));

    // Assert
    expect(found).toEqual(DATA_MAP.map((store) => ({ store: store.id, unenforced: [] })));
    expect(unenforcedPeriods(unenforced)).toEqual(['2 years', '90 days']);
  });

  it('makes every store\'s customer text out of its rules, each with its own period filled in', () => {
    // Assert
    for (const store of DATA_MAP) {
      expect(store.retentionRules.length, store.id).toBeGreaterThan(0);
      expect(store.retention.startsWith(store.retentionRules.map(ruleText).join('; ')), store.id).toBe(true);
      for (const rule of store.retentionRules) expect(ruleText(rule), `${store.id} ${rule.kind}`).not.toContain('{period}');
    }
    expect(getStore('contact-history').retention).toBe('Up to 2 years after the contact is closed; deleted on erasure request');
    expect(getStore('call-recordings').retention).toBe('90 days after the call; deleted on erasure request');
  });

  it('states the same periods in every language of the export as in English', () => {
    // Act
    const periods = (text: string) => [...text.matchAll(/\d+/g)].map((match) => match[0]);

    // Assert
    for (const store of CUSTOMER_STORES) {
      for (const [language, catalog] of Object.entries(CATALOGS)) {
        expect({ store: store.id, language, periods: periods(catalog.store[store.id as CustomerStoreId].retention) }).toEqual({ store: store.id, language, periods: periods(store.retention) });
      }
    }
  });

  it('enforces each stated period where it is applied: invoice retention, export lifecycle, inactive accounts', () => {
    // Arrange
    const orders = getStore('orders');
    const until = orders.retentionRules.find((rule) => rule.kind === 'until-attribute');
    const lifecycle = Object.fromEntries(getStore('exports').retentionRules.flatMap((rule) => (rule.kind === 'lifecycle' ? [[rule.prefix, rule.period]] : [])));
    const inactive = getStore('customer-profile').retentionRules.find((rule) => rule.kind === 'inactive-account');
    const defaults = resolveSettings(() => undefined);

    // Assert
    expect(orders.erasure.action === 'anonymise-and-retain' && until?.kind === 'until-attribute' && { kept: orders.erasure.retainYears, purged: until.period }).toEqual({
      kept: 7,
      purged: { amount: 7, unit: 'years' },
    });
    expect(lifecycle).toEqual({ 'exports/': { amount: defaults.exportsExpiryDays, unit: 'days' }, 'staging/': { amount: defaults.stagingExpiryDays, unit: 'days' } });
    expect(inactive).toMatchObject({ period: { amount: defaults.inactiveAccountMonths, unit: 'months' }, lastLoginAttribute: 'lastLoginAt', orderedAtAttribute: 'orderedAt' });
    expect(Object.keys(profileSchema.shape)).toContain('lastLoginAt');
    expect(Object.keys(orderSchema.shape)).toContain('orderedAt');
    expect(Object.keys(contactSchema.shape)).toEqual(expect.arrayContaining(['closedAt', 'status']));
    expect(Object.keys(recordingMetadataSchema.shape)).toContain('recorded-at');
  });
});
