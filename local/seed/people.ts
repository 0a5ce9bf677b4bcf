import type { Brand } from '../../functions/core/brands';
import type { Country } from './records';

/**
 * Obviously fictitious people, places and products for seed data: placeholder names (Mustermann,
 * Nordmann, Bloggs...), example.com email addresses, reserved or zero-filled phone numbers.
 */

/** Placeholder names, streets, towns and phone format of one country. */
export interface CountryFixtures {
  locale: string;
  firstNames: readonly string[];
  lastNames: readonly string[];
  streets: readonly string[];
  /** [postal code, city] pairs. */
  towns: readonly (readonly [string, string])[];
  /** Phone number for a 4-digit suffix. */
  phone: (suffix: string) => string;
}

/** Fixtures per country. */
export const COUNTRY_FIXTURES: Record<Country, CountryFixtures> = {
  NL: {
    locale: 'nl-NL',
    firstNames: ['Jan', 'Sanne', 'Pieter', 'Femke', 'Daan', 'Lotte'],
    lastNames: ['Voorbeeld', 'de Proef', 'van Demo', 'Testbeek'],
    streets: ['Voorbeeldstraat', 'Proeflaan', 'Testgracht'],
    towns: [['1011 AB', 'Amsterdam'], ['3511 CD', 'Utrecht'], ['2511 EF', 'Den Haag']],
    phone: (suffix) => `+31 6 0000 ${suffix}`,
  },
  BE: {
    locale: 'nl-BE',
    firstNames: ['Lucas', 'Emma', 'Wout', 'Marie'],
    lastNames: ['Voorbeeld', 'Peeters-Demo', 'Janssens-Test'],
    streets: ['Voorbeeldlaan', 'Rue de l’Exemple'],
    towns: [['1000', 'Brussel'], ['2000', 'Antwerpen'], ['9000', 'Gent']],
    phone: (suffix) => `+32 470 00 ${suffix.slice(0, 2)} ${suffix.slice(2)}`,
  },
  DE: {
    locale: 'de-DE',
    firstNames: ['Max', 'Erika', 'Lukas', 'Anna'],
    lastNames: ['Mustermann', 'Musterfrau', 'Beispiel'],
    streets: ['Musterstraße', 'Beispielweg'],
    towns: [['10115', 'Berlin'], ['50667', 'Köln'], ['80331', 'München']],
    phone: (suffix) => `+49 151 0000 ${suffix}`,
  },
  NO: {
    locale: 'nb-NO',
    firstNames: ['Ola', 'Kari', 'Ingrid', 'Lars'],
    lastNames: ['Nordmann', 'Testesen', 'Eksempelsen'],
    streets: ['Eksempelveien', 'Prøvegata'],
    towns: [['0150', 'Oslo'], ['5003', 'Bergen'], ['7010', 'Trondheim']],
    phone: (suffix) => `+47 400 0${suffix}`,
  },
  SE: {
    locale: 'sv-SE',
    firstNames: ['Sven', 'Anna', 'Erik', 'Karin'],
    lastNames: ['Svensson', 'Exempelsson', 'Testberg'],
    streets: ['Exempelgatan', 'Provvägen'],
    towns: [['111 22', 'Stockholm'], ['411 01', 'Göteborg'], ['211 20', 'Malmö']],
    phone: (suffix) => `+46 70 000 ${suffix.slice(0, 2)} ${suffix.slice(2)}`,
  },
  GB: {
    locale: 'en-GB',
    firstNames: ['Joe', 'Jane', 'Oliver', 'Amelia'],
    lastNames: ['Bloggs', 'Doe', 'Example'],
    streets: ['Example Road', 'Sample Street'],
    towns: [['SW1A 1AA', 'London'], ['M1 1AE', 'Manchester'], ['EH1 1YZ', 'Edinburgh']],
    // Ofcom reserves 07700 900000–900999 for drama; these numbers never ring anyone.
    phone: (suffix) => `+44 7700 900${suffix.slice(1)}`,
  },
};

/** A product a brand sells, with its net price in euro cents. */
export interface Product {
  sku: string;
  product: string;
  netEuroCents: number;
  /** Typical quantity range. */
  quantity: readonly [number, number];
}

/** Products per brand. */
export const PRODUCTS: Record<Brand, readonly Product[]> = {
  albelli: [
    { sku: 'ALB-PB-A4-HC', product: 'Photo book A4 hardcover', netEuroCents: 3495, quantity: [1, 2] },
    { sku: 'ALB-CANVAS-40x60', product: 'Canvas print 40x60', netEuroCents: 4995, quantity: [1, 1] },
    { sku: 'ALB-CAL-A3', product: 'Wall calendar A3', netEuroCents: 2495, quantity: [1, 3] },
    { sku: 'ALB-PRINT-10x15', product: 'Photo prints 10x15', netEuroCents: 19, quantity: [20, 60] },
  ],
  bonusprint: [
    { sku: 'BP-PB-SQ', product: 'Square photo book', netEuroCents: 2995, quantity: [1, 2] },
    { sku: 'BP-MUG', product: 'Photo mug', netEuroCents: 1295, quantity: [1, 4] },
    { sku: 'BP-CARD', product: 'Greeting cards', netEuroCents: 149, quantity: [10, 30] },
  ],
  fotoknudsen: [
    { sku: 'FK-FOTOBOK-A4', product: 'Fotobok A4', netEuroCents: 3295, quantity: [1, 2] },
    { sku: 'FK-KALENDER', product: 'Kalender', netEuroCents: 2295, quantity: [1, 3] },
    { sku: 'FK-BILDER-10x15', product: 'Fotokopier 10x15', netEuroCents: 25, quantity: [20, 50] },
  ],
  onskefoto: [
    { sku: 'OF-FOTOBOK', product: 'Fotobok', netEuroCents: 3195, quantity: [1, 2] },
    { sku: 'OF-CANVAS', product: 'Canvastavla', netEuroCents: 4495, quantity: [1, 1] },
    { sku: 'OF-FOTOKORT', product: 'Fotokort', netEuroCents: 169, quantity: [10, 40] },
  ],
  resnap: [
    { sku: 'RS-AUTO-BOOK', product: 'Automatically created photo book', netEuroCents: 3995, quantity: [1, 2] },
    { sku: 'RS-AUTO-MINI', product: 'Automatically created mini book', netEuroCents: 1995, quantity: [1, 3] },
  ],
};

/** Euro cents to minor units of the order currency (rounded to whole minor units). */
export const EURO_RATE: Record<'EUR' | 'NOK' | 'SEK' | 'GBP', number> = { EUR: 1, NOK: 11.5, SEK: 11.3, GBP: 0.85 };

/** Short prefix of order numbers per brand. */
export const ORDER_PREFIX: Record<Brand, string> = { albelli: 'ALB', bonusprint: 'BNP', fotoknudsen: 'FKN', onskefoto: 'OSF', resnap: 'RSN' };

/** Original photo file names (some with spaces and non-ASCII characters). */
export const PHOTO_NAMES: readonly string[] = [
  'IMG_2041.JPG',
  'IMG_3117.jpg',
  'DSC01234.JPG',
  'Zomer 2024 – strand (1).jpg',
  'Ferie på Hvaler.jpg',
  'Midsommar i skärgården.jpeg',
  'Oma’s 80ste verjaardag.jpg',
  'Weihnachten bei Müllers.jpg',
  'PXL_20240612_101500.jpg',
  'wedding-day 042.jpg',
];

/** Photo-library album names. */
export const ALBUM_NAMES: Record<'fotoknudsen' | 'onskefoto', readonly string[]> = {
  fotoknudsen: ['Hytta 2023', 'Barna', 'Sommerferie i Lofoten', 'Bryllup'],
  onskefoto: ['Sommar i skärgården', 'Barnen', 'Fjällen 2024', 'Bröllop'],
};

/** Marketing segments. */
export const SEGMENTS: readonly { name: string; criteria: string }[] = [
  { name: 'photo-book-buyers', criteria: 'Ordered a photo book in the last 24 months' },
  { name: 'holiday-season', criteria: 'Ordered in November or December' },
  { name: 'lapsed-customers', criteria: 'No order in the last 18 months' },
  { name: 'calendar-buyers', criteria: 'Ordered a calendar in the last 12 months' },
];

/** Scene labels the smart-creation analysis produces. */
export const SCENE_LABELS: readonly string[] = ['beach', 'mountains', 'birthday', 'wedding', 'portrait', 'city', 'snow', 'pets', 'food', 'sunset'];
