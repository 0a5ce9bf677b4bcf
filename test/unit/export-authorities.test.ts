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
