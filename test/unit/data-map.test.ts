import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BRANDS } from '../../functions/core/brands';
import {
  addPeriod,
  assertSafeCustomerId,
  CUSTOMER_STORE_IDS,
  CUSTOMER_STORES,
  customerKeyPrefix,
  customerKeyPrefixes,
  DATA_MAP,
  ERASED_STORES,
  getStore,
  isVersionedBucket,
  periodText,
  PIPELINE_STORE_IDS,
  resourceName,
  retentionOf,
  ruleText,
  type CustomerStoreId,
  type KeyPrefixLocator,
  type RetentionRule,
} from '../../functions/core/data-map';
import { CATALOGS } from '../../functions/core/export/i18n';
import { BY_CUSTOMER_INDEX, BY_PENDING_EVENT_INDEX, BY_STATUS_INDEX } from '../../functions/core/ledger';
import { BY_UNACKNOWLEDGED_INDEX } from '../../functions/core/notification-ledger';
import { expiryOf, unenforcedPeriods } from '../../functions/core/retention/rules';
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
import { restoredAfterEach } from './helpers/replacements';

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

  it('states the defaults the settings take from the data map: 36 months of inactivity, access logs kept 90 days', () => {
    // Act
    const defaults = resolveSettings(() => undefined);
    const text = doc.replace(/\s+/g, ' ');

    // Assert
    expect([defaults.inactiveAccountMonths, defaults.accessLogRetentionDays]).toEqual([36, 90]);
    expect(text).toContain(`for ${defaults.inactiveAccountMonths} months (\`DSR_INACTIVE_ACCOUNT_MONTHS\`)`);
    expect(text).toContain(`They are kept ${defaults.accessLogRetentionDays} days (\`ACCESS_LOG_RETENTION_DAYS\``);
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

describe('periodText, ruleText and retentionOf', () => {
  it('writes a period in the singular for an amount of one and in the plural otherwise', () => {
    // Act
    const texts = [
      periodText({ amount: 1, unit: 'days' }),
      periodText({ amount: 90, unit: 'days' }),
      periodText({ amount: 1, unit: 'months' }),
      periodText({ amount: 36, unit: 'months' }),
      periodText({ amount: 1, unit: 'years' }),
      periodText({ amount: 0, unit: 'years' }),
    ];

    // Assert
    expect(texts).toEqual(['1 day', '90 days', '1 month', '36 months', '1 year', '0 years']);
  });

  it('fills in every {period} of a rule with a period, and leaves the text of a rule without one as written', () => {
    // Arrange
    const dated: RetentionRule = { kind: 'lifecycle', prefix: 'p/', period: { amount: 1, unit: 'days' }, text: 'after {period}, at most {period}' };
    const lifetime: RetentionRule = { kind: 'account-lifetime', text: 'no {period} here' };

    // Act
    const texts = [ruleText(dated), ruleText(lifetime)];

    // Assert
    expect(texts).toEqual(['after 1 day, at most 1 day', 'no {period} here']);
  });

  it('joins the rules\' texts with "; ", adds a closing clause only when one is given, and keeps the rules', () => {
    // Arrange
    const rules: RetentionRule[] = [
      { kind: 'lifecycle', prefix: 'a/', period: { amount: 7, unit: 'days' }, text: 'A after {period}' },
      { kind: 'none', reason: 'r', text: 'B kept' },
    ];

    // Act
    const closed = retentionOf(rules, 'then deleted');
    const open = retentionOf(rules);
    const emptyClosing = retentionOf(rules, '');
    const single = retentionOf([rules[1]!]);

    // Assert
    expect(closed).toEqual({ retention: 'A after 7 days; B kept; then deleted', retentionRules: rules });
    expect(closed.retentionRules).toBe(rules);
    expect(open.retention).toBe('A after 7 days; B kept');
    expect(emptyClosing.retention).toBe('A after 7 days; B kept');
    expect(single.retention).toBe('B kept');
  });
});

describe('addPeriod', () => {
  it.each([
    ['2030-12-25T08:30:00.000Z', { amount: 90, unit: 'days' }, '2031-03-25T08:30:00.000Z'],
    ['2030-02-28T23:59:59.999Z', { amount: 1, unit: 'days' }, '2030-03-01T23:59:59.999Z'],
    ['2030-01-31T00:00:00.000Z', { amount: 1, unit: 'months' }, '2030-02-28T00:00:00.000Z'],
    ['2028-01-31T00:00:00.000Z', { amount: 1, unit: 'months' }, '2028-02-29T00:00:00.000Z'],
    ['2030-11-30T12:00:00.000Z', { amount: 3, unit: 'months' }, '2031-02-28T12:00:00.000Z'],
    ['2030-03-31T06:00:00.000Z', { amount: 1, unit: 'months' }, '2030-04-30T06:00:00.000Z'],
    ['2030-03-15T00:00:00.000Z', { amount: 36, unit: 'months' }, '2033-03-15T00:00:00.000Z'],
    ['2028-02-29T10:00:00.000Z', { amount: 1, unit: 'years' }, '2029-02-28T10:00:00.000Z'],
    ['2028-02-29T10:00:00.000Z', { amount: 4, unit: 'years' }, '2032-02-29T10:00:00.000Z'],
    ['2030-05-31T00:00:00.000Z', { amount: 2, unit: 'years' }, '2032-05-31T00:00:00.000Z'],
    ['2030-05-20T00:00:00.000Z', { amount: 0, unit: 'months' }, '2030-05-20T00:00:00.000Z'],
  ] as const)('adds to %s the period %j: %s', (from, period, expected) => {
    // Arrange
    const start = new Date(from);

    // Act
    const end = addPeriod(start, period);

    // Assert
    expect(end.toISOString()).toBe(expected);
    expect(start.toISOString()).toBe(from);
  });
});

describe('getStore, resourceName and isVersionedBucket', () => {
  const replacements = restoredAfterEach();

  it('names an unknown store in its error', () => {
    // Act / Assert
    expect(() => getStore('customer')).toThrow(new Error('Unknown store "customer"'));
    expect(getStore('orders').title).toBe('Orders and invoices');
  });

  it('takes the name from the process environment by default, and the default name when the variable is empty', () => {
    // Arrange
    const previous = process.env.DSR_TABLE_ORDERS;
    replacements.replace(
      () => {
        process.env.DSR_TABLE_ORDERS = 'company-orders';
      },
      () => {
        if (previous === undefined) delete process.env.DSR_TABLE_ORDERS;
        else process.env.DSR_TABLE_ORDERS = previous;
      },
    );

    // Act
    const fromProcess = resourceName(getStore('orders'));
    const empty = resourceName(getStore('orders'), { DSR_TABLE_ORDERS: '' });

    // Assert
    expect(fromProcess).toBe('company-orders');
    expect(empty).toBe('dsr-orders');
  });

  it('versions the file buckets and the audit bucket, never a table or a bucket of records', () => {
    // Act
    const versioned = DATA_MAP.filter(isVersionedBucket).map((store) => store.id);
    const synthetic = [
      isVersionedBucket({ ...getStore('orders'), holdsFiles: true }),
      isVersionedBucket({ ...getStore('orders'), id: 'audit' }),
      isVersionedBucket({ ...getStore('exports'), holdsFiles: false }),
      isVersionedBucket({ ...getStore('audit'), holdsFiles: true }),
    ];

    // Assert
    expect(versioned).toEqual(['uploaded-photos', 'photo-library', 'call-recordings', 'exports', 'audit']);
    expect(synthetic).toEqual([false, false, false, true]);
  });
});

describe('customerKeyPrefix and customerKeyPrefixes', () => {
  it('fills in every placeholder and refuses a template that does not end at a delimiter', () => {
    // Arrange
    const twice: KeyPrefixLocator = { by: 'key-prefix', prefixTemplate: '{brand}/{customerId}/{brand}/{customerId}/' };
    const open: KeyPrefixLocator = { by: 'key-prefix', prefixTemplate: 'customers/{customerId}' };

    // Act
    const filled = customerKeyPrefix(twice, 'c7', 'resnap');
    const refused = () => customerKeyPrefix(open, 'c7', 'albelli');

    // Assert
    expect(filled).toBe('resnap/c7/resnap/c7/');
    expect(refused).toThrow(new Error('Prefix template "customers/{customerId}" must end with "/"'));
  });

  it('refuses an unsafe customer id with the pattern it must match', () => {
    // Act / Assert
    expect(() => assertSafeCustomerId('c1/')).toThrow(new Error('Customer id must match /^[A-Za-z0-9_-]{1,64}$/'));
  });

  it('searches a template without {brand} once, whatever the brands, and one with it under each brand in order', () => {
    // Arrange
    const plain: KeyPrefixLocator = { by: 'key-prefix', prefixTemplate: 'a/{customerId}/' };
    const branded: KeyPrefixLocator = { by: 'key-prefix', prefixTemplate: 'b/{customerId}/{brand}/' };

    // Act
    const prefixes = [customerKeyPrefixes(plain, 'c9'), customerKeyPrefixes(branded, 'c9')];

    // Assert
    expect(prefixes).toEqual([['a/c9/'], ['b/c9/albelli/', 'b/c9/bonusprint/', 'b/c9/fotoknudsen/', 'b/c9/onskefoto/', 'b/c9/resnap/']]);
  });
});

describe('data map: what the customer is told and what erasure does', () => {
  it('tells every category and names, places and roles every recipient', () => {
    // Act
    const roles = Object.fromEntries(DATA_MAP.flatMap((store) => store.recipients).map((recipient) => [recipient.id, recipient.role]));

    // Assert
    for (const store of DATA_MAP) {
      for (const category of store.categories) expect(category.trim().length, `${store.id} category`).toBeGreaterThan(3);
      expect(new Set(store.categories).size, store.id).toBe(store.categories.length);
      expect(store.recipients[0]?.id, store.id).toBe('aws');
      for (const recipient of store.recipients) {
        expect(recipient.name.trim().length, `${store.id}/${recipient.id} name`).toBeGreaterThan(3);
        expect(recipient.location.trim().length, `${store.id}/${recipient.id} location`).toBeGreaterThan(1);
      }
    }
    expect(roles).toEqual({
      aws: 'processor',
      'payment-provider': 'controller',
      carriers: 'processor',
      'tax-authority': 'authority',
      'email-marketing-provider': 'processor',
      'meta-custom-audiences': 'controller',
    });
  });

  it('grounds every store on the Art. 6(1) bases of the privacy statement', () => {
    // Act
    const bases = Object.fromEntries(DATA_MAP.map((store) => [store.id, [...store.legalBasis.matchAll(/Art\. 6\(1\)\(([a-f])\)/g)].map((match) => match[1]).join('')]));

    // Assert
    expect(bases).toEqual({
      'customer-profile': 'b',
      orders: 'bc',
      'uploaded-photos': 'b',
      'photo-library': 'a',
      'contact-history': 'f',
      'call-recordings': 'f',
      marketing: 'f',
      'smart-creation': 'bf',
      'request-ledger': 'c',
      exports: 'c',
      audit: 'c',
      'marketing-suppression': 'f',
    });
  });

  it('keeps every language of the export in step with the data map: as many categories and retention clauses, every recipient', () => {
    // Arrange
    const clauses = (text: string) => text.split('; ').length;

    for (const store of CUSTOMER_STORES) {
      for (const [language, catalog] of Object.entries(CATALOGS)) {
        // Act
        const texts = catalog.store[store.id as CustomerStoreId];

        // Assert
        expect({ store: store.id, language, categories: texts.categories.length, clauses: clauses(texts.retention) }).toEqual({
          store: store.id,
          language,
          categories: store.categories.length,
          clauses: clauses(store.retention),
        });
        for (const recipient of store.recipients) expect(catalog.recipient[recipient.id], `${language} ${recipient.id}`).toBeDefined();
      }
    }
  });

  it('erases every business store and the export archives, anonymising only the orders, and names why the others are kept', () => {
    // Act
    const actions = Object.fromEntries(DATA_MAP.map((store) => [store.id, store.erasure.action]));

    // Assert
    expect(actions).toEqual({
      'customer-profile': 'delete',
      orders: 'anonymise-and-retain',
      'uploaded-photos': 'delete',
      'photo-library': 'delete',
      'contact-history': 'delete',
      'call-recordings': 'delete',
      marketing: 'delete',
      'smart-creation': 'delete',
      'request-ledger': 'none',
      exports: 'delete',
      audit: 'none',
      'marketing-suppression': 'none',
    });
    expect(ERASED_STORES.map((store) => store.id)).toEqual([...CUSTOMER_STORE_IDS, 'exports']);
    expect(DATA_MAP.filter((store) => 'suppress' in store.erasure).map((store) => store.id)).toEqual(['marketing']);
    for (const store of DATA_MAP) if (store.erasure.action === 'none') expect(store.erasure.reason.length, store.id).toBeGreaterThan(20);
  });

  it('exports the bytes of the file stores, and finds the export archives of a customer under the request prefixes', () => {
    // Act
    const files = DATA_MAP.filter((store) => store.holdsFiles).map((store) => store.id);

    // Assert
    expect(files).toEqual(['uploaded-photos', 'photo-library', 'call-recordings', 'exports']);
    expect(getStore('exports').requestPrefixes).toEqual({ requestType: 'export', prefixTemplates: ['exports/{requestId}/', 'staging/{requestId}/'] });
    expect(DATA_MAP.filter((store) => store.requestPrefixes).map((store) => store.id)).toEqual(['exports']);
  });

  it('finds a customer in each business store by the key of its records', () => {
    // Act
    const prefixes = Object.fromEntries(keyPrefixStores.map((store) => [store.id, customerKeyPrefixes(store.locator as KeyPrefixLocator, 'c5')]));
    const tables = Object.fromEntries(CUSTOMER_STORES.filter((store) => store.kind === 'dynamodb-table').map((store) => [store.id, store.locator]));

    // Assert
    expect(prefixes).toEqual({ 'uploaded-photos': ['customers/c5/'], 'photo-library': BRANDS.map((brand) => `${brand}/c5/`), 'call-recordings': ['recordings/c5/'] });
    expect(tables).toEqual({
      'customer-profile': { by: 'partition-key', partitionKey: 'customerId' },
      orders: { by: 'partition-key', partitionKey: 'customerId', sortKey: 'orderId' },
      'contact-history': { by: 'index', indexName: 'byCustomer', indexPartitionKey: 'customerId', indexSortKey: 'createdAt', partitionKey: 'contactId' },
      marketing: { by: 'partition-key', partitionKey: 'customerId', sortKey: 'entryId' },
      'smart-creation': { by: 'partition-key', partitionKey: 'customerId', sortKey: 'entryId' },
    });
  });
});

describe('data map retention rules, as the sweep reads them', () => {
  /** The one rule of a kind in a store. */
  function ruleOf<K extends RetentionRule['kind']>(storeId: string, kind: K): Extract<RetentionRule, { kind: K }> {
    const rule = getStore(storeId).retentionRules.find((candidate) => candidate.kind === kind);
    if (!rule) throw new Error(`${storeId} has no ${kind} rule`);
    return rule as Extract<RetentionRule, { kind: K }>;
  }

  it('gives each store its kinds of rule', () => {
    // Act
    const kinds = Object.fromEntries(DATA_MAP.filter((store) => store.id !== 'call-recordings').map((store) => [store.id, store.retentionRules.map((rule) => rule.kind)]));

    // Assert
    expect(kinds).toEqual({
      'customer-profile': ['inactive-account'],
      orders: ['account-lifetime', 'until-attribute'],
      'uploaded-photos': ['account-lifetime'],
      'photo-library': ['account-lifetime'],
      'contact-history': ['after-attribute'],
      marketing: ['account-lifetime'],
      'smart-creation': ['account-lifetime'],
      'request-ledger': ['after-attribute'],
      exports: ['lifecycle', 'lifecycle'],
      audit: ['none'],
      'marketing-suppression': ['none'],
    });
    for (const store of DATA_MAP) for (const rule of store.retentionRules) if (rule.kind === 'none') expect(rule.reason.length, store.id).toBeGreaterThan(20);
  });

  it('says something to the customer in every rule', () => {
    // Assert
    for (const store of DATA_MAP) for (const rule of store.retentionRules) expect(ruleText(rule).trim().length, `${store.id} ${rule.kind}`).toBeGreaterThan(10);
  });

  it('expires a closed contact 2 years after it was closed, and never an open one', () => {
    // Arrange
    const rule = ruleOf('contact-history', 'after-attribute');

    // Act
    const expiries = [
      expiryOf(rule, { status: 'closed', closedAt: '2030-01-10T09:00:00.000Z' }),
      expiryOf(rule, { status: 'open', closedAt: '2030-01-10T09:00:00.000Z' }),
      expiryOf(rule, { status: 'closed', updatedAt: '2030-01-10T09:00:00.000Z' }),
    ];

    // Assert
    expect(expiries).toEqual([new Date('2032-01-10T09:00:00.000Z'), undefined, undefined]);
  });

  it('expires a completed or cancelled request 5 years after its last change, and never one still open', () => {
    // Arrange
    const rule = ruleOf('request-ledger', 'after-attribute');

    // Act
    const expiries = ['completed', 'cancelled', 'failed', 'in_progress'].map((status) => expiryOf(rule, { status, updatedAt: '2030-03-01T00:00:00.000Z', createdAt: '2020-01-01T00:00:00.000Z' }));

    // Assert
    expect(expiries).toEqual([new Date('2035-03-01T00:00:00.000Z'), new Date('2035-03-01T00:00:00.000Z'), undefined, undefined]);
  });

  it('expires a call recording 90 days after the call, read from its recorded-at metadata', () => {
    // Arrange
    const rule = ruleOf('call-recordings', 'after-metadata');

    // Act
    const expiries = [expiryOf(rule, { 'recorded-at': '2030-01-01T10:00:00.000Z' }), expiryOf(rule, { 'uploaded-at': '2030-01-01T10:00:00.000Z' })];

    // Assert
    expect(expiries).toEqual([new Date('2030-04-01T10:00:00.000Z'), undefined]);
  });

  it('tells what happens to the ledger records and the export archives after their periods', () => {
    // Assert
    expect(getStore('request-ledger').retention).toBe(
      "Kept as accountability record (Art. 5(2)) until 5 years after the request was closed (the supervisory authority's power to fine lapses after 5 years, Awb art. 5:45), then deleted; erasure certificates stay in the audit bucket; holds no readable personal data after an erasure",
    );
    expect(getStore('exports').retention).toBe('Archives expire after 7 days; staging data after 1 day; both are deleted when you ask for erasure');
  });

  it('purges retained invoice records once the date set at anonymisation has passed, in the retained partitions only', () => {
    // Arrange
    const rule = ruleOf('orders', 'until-attribute');

    // Act
    const expiry = expiryOf(rule, { retainUntil: '2037-04-01T00:00:00.000Z', invoiceDate: '2030-04-01T00:00:00.000Z' });

    // Assert
    expect(expiry).toEqual(new Date('2037-04-01T00:00:00.000Z'));
    expect(rule.records).toBe('retained');
  });
});

describe('data map amounts', () => {
  it('shows as amounts every money attribute of the orders and the contacts, each an attribute of its records next to its currency', () => {
    // Arrange
    const orderAttributes = [...Object.keys(orderSchema.shape), ...Object.keys(orderLineSchema.shape)];
    const contactDetails = Object.keys(contactSchema.shape.financialDetails.unwrap().shape);

    // Act
    const amounts = Object.fromEntries(DATA_MAP.flatMap((store) => (store.amounts ? [[store.id, store.amounts]] : [])));

    // Assert
    expect(amounts).toEqual({
      orders: { minorUnitAttributes: ['unitPrice', 'netAmount', 'vatAmount', 'grossAmount'], currencyAttribute: 'currency' },
      'contact-history': { minorUnitAttributes: ['refundAmount'], currencyAttribute: 'currency' },
    });
    expect(orderAttributes).toEqual(expect.arrayContaining([...amounts.orders!.minorUnitAttributes, amounts.orders!.currencyAttribute]));
    expect(contactDetails).toEqual(expect.arrayContaining([...amounts['contact-history']!.minorUnitAttributes, amounts['contact-history']!.currencyAttribute]));
  });
});

describe('data map: the request ledger table', () => {
  it('declares every index the ledger and the notification ledger query, keyed by the attributes they write', () => {
    // Act
    const table = getStore('request-ledger').table;

    // Assert
    expect(table?.partitionKey).toBe('requestId');
    expect(table?.sortKey).toBeUndefined();
    expect(table?.indexes).toEqual([
      { name: BY_CUSTOMER_INDEX, partitionKey: 'customerKey', sortKey: 'createdAt' },
      { name: BY_STATUS_INDEX, partitionKey: 'status', sortKey: 'dueAt' },
      { name: BY_PENDING_EVENT_INDEX, partitionKey: 'pendingEvent', sortKey: 'pendingEventSince' },
      { name: BY_UNACKNOWLEDGED_INDEX, partitionKey: 'unacknowledged', sortKey: 'unacknowledgedSince' },
    ]);
    expect(getStore('marketing-suppression').table).toEqual({ partitionKey: 'hash' });
  });
});
