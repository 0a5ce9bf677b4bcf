import { describe, expect, it } from 'vitest';
import { BRANDS } from '../../functions/core/brands';
import { BRAND_HOME_LOCALES, chooseLocale, FALLBACK_LOCALE, LANGUAGES, languageOf, SUPPORTED_LOCALES } from '../../functions/core/locales';

describe('locale choice', () => {
  it('takes the request locale over the profile and the brand', () => {
    // Act
    const chosen = chooseLocale({ requested: 'fr-BE', profile: 'nl-BE', brand: 'albelli' });

    // Assert
    expect(chosen).toEqual({ tag: 'fr-BE', language: 'fr', source: 'request' });
  });

  it('takes the profile locale when the request names none', () => {
    // Act
    const chosen = chooseLocale({ profile: 'nb-NO', brand: 'albelli' });

    // Assert
    expect(chosen).toEqual({ tag: 'nb-NO', language: 'nb', source: 'profile' });
  });

  it('reads a profile locale in another case or region by its language, and Norwegian as Bokmål', () => {
    // Act
    const german = chooseLocale({ profile: 'de-at', brand: 'bonusprint' });
    const norwegian = chooseLocale({ profile: 'no-NO', brand: 'bonusprint' });

    // Assert
    expect(german).toEqual({ tag: 'de-AT', language: 'de', source: 'profile' });
    expect(norwegian).toMatchObject({ tag: 'no-NO', language: 'nb', source: 'profile' });
  });

  it.each([
    ['albelli', 'nl-NL', 'nl'],
    ['bonusprint', 'en-GB', 'en'],
    ['fotoknudsen', 'nb-NO', 'nb'],
    ['onskefoto', 'sv-SE', 'sv'],
    ['resnap', 'nl-NL', 'nl'],
  ] as const)('falls back to the home market of %s (%s) without a usable profile locale', (brand, tag, language) => {
    // Act
    const missing = chooseLocale({ brand });
    const unsupported = chooseLocale({ profile: 'it-IT', brand });
    const malformed = chooseLocale({ profile: 'not a tag', brand });

    // Assert
    for (const chosen of [missing, unsupported, malformed]) expect(chosen).toEqual({ tag, language, source: 'brand' });
  });

  it('falls back to English when nothing names a language', () => {
    // Act
    const chosen = chooseLocale({ profile: 42 });

    // Assert
    expect(chosen).toEqual({ tag: 'en-GB', language: 'en', source: 'fallback' });
  });

  it('every supported locale and brand home market is canonical and has a language', () => {
    // Act
    const tags = [...SUPPORTED_LOCALES, ...BRANDS.map((brand) => BRAND_HOME_LOCALES[brand])];

    // Assert
    for (const tag of tags) {
      expect(Intl.getCanonicalLocales(tag)).toEqual([tag]);
      expect(languageOf(tag)).toBeDefined();
    }
    expect(languageOf('it')).toBeUndefined();
  });

  it('offers the six languages of the texts, alone or in the markets the group sells in', () => {
    // Assert
    expect(LANGUAGES).toEqual(['nl', 'de', 'fr', 'nb', 'sv', 'en']);
    expect(SUPPORTED_LOCALES).toEqual(['nl', 'nl-NL', 'nl-BE', 'de', 'de-DE', 'de-BE', 'fr', 'fr-BE', 'nb', 'nb-NO', 'sv', 'sv-SE', 'en', 'en-GB']);
    expect(BRAND_HOME_LOCALES).toEqual({ albelli: 'nl-NL', bonusprint: 'en-GB', fotoknudsen: 'nb-NO', onskefoto: 'sv-SE', resnap: 'nl-NL' });
    expect(FALLBACK_LOCALE).toBe('en-GB');
  });

  it('reads a language by its canonical subtag: Nynorsk as Bokmål, upper case as lower, malformed as none', () => {
    // Act
    const languages = ['nn-NO', 'EN-gb', 'SV', 'it', '', 'x-private', 'not a tag'].map(languageOf);

    // Assert
    expect(languages).toEqual(['nb', 'en', 'sv', undefined, undefined, undefined, undefined]);
  });

  it('takes a requested locale in its canonical form, and ignores an empty or overlong one', () => {
    // Arrange
    const overlong = `de-DE-x-${'a'.repeat(8)}-${'b'.repeat(8)}-${'c'.repeat(8)}-d`;

    // Act
    const canonical = chooseLocale({ requested: 'EN-gb', brand: 'albelli' });
    const empty = chooseLocale({ requested: '', profile: 'sv-SE' });
    const tooLong = chooseLocale({ requested: overlong, profile: 'sv-SE' });

    // Assert
    expect(canonical).toEqual({ tag: 'en-GB', language: 'en', source: 'request' });
    expect(empty.source).toBe('profile');
    expect(overlong.length).toBe(36);
    expect(tooLong.source).toBe('profile');
  });

  it('takes a locale of exactly 35 characters', () => {
    // Arrange: a valid tag of 35 characters
    const tag = `de-DE-x-${'a'.repeat(8)}-${'b'.repeat(8)}-${'c'.repeat(7)}-d`;

    // Act
    const chosen = chooseLocale({ requested: tag });

    // Assert
    expect(tag.length).toBe(35);
    expect(chosen).toMatchObject({ language: 'de', source: 'request' });
  });

  it('falls back to English without a brand', () => {
    expect(chooseLocale({})).toEqual({ tag: 'en-GB', language: 'en', source: 'fallback' });
  });
});
