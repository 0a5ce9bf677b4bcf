import { describe, expect, it } from 'vitest';
import { Formatter, isIsoInstant, TIME_ZONES } from '../../functions/core/export/format';

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
    expect(british.money(1234, 'KWD')).toBe('KWD\u00a01.234');
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

  it('recognises every form of instant the stores write, and only the whole value', () => {
    // Act
    const answers = [
      '2025-06-01T09:00Z',
      '2025-06-01T09:00:30Z',
      '2025-06-01T09:00:30.123456-01:00',
      '2025-06-01T09:00:00.000z',
      '2025-06-01T09:00:00+0200',
      'x2025-06-01T09:00Z',
      '2025-06-01T09:00Zx',
      '2025-06-01T09:00:00.Z',
    ].map(isIsoInstant);

    // Assert
    expect(answers).toEqual([true, true, true, false, false, false, false, false]);
  });

  it('puts each country the group sells in in its own time zone', () => {
    expect(TIME_ZONES).toEqual({ NL: 'Europe/Amsterdam', BE: 'Europe/Brussels', DE: 'Europe/Berlin', NO: 'Europe/Oslo', SE: 'Europe/Stockholm', GB: 'Europe/London' });
  });

  it('dates a late evening instant on the next day in the customer\'s time zone', () => {
    // Act
    const dates = [new Formatter('de-DE', 'Europe/Berlin').dateOf('2025-06-01T22:30:00Z'), new Formatter('nl-NL', 'Europe/Amsterdam').dateTimeOf('2025-06-01T22:30:00Z')];

    // Assert
    expect(dates).toEqual(['2. Juni 2025', '2 juni 2025 om 00:30']);
  });

  it('sizes files in decimal units from bytes to gigabytes, with one decimal', () => {
    // Arrange
    const german = new Formatter('de-DE', 'Europe/Berlin');

    // Act
    const sizes = [999, 1000, 999_999, 1_000_000, 999_999_999, 1_000_000_000, 2_500_000_000].map((value) => german.bytes(value));

    // Assert
    expect(sizes).toEqual(['999 Byte', '1 kB', '1.000 kB', '1 MB', '1.000 MB', '1\u00a0GB', '2,5\u00a0GB']);
  });

  it('keeps two decimals of a percentage and always two of a score', () => {
    // Act
    const values = [new Formatter('de-DE', 'Europe/Berlin').percent(12.345), new Formatter('sv-SE', 'Europe/Stockholm').score(0.8)];

    // Assert
    expect(values).toEqual(['12,35\u00a0%', '0,80']);
  });

  it('answers a code it cannot name with the code itself', () => {
    // Arrange
    const german = new Formatter('de-DE', 'Europe/Berlin');

    // Act
    const names = [german.country('XX'), german.country('nope!'), german.language('xx'), german.language('not a tag')];

    // Assert
    expect(names).toEqual(['XX', 'nope!', 'xx', 'not a tag']);
  });

  it('writes an address outside the UK with postcode and town on one line, leaving out what is missing', () => {
    // Arrange
    const dutch = new Formatter('nl-NL', 'Europe/Amsterdam');

    // Act
    const full = dutch.addressLines({ name: 'Anna de Vries', street: 'Damrak 1', postalCode: '1012 LG', city: 'Amsterdam', country: 'NL' });
    const sparse = dutch.addressLines({ name: null, street: 12, city: 'Utrecht' });

    // Assert
    expect(full).toEqual(['Anna de Vries', 'Damrak 1', '1012 LG Amsterdam', 'Nederland']);
    expect(sparse).toEqual(['12', 'Utrecht']);
  });

  it('formats each value with its own options when one formatter is used for many kinds in turn', () => {
    // Arrange
    const used = new Formatter('nl-NL', 'Europe/Amsterdam');
    const fresh = () => new Formatter('nl-NL', 'Europe/Amsterdam');
    const calls: ((formatter: Formatter) => string)[] = [
      (formatter) => formatter.bytes(2048),
      (formatter) => formatter.bytes(3_500_000),
      (formatter) => formatter.money(26393, 'NOK'),
      (formatter) => formatter.money(1999, 'JPY'),
      (formatter) => formatter.score(0.8),
      (formatter) => formatter.percent(21),
      (formatter) => formatter.bytes(12),
      (formatter) => formatter.money(1999, 'EUR'),
    ];

    // Act
    const inTurn = [...calls, ...calls].map((call) => call(used));

    // Assert: each as a formatter used for nothing else formats it
    expect(inTurn).toEqual([...calls, ...calls].map((call) => call(fresh())));
    expect(inTurn.slice(0, 2)).toEqual(['2 kB', '3,5 MB']);
  });
});
