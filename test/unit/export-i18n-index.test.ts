import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CUSTOMER_STORES } from '../../functions/core/data-map';
import { CATALOGS, MissingText, Texts } from '../../functions/core/export/i18n';
import { renderIndexHtml, type TableSource } from '../../functions/core/export/index-html';
import type { ExportPlan } from '../../functions/core/export/plan';
import type { DataRecord } from '../../functions/core/export/tabular';
import { LANGUAGES, type Language } from '../../functions/core/locales';
import { buildDemoDataset, DEMO_CUSTOMERS } from '../../local/seed/demo';
import { SCENE_LABELS, SEGMENTS } from '../../local/seed/people';
import { contactSchema, marketingEntrySchema, orderSchema, profileSchema, smartCreationEntrySchema } from '../../local/seed/records';

/** Every dotted path of a catalog with its text (array items by index). */
function leaves(node: unknown, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (typeof node === 'string') found.set(prefix, node);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) for (const [path, text] of leaves(value, prefix ? `${prefix}.${key}` : key)) found.set(path, text);
  }
  return found;
}

/** The `{placeholders}` and `**bold**` marks of a text. */
function marks(text: string): string[] {
  return [...(text.match(/\{\w+\}/g) ?? []), ...(text.match(/\*\*/g) ?? [])].sort();
}

/** Every attribute path of a record shape (array items without index) with the enum values it allows. */
function attributes(schema: z.ZodType, prefix = '', into = new Map<string, string[] | undefined>()): Map<string, string[] | undefined> {
  if (schema instanceof z.ZodOptional) return attributes(schema.unwrap() as z.ZodType, prefix, into);
  if (schema instanceof z.ZodUnion) {
    for (const option of schema.options) attributes(option as z.ZodType, prefix, into);
    return into;
  }
  if (schema instanceof z.ZodArray) return attributes(schema.element as z.ZodType, prefix, into);
  if (schema instanceof z.ZodObject) {
    if (prefix) into.set(prefix, undefined);
    for (const [key, value] of Object.entries(schema.shape)) attributes(value as z.ZodType, prefix ? `${prefix}.${key}` : key, into);
    return into;
  }
  into.set(prefix, schema instanceof z.ZodEnum ? (schema.options as string[]) : into.get(prefix));
  return into;
}

/** The record shape of each tabular store (local/seed/records.ts, documented in docs/data-map.md). */
const SHAPES = {
  'customer-profile': profileSchema,
  orders: orderSchema,
  'contact-history': contactSchema,
  marketing: marketingEntrySchema,
  'smart-creation': smartCreationEntrySchema,
} as const;

/** Codes shown as they are or formatted by Intl, not translated word by word. */
const NOT_WORDS = new Set(['brand', 'currency', 'country', 'entryId', 'financialDetails.currency', 'addresses.country', 'shippingAddress.country', 'billingAddress.country']);

/** The index page of a demo customer, rendered from the demo dataset (no AWS). */
async function demoPage(customerId: string, locale?: string): Promise<string> {
  const dataset = buildDemoDataset();
  const customer = DEMO_CUSTOMERS.find((candidate) => candidate.customerId === customerId)!;
  const items = dataset.items.filter((seed) => seed.item.customerId === customerId);
  const objects = dataset.objects.filter((object) => object.key.includes(`/${customerId}/`));
  const tables = new Map<string, TableSource>();
  for (const store of Object.keys(SHAPES)) {
    const records = items.filter((seed) => seed.store === store).map((seed) => seed.item as DataRecord);
    tables.set(store, { store, columns: [...new Set(records.flatMap((record) => Object.keys(record)))], records: async function* () { yield* records; } });
  }
  const plan: ExportPlan = {
    requestId: 'r1',
    brand: customer.brand,
    generatedAt: '2025-06-01T09:00:00.000Z',
    ...(locale ? { locale } : {}),
    tables: [],
    stores: Object.fromEntries(CUSTOMER_STORES.map((store) => [store.id, { items: store.holdsFiles ? objects.filter((object) => object.store === store.id).length : items.filter((seed) => seed.store === store.id).length, bytes: 0 }])),
    volumes: [{ volume: 1, fileName: 'volume-1.zip', manifest: 'manifest.json', files: objects.map((object) => ({ store: object.store, key: object.key, size: 2048, path: `files/${object.store}/${object.key.split('/').pop()}`, stored: true })) }],
  };
  let html = '';
  for await (const chunk of renderIndexHtml(plan, tables)) html += chunk;
  return html;
}

describe('export translations', () => {
  const english = leaves(CATALOGS.en);

  it.each(LANGUAGES.filter((language) => language !== 'en'))('%s has every English text, none empty, with the same placeholders and marks', (language) => {
    // Act
    const translated = leaves(CATALOGS[language]);

    // Assert
    expect([...translated.keys()].sort()).toEqual([...english.keys()].sort());
    for (const [path, text] of translated) {
      expect(text.trim(), path).not.toBe('');
      expect(marks(text), path).toEqual(marks(english.get(path)!));
    }
  });

  it.each(Object.keys(SHAPES) as (keyof typeof SHAPES)[])('every attribute of %s has a label and every enum value a word, in every language', (store) => {
    // Arrange
    const shape = attributes(SHAPES[store]);

    // Act
    const missing = LANGUAGES.flatMap((language) => {
      const texts = new Texts(language, language);
      return [...shape].flatMap(([path, values]) => [
        ...(texts.label(store, path) ? [] : [`${language} label ${path}`]),
        ...(NOT_WORDS.has(path) ? [] : (values ?? []).filter((value) => !texts.word(store, path, value)).map((value) => `${language} word ${path}=${value}`)),
      ]);
    });

    // Assert
    expect(shape.size).toBeGreaterThan(3);
    expect(missing).toEqual([]);
  });

  it('every scene label of the analysis and every marketing segment has a word in every language', () => {
    // Act
    const missing = LANGUAGES.flatMap((language) => {
      const texts = new Texts(language, language);
      return [
        ...SCENE_LABELS.filter((label) => !texts.word('smart-creation', 'sceneLabels', label)),
        ...SEGMENTS.filter((segment) => !texts.word('marketing', 'segment', segment.name)).map((segment) => segment.name),
      ].map((value) => `${language}: ${value}`);
    });

    // Assert
    expect(missing).toEqual([]);
  });

  it('every label and word a language declares is its own, not a copy of the English one, where the words differ', () => {
    // Arrange
    const labels = (language: Language) => leaves((CATALOGS[language] as { field: unknown }).field);

    // Act
    const copied = (['nl', 'de', 'fr', 'nb', 'sv'] as const).map((language) => [...labels(language)].filter(([path, text]) => text === labels('en').get(path)).length);

    // Assert: a few labels are the same word in both languages (Status, Album, Segment …), most are not.
    for (const count of copied) expect(count).toBeLessThan(labels('en').size / 5);
  });

  it.each([
    ['c3', undefined, 'nb-NO'],
    ['c1', undefined, 'nl-NL'],
    ['c7', undefined, 'de-DE'],
    ['c6', 'fr-BE', 'fr-BE'],
    ['c4', undefined, 'sv-SE'],
    ['c2', undefined, 'en-GB'],
  ])('the page of %s (requested %s) is in %s and holds no untranslated key, placeholder or raw attribute name in a table', async (customerId, requested, tag) => {
    // Act
    const html = await demoPage(customerId, requested);

    // Assert
    const text = html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ');
    expect(html).toContain(`<html lang="${tag}">`);
    expect(text).not.toMatch(/\{\w+\}/);
    expect(text).not.toMatch(/\*\*/);
    expect(text).not.toMatch(/\b(page|rights|authority|smart|field|value|store|role|recipient)\.[a-z][A-Za-z.]*/);
    const headers = [...html.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((match) => match[1]);
    const raw = new Set(buildDemoDataset().items.filter((seed) => seed.item.customerId === customerId).flatMap((seed) => Object.keys(seed.item)));
    expect(headers.length).toBeGreaterThan(10);
    expect(headers.filter((header) => raw.has(header!))).toEqual([]);
  });
});

describe('Texts', () => {
  const norwegian = new Texts('nb', 'nb-NO');
  const english = new Texts('en', 'en-GB');

  it('fills the placeholders it is given and leaves the others as they are', () => {
    // Act
    const text = english.t('page.intro', { requestId: 'r-1', date: '1 June 2025', unused: 'x' });
    const partial = english.t('page.intro', { requestId: 'r-1' });

    // Assert
    expect(text).toBe('A copy of your personal data (GDPR Art. 15 and 20), request r-1, received on 1 June 2025.');
    expect(partial).toBe('A copy of your personal data (GDPR Art. 15 and 20), request r-1, received on {date}.');
  });

  it('throws MissingText naming a key no language has, and for a key that is a group, not a text', () => {
    // Act
    const unknown = () => english.t('page.noSuchText');
    const group = () => english.t('page.volumes');
    const throughText = () => english.t('page.title.deeper.still');

    // Assert
    expect(unknown).toThrow(MissingText);
    expect(unknown).toThrow('No text "page.noSuchText" in the export catalogs');
    expect(group).toThrow(MissingText);
    expect(throughText).toThrow(MissingText);
    expect(new MissingText('x').name).toBe('MissingText');
  });

  it('renders a text as HTML: escaped, bold marks as <b>, HTML parameters as given', () => {
    // Act
    const bold = norwegian.html('rights.access');
    const params = english.html('page.title', { brand: '<i>albelli</i>' });
    const escaped = english.html('page.title', {});

    // Assert
    expect(bold).toBe('<b>Innsyn</b> i personopplysningene dine (art. 15): dette arkivet.');
    expect(params).toBe('Your personal data at <i>albelli</i>');
    expect(escaped).toBe('Your personal data at {brand}');
  });

  it('escapes what a text holds itself', () => {
    // Act
    const html = english.html('page.intro', { requestId: 'r-1', date: '<b>now</b>' });

    // Assert
    expect(html).toBe('A copy of your personal data (GDPR Art. 15 and 20), request r-1, received on <b>now</b>.');
    expect(english.html('page.intro')).not.toContain('<');
  });

  it('chooses the plural form for the count and writes the count in the locale', () => {
    // Act
    const forms = [norwegian.count('page.volumes', 1), norwegian.count('page.volumes', 2), norwegian.count('page.volumes', 0), new Texts('de', 'de-DE').count('page.records', 1234)];

    // Assert
    expect(forms).toEqual(['Dette arkivet består av 1 del.', 'Dette arkivet består av 2 deler.', 'Dette arkivet består av 0 deler.', 'Ihre Daten (1.234 Einträge)']);
  });

  it('labels attributes of the store, and address parts wherever an address is nested', () => {
    // Act
    const labels = [
      norwegian.label('customer-profile', 'addresses.city'),
      norwegian.label('orders', 'shippingAddress.postalCode'),
      english.label('orders', 'billingAddress.street'),
      english.label('orders', 'lines.sku'),
      english.label('orders', 'notAnAttribute'),
      english.label('orders', 'city'),
      english.label('orders', 'myshippingAddress.city'),
      english.label('orders', 'shippingAddress.city.extra'),
      norwegian.label('uploaded-photos', 'anything'),
      english.label('no-such-store', 'anything'),
    ];

    // Assert
    expect(labels).toEqual(['Poststed', 'Postnummer', 'Street and number', 'Article number', undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('has a word for a stored value in the language, English when the language lacks it, none for an unknown value', () => {
    // Act
    const words = [
      norwegian.word('orders', 'status', 'shipped'),
      english.word('orders', 'status', 'in_production'),
      norwegian.word('customer-profile', 'addresses.type', 'billing'),
      english.word('orders', 'status', 'lost'),
      english.word('orders', 'noSuchAttribute', 'x'),
    ];

    // Assert
    expect(words).toEqual(['sendt', 'in production', 'Fakturaadresse', undefined, undefined]);
  });

  it('takes the stores\' English texts from the data map', () => {
    // Act
    const texts = english.store('orders');

    // Assert
    const orders = CUSTOMER_STORES.find((store) => store.id === 'orders')!;
    expect(texts).toMatchObject({ title: orders.title, purpose: orders.purpose, legalBasis: orders.legalBasis, retention: orders.retention, source: orders.source, categories: orders.categories });
    expect(norwegian.store('orders').title).not.toBe(orders.title);
  });
});
