import escapeHtml from 'escape-html';
import { CUSTOMER_STORES, type CustomerStoreId } from '../../data-map';
import type { Language } from '../../locales';
import de from './de.json';
import en from './en.json';
import fr from './fr.json';
import nb from './nb.json';
import nl from './nl.json';
import sv from './sv.json';

/**
 * The customer-facing texts of an export, one JSON file per language (`<language>.json`). English
 * texts of the stores (title, categories, purpose, legal basis, retention, source, explanation) and of
 * their recipients come from the data map, the one place they are declared; the other languages
 * translate them in their `store` and `recipient` sections. The compiler checks that every language has
 * every key of English; `test/unit/export-i18n.test.ts` checks it again at run time, with placeholders.
 */

/** The Art. 15(1) texts of one store. */
export interface StoreTexts {
  title: string;
  categories: string[];
  purpose: string;
  legalBasis: string;
  retention: string;
  source: string;
  explanation?: string;
}

/** Every customer-facing text in one language. */
export type Catalog = typeof en & {
  store: Record<CustomerStoreId, StoreTexts>;
  recipient: Record<string, { name: string; location: string }>;
};

/** English: the UI texts of `en.json` plus the stores' and recipients' texts of the data map. */
const english: Catalog = {
  ...en,
  store: Object.fromEntries(
    CUSTOMER_STORES.map((store) => [
      store.id,
      {
        title: store.title,
        categories: store.categories,
        purpose: store.purpose,
        legalBasis: store.legalBasis,
        retention: store.retention,
        source: store.source,
        ...(store.explanation ? { explanation: store.explanation } : {}),
      },
    ]),
  ) as Record<CustomerStoreId, StoreTexts>,
  recipient: Object.fromEntries(CUSTOMER_STORES.flatMap((store) => store.recipients).map((recipient) => [recipient.id, { name: recipient.name, location: recipient.location }])),
};

/** The catalog of every language. */
export const CATALOGS: Record<Language, Catalog> = { en: english, nl, de, fr, nb, sv };

/** Parameters of a text: each `{name}` is replaced by its value (already HTML where the caller says so). */
export type TextParams = Record<string, string | number>;

/** A value at a dotted path of a catalog, or undefined. */
function at(catalog: unknown, path: string): unknown {
  let node = catalog;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** Thrown for a text key that no language has: a bug in the renderer, never shown to the customer. */
export class MissingText extends Error {
  constructor(key: string) {
    super(`No text "${key}" in the export catalogs`);
    this.name = 'MissingText';
  }
}

/** The texts of one language, with English as the fallback for any text a language lacks. */
export class Texts {
  private readonly plurals: Intl.PluralRules;
  readonly catalog: Catalog;

  constructor(
    readonly language: Language,
    readonly tag: string,
  ) {
    this.catalog = CATALOGS[language];
    this.plurals = new Intl.PluralRules(tag);
  }

  /** The text at `key` (a dotted path of the UI texts) with its `{placeholders}` filled in. */
  t(key: string, params: TextParams = {}): string {
    const text = at(this.catalog, key) ?? at(CATALOGS.en, key);
    if (typeof text !== 'string') throw new MissingText(key);
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  }

  /** The text at `key` as HTML: escaped, `**words**` in bold, `{placeholders}` filled with the given HTML. */
  html(key: string, htmlParams: TextParams = {}): string {
    const escaped = escapeHtml(this.t(key, Object.fromEntries(Object.keys(htmlParams).map((name) => [name, `\u0000${name}\u0000`]))));
    return escaped.replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/\u0000(\w+)\u0000/g, (_whole, name: string) => String(htmlParams[name]));
  }

  /** The plural form of `key` for `count` (`key.one` / `key.other`), with `{count}` filled in. */
  count(key: string, count: number, params: TextParams = {}): string {
    const form = this.plurals.select(count) === 'one' ? 'one' : 'other';
    return this.t(`${key}.${form}`, { count: new Intl.NumberFormat(this.tag).format(count), ...params });
  }

  /** The Art. 15(1) texts of a store. */
  store(id: CustomerStoreId): StoreTexts {
    return this.catalog.store[id] ?? CATALOGS.en.store[id];
  }

  /** The label of an attribute (`path` without array indices, e.g. `lines.sku`), or undefined when none is declared. */
  label(store: string, path: string): string | undefined {
    const fields = this.catalog.field as Record<string, Record<string, string>>;
    const english = CATALOGS.en.field as Record<string, Record<string, string>>;
    const leaf = path.slice(path.lastIndexOf('.') + 1);
    return fields[store]?.[path] ?? english[store]?.[path] ?? (isAddressPart(path) ? (fields.address?.[leaf] ?? english.address?.[leaf]) : undefined);
  }

  /** The word for a stored enum value of an attribute, or undefined when the value has none. */
  word(store: string, path: string, value: string): string | undefined {
    const values = this.catalog.value as Record<string, Record<string, Record<string, string>>>;
    const english = CATALOGS.en.value as Record<string, Record<string, Record<string, string>>>;
    const leaf = path.slice(path.lastIndexOf('.') + 1);
    const group = isAddressPart(path) ? 'address' : store;
    const name = group === 'address' ? leaf : path;
    return values[group]?.[name]?.[value] ?? english[group]?.[name]?.[value];
  }
}

/** Attributes of a postal address (profile addresses, shipping and billing addresses): labelled once. */
function isAddressPart(path: string): boolean {
  return /(^|\.)(addresses|shippingAddress|billingAddress)\.[^.]+$/.test(path);
}
