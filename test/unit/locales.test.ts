import { describe, expect, it } from 'vitest';
import { BRANDS } from '../../functions/core/brands';
import { BRAND_HOME_LOCALES, chooseLocale, languageOf, SUPPORTED_LOCALES } from '../../functions/core/locales';

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
});
