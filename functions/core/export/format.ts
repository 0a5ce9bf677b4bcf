/**
 * Values formatted for a person in their locale with `Intl`: dates and times in the customer's time
 * zone, money from whole minor units, numbers, percentages, file sizes, durations, country and
 * language names, and postal addresses as the lines of an envelope.
 */

/** The time zone of each country the group sells in. */
export const TIME_ZONES: Record<string, string> = {
  NL: 'Europe/Amsterdam',
  BE: 'Europe/Brussels',
  DE: 'Europe/Berlin',
  NO: 'Europe/Oslo',
  SE: 'Europe/Stockholm',
  GB: 'Europe/London',
};

/** An ISO 8601 instant as the stores write them (`2025-03-04T10:11:12.000Z`). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** True for an ISO 8601 instant. */
export function isIsoInstant(value: string): boolean {
  return ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value));
}

/** Formats values for one locale and time zone. */
export class Formatter {
  private readonly dateTime: Intl.DateTimeFormat;
  private readonly dateOnly: Intl.DateTimeFormat;
  private readonly number: Intl.NumberFormat;
  private readonly regions: Intl.DisplayNames;
  private readonly languages: Intl.DisplayNames;
  /** Number formats by their options, made once (making one costs far more than formatting with it: a page formats thousands of values). */
  private readonly numberFormats = new Map<string, Intl.NumberFormat>();

  constructor(
    readonly tag: string,
    readonly timeZone: string,
  ) {
    this.dateTime = new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeStyle: 'short', timeZone });
    this.dateOnly = new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeZone });
    this.number = new Intl.NumberFormat(tag);
    this.regions = new Intl.DisplayNames(tag, { type: 'region' });
    this.languages = new Intl.DisplayNames(tag, { type: 'language' });
  }

  private numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
    const key = JSON.stringify(options);
    let format = this.numberFormats.get(key);
    if (!format) this.numberFormats.set(key, (format = new Intl.NumberFormat(this.tag, options)));
    return format;
  }

  /** `2025-06-01T09:00:00.000Z` → `1. Juni 2025 um 11:00` (de-DE, Europe/Berlin). */
  dateTimeOf(iso: string): string {
    return this.dateTime.format(new Date(iso));
  }

  /** The date alone: `1 juni 2025`. */
  dateOf(iso: string): string {
    return this.dateOnly.format(new Date(iso));
  }

  /** `26393` NOK → `kr 263,93` (nb-NO): the currency's own number of decimals. */
  money(minorUnits: number, currency: string): string {
    const format = this.numberFormat({ style: 'currency', currency });
    const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minorUnits / 10 ** decimals);
  }

  /** A plain number: `1234.5` → `1.234,5` (nl). */
  numberOf(value: number): string {
    return this.number.format(value);
  }

  /** A percentage given in whole percent: `21` → `21 %` (de). */
  percent(value: number): string {
    return this.numberFormat({ style: 'percent', maximumFractionDigits: 2 }).format(value / 100);
  }

  /** A score from 0 to 1 with two decimals: `0.8` → `0,80` (sv). */
  score(value: number): string {
    return this.numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  }

  /** A file size: `2048` → `2 kB`, `3500000` → `3,5 MB` (decimal units). */
  bytes(value: number): string {
    const [unit, divisor] = value >= 1e9 ? ['gigabyte', 1e9] : value >= 1e6 ? ['megabyte', 1e6] : value >= 1e3 ? ['kilobyte', 1e3] : ['byte', 1];
    return this.numberFormat({ style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value / divisor);
  }

  /** The name of a country code in this locale: `NO` → `Norge` (nb). */
  country(code: string): string {
    try {
      return this.regions.of(code) ?? code;
    } catch {
      return code;
    }
  }

  /** The name of a language tag in this locale: `nb-NO` → `norsk bokmål (Norge)` (nb). */
  language(tag: string): string {
    try {
      return this.languages.of(tag) ?? tag;
    } catch {
      return tag;
    }
  }

  /** A postal address as envelope lines (UK: town and postcode on their own lines; elsewhere `postcode town`). */
  addressLines(address: { name?: unknown; street?: unknown; postalCode?: unknown; city?: unknown; country?: unknown }): string[] {
    const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));
    const country = text(address.country);
    const town = country === 'GB' ? [text(address.city), text(address.postalCode)] : [`${text(address.postalCode)} ${text(address.city)}`.trim()];
    return [text(address.name), text(address.street), ...town, country ? this.country(country) : ''].filter((line) => line.length > 0);
  }
}
