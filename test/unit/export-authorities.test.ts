import { describe, expect, it } from 'vitest';
import { BRANDS } from '../../functions/core/brands';
import { AUTHORITIES, authorityName, BRAND_HOME_COUNTRIES, isAuthorityCountry, LEAD_AUTHORITY_COUNTRY } from '../../functions/core/export/authorities';
import { BRAND_HOME_LOCALES } from '../../functions/core/locales';
import { COUNTRIES } from '../../local/seed/records';

describe('supervisory authorities', () => {
  it('has an authority with a website and a postal address for every country the brands sell in', () => {
    // Act
    const missing = COUNTRIES.filter((country) => !isAuthorityCountry(country) || !AUTHORITIES[country].website.startsWith('https://') || AUTHORITIES[country].address.length < 2);

    // Assert
    expect(missing).toEqual([]);
    expect(isAuthorityCountry('FR')).toBe(false);
  });

  it.each(['toString', 'constructor', '__proto__', 'nl', 42, undefined])('is no authority country: %j (a profile field, so anything)', (value) => {
    expect(isAuthorityCountry(value)).toBe(false);
  });

  it('shows each authority with the contact details published on its own site', () => {
    // Assert: the page tells customers where to complain (Art. 77), so each detail is pinned here
    expect(AUTHORITIES).toEqual({
      NL: { name: 'Autoriteit Persoonsgegevens', website: 'https://www.autoriteitpersoonsgegevens.nl', address: ['Postbus 93374', '2509 AJ Den Haag', 'Nederland'], phone: '+31 88 1805 250' },
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
      NO: { name: 'Datatilsynet', website: 'https://www.datatilsynet.no', address: ['Postboks 458 Sentrum', '0105 Oslo', 'Norge'], email: 'postkasse@datatilsynet.no', phone: '+47 22 39 69 00' },
      SE: { name: 'Integritetsskyddsmyndigheten (IMY)', website: 'https://www.imy.se', address: ['Box 8114', '104 20 Stockholm', 'Sverige'], email: 'imy@imy.se', phone: '+46 8 657 61 00' },
      GB: {
        name: "Information Commissioner's Office (ICO)",
        website: 'https://ico.org.uk',
        address: ['Wycliffe House', 'Water Lane', 'Wilmslow', 'Cheshire SK9 5AF', 'United Kingdom'],
        phone: '+44 303 123 1113',
      },
    });
    expect(BRAND_HOME_COUNTRIES).toEqual({ albelli: 'NL', bonusprint: 'GB', fotoknudsen: 'NO', onskefoto: 'SE', resnap: 'NL' });
  });

  it('leads with the Autoriteit Persoonsgegevens, albelli B.V. being in Amsterdam', () => {
    // Assert
    expect(LEAD_AUTHORITY_COUNTRY).toBe('NL');
    expect(AUTHORITIES.NL.name).toBe('Autoriteit Persoonsgegevens');
    expect(AUTHORITIES.NL.address).toContain('2509 AJ Den Haag');
  });

  it('names the Belgian authority in French on a French page, in both languages elsewhere', () => {
    // Act
    const names = [authorityName(AUTHORITIES.BE, 'fr'), authorityName(AUTHORITIES.BE, 'nl'), authorityName(AUTHORITIES.NO, 'fr')];

    // Assert
    expect(names).toEqual(['Autorité de protection des données', 'Gegevensbeschermingsautoriteit / Autorité de protection des données', 'Datatilsynet']);
  });

  it('places each brand\'s home market in the country of its home locale', () => {
    // Act
    const mismatched = BRANDS.filter((brand) => !BRAND_HOME_LOCALES[brand].endsWith(`-${BRAND_HOME_COUNTRIES[brand]}`));

    // Assert
    expect(mismatched).toEqual([]);
  });
});
