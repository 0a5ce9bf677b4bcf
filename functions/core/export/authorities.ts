import type { Brand } from '../brands';
import type { Language } from '../locales';

/**
 * The data-protection supervisory authorities of the countries the group sells in (Art. 77 GDPR: the
 * customer may complain where they live), with their contact details, and the lead authority of the
 * group (Art. 56: albelli B.V.'s main establishment is in Amsterdam). Names are the authorities' own;
 * Belgium's authority is named in French on French pages and in Dutch and French otherwise.
 */

/** A supervisory authority and how to reach it. */
export interface Authority {
  /** The authority's name (in the languages it uses itself). */
  name: string;
  /** Its name on a French page, when it has one. */
  nameFr?: string;
  website: string;
  /** Postal address lines. */
  address: string[];
  email?: string;
  phone?: string;
}

/** Countries with a national authority here (ISO 3166-1 alpha-2). */
export type AuthorityCountry = 'NL' | 'BE' | 'DE' | 'NO' | 'SE' | 'GB';

/** The national supervisory authority per country. */
export const AUTHORITIES: Record<AuthorityCountry, Authority> = {
  NL: {
    name: 'Autoriteit Persoonsgegevens',
    website: 'https://www.autoriteitpersoonsgegevens.nl',
    address: ['Postbus 93374', '2509 AJ Den Haag', 'Nederland'],
    phone: '+31 88 1805 250',
  },
  BE: {
    name: 'Gegevensbeschermingsautoriteit / Autorité de protection des données',
    nameFr: 'Autorité de protection des données',
    website: 'https://www.gegevensbeschermingsautoriteit.be',
    address: ['Drukpersstraat 35 / Rue de la Presse 35', '1000 Brussel / Bruxelles', 'België / Belgique'],
    email: 'contact@apd-gba.be',
    phone: '+32 2 274 48 00',
  },
  DE: {
    name: 'Die Bundesbeauftragte für den Datenschutz und die Informationsfreiheit (BfDI)',
    website: 'https://www.bfdi.bund.de',
    address: ['Graurheindorfer Straße 153', '53117 Bonn', 'Deutschland'],
    email: 'poststelle@bfdi.bund.de',
    phone: '+49 228 997799-0',
  },
  NO: {
    name: 'Datatilsynet',
    website: 'https://www.datatilsynet.no',
    address: ['Postboks 458 Sentrum', '0105 Oslo', 'Norge'],
    email: 'postkasse@datatilsynet.no',
    phone: '+47 22 39 69 00',
  },
  SE: {
    name: 'Integritetsskyddsmyndigheten (IMY)',
    website: 'https://www.imy.se',
    address: ['Box 8114', '104 20 Stockholm', 'Sverige'],
    email: 'imy@imy.se',
    phone: '+46 8 657 61 00',
  },
  GB: {
    name: "Information Commissioner's Office (ICO)",
    website: 'https://ico.org.uk',
    address: ['Wycliffe House', 'Water Lane', 'Wilmslow', 'Cheshire SK9 5AF', 'United Kingdom'],
    phone: '+44 303 123 1113',
  },
};

/** The lead supervisory authority of the group. */
export const LEAD_AUTHORITY_COUNTRY: AuthorityCountry = 'NL';

/** The country of each brand's home market, when the customer's own country is unknown. */
export const BRAND_HOME_COUNTRIES: Record<Brand, AuthorityCountry> = {
  albelli: 'NL',
  bonusprint: 'GB',
  fotoknudsen: 'NO',
  onskefoto: 'SE',
  resnap: 'NL',
};

/** True when the value is a country with a national authority here. */
export function isAuthorityCountry(value: unknown): value is AuthorityCountry {
  return typeof value === 'string' && Object.hasOwn(AUTHORITIES, value);
}

/** The authority's name as a page in `language` shows it. */
export function authorityName(authority: Authority, language: Language): string {
  return language === 'fr' && authority.nameFr ? authority.nameFr : authority.name;
}
