import { describe, expect, it } from 'vitest';
import { Formatter, isIsoInstant } from '../../functions/core/export/format';

describe('formatting for the locale', () => {
  it('recognises ISO 8601 instants only', () => {
    // Act
    const answers = ['2025-06-01T09:00:00.000Z', '2025-06-01T09:00+02:00', '2025-06-01', 'pr-2025-06-01T09', '2025-13-45T99:99:00Z'].map(isIsoInstant);

    // Assert
    expect(answers).toEqual([true, true, false, false, false]);
  });

  it('formats minor units with the currency\'s own decimals and the locale\'s separators', () => {
    // Arrange
    const norwegian = new Formatter('nb-NO', 'Europe/Oslo');
    const british = new Formatter('en-GB', 'Europe/London');

    // Act
    const amounts = [norwegian.money(26393, 'NOK'), british.money(123456, 'SEK'), british.money(500, 'JPY'), new Formatter('nl-NL', 'Europe/Amsterdam').money(199, 'EUR')];

    // Assert
    expect(amounts).toEqual(['263,93\u00a0kr', 'SEK\u00a01,234.56', 'JP¥500', '€\u00a01,99']);
  });

  it('formats dates in the customer\'s time zone and language', () => {
    // Arrange
    const instant = '2025-01-31T23:30:00.000Z';

    // Act
    const swedish = new Formatter('sv-SE', 'Europe/Stockholm').dateTimeOf(instant);
    const british = new Formatter('en-GB', 'Europe/London').dateTimeOf(instant);
    const french = new Formatter('fr-BE', 'Europe/Brussels').dateOf(instant);

    // Assert
    expect(swedish).toBe('1 februari 2025 kl. 00:30');
    expect(british).toBe('31 January 2025 at 23:30');
    expect(french).toBe('1 février 2025');
  });

  it('formats numbers, percentages, scores, sizes, countries, languages and addresses', () => {
    // Arrange
    const german = new Formatter('de-DE', 'Europe/Berlin');
    const british = new Formatter('en-GB', 'Europe/London');

    // Act
    const values = [german.numberOf(1234.5), german.percent(19), german.score(0.8), german.bytes(3_500_000), german.country('NO'), german.language('nb-NO')];
    const envelope = british.addressLines({ name: 'Ann Smith', street: '1 High Street', postalCode: 'SW1A 1AA', city: 'London', country: 'GB' });

    // Assert
    expect(values).toEqual(['1.234,5', '19\u00a0%', '0,80', '3,5 MB', 'Norwegen', 'Norwegisch (Bokmål) (Norwegen)']);
    expect(envelope).toEqual(['Ann Smith', '1 High Street', 'London', 'SW1A 1AA', 'United Kingdom']);
  });
});
