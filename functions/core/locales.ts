import type { Brand } from './brands';

/**
 * The languages the customer-facing texts exist in, the BCP 47 locales a request may ask for, and the
 * choice of a request's locale: the request's own `locale`, else the customer's profile `locale`, else
 * the brand's home market, else English. Locales are not personal data (they may travel in workflow
 * state and the ledger).
 */

/** The languages of the customer-facing texts (ISO 639-1; `nb` is Norwegian Bokmål). */
export const LANGUAGES = ['nl', 'de', 'fr', 'nb', 'sv', 'en'] as const;

/** A language of the customer-facing texts. */
export type Language = (typeof LANGUAGES)[number];

/** The BCP 47 locales a request may name: the languages, alone or in the markets the group sells in. */
export const SUPPORTED_LOCALES = [
  'nl',
  'nl-NL',
  'nl-BE',
  'de',
  'de-DE',
  'de-BE',
  'fr',
  'fr-BE',
  'nb',
  'nb-NO',
  'sv',
  'sv-SE',
  'en',
  'en-GB',
] as const;

/** A locale a request may name. */
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];

/** The locale of each brand's home market (the seat of the company behind it). */
export const BRAND_HOME_LOCALES: Record<Brand, SupportedLocale> = {
  albelli: 'nl-NL',
  bonusprint: 'en-GB',
  fotoknudsen: 'nb-NO',
  onskefoto: 'sv-SE',
  resnap: 'nl-NL',
};

/** Used when nothing else names a supported language. */
export const FALLBACK_LOCALE: SupportedLocale = 'en-GB';

/** A chosen locale: the tag used for `<html lang>` and `Intl`, and the language of the texts. */
export interface ResolvedLocale {
  tag: string;
  language: Language;
  /** Which source decided it. */
  source: 'request' | 'profile' | 'brand' | 'fallback';
}

/** The language of a BCP 47 tag when it is one of ours (`no`/`nn` read as Bokmål), else undefined. */
export function languageOf(tag: string): Language | undefined {
  let canonical: string;
  try {
    [canonical = ''] = Intl.getCanonicalLocales(tag);
  } catch {
    return undefined;
  }
  const language = canonical.split('-')[0]!.toLowerCase();
  if (language === 'no' || language === 'nn') return 'nb';
  return (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : undefined;
}

/** The canonical form of a tag whose language is one of ours, else undefined. */
function usable(tag: unknown): { tag: string; language: Language } | undefined {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > 35) return undefined;
  const language = languageOf(tag);
  return language ? { tag: Intl.getCanonicalLocales(tag)[0]!, language } : undefined;
}

/** The request's locale, else the profile's, else the brand's home market, else English. */
export function chooseLocale(choices: { requested?: string; profile?: unknown; brand?: Brand }): ResolvedLocale {
  const requested = usable(choices.requested);
  if (requested) return { ...requested, source: 'request' };
  const profile = usable(choices.profile);
  if (profile) return { ...profile, source: 'profile' };
  const home = choices.brand ? usable(BRAND_HOME_LOCALES[choices.brand]) : undefined;
  if (home) return { ...home, source: 'brand' };
  return { tag: FALLBACK_LOCALE, language: 'en', source: 'fallback' };
}
