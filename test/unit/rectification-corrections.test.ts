import { describe, expect, it } from 'vitest';
import {
  correctedFields,
  correctionsSchema,
  normaliseCorrections,
  postalAddressOf,
  postalLine,
  shippingAddressOf,
  type Corrections,
} from '../../functions/core/rectification/corrections';

const home = { type: 'home' as const, street: 'Damrak 1', postalCode: '1012 LG', city: 'Amsterdam', country: 'NL' };
const shipping = { type: 'shipping' as const, name: 'A. Person', street: 'Rokin 2', postalCode: '1012 KT', city: 'Amsterdam', country: 'NL' };

/** The fields and messages of a refused value. */
function problems(value: unknown): { field: string; message: string }[] {
  const parsed = correctionsSchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
}

describe('correctionsSchema', () => {
  it('accepts every correctable field', () => {
    const value = { email: 'a@example.org', phone: '+31 6 1234 5678', firstName: 'Ann', lastName: 'Person', locale: 'nl-NL', addresses: [home, shipping] };

    expect(correctionsSchema.parse(value)).toEqual(value);
  });

  it.each([
    [{}, '', 'must correct at least one of email, phone, firstName, lastName, locale, addresses'],
    [{ email: 'not-an-email' }, 'email', 'must be an email address'],
    [{ phone: 'call me' }, 'phone', 'must be a phone number (digits, spaces, "-", ".", brackets, optional leading + or 00)'],
    [{ phone: '+31 6' }, 'phone', 'must have 6 to 15 digits'],
    [{ phone: '+31 6 1234 5678 9012 3' }, 'phone', 'must have 6 to 15 digits'],
    [{ firstName: '  ' }, 'firstName', 'must not be empty'],
    [{ locale: 'xx' }, 'locale', expect.stringContaining('must be one of nl, nl-NL')],
    [{ addresses: [] }, 'addresses', 'must list at least one address'],
    [{ addresses: [{ ...home, country: 'Netherlands' }] }, 'addresses.0.country', 'must be an ISO 3166-1 alpha-2 country code'],
    [{ addresses: [{ ...home, type: 'other' }] }, 'addresses.0.type', 'must be one of home, billing, shipping, work'],
    [{ addresses: [{ ...home, street: '' }] }, 'addresses.0.street', 'must not be empty'],
  ])('refuses %j naming %s', (value, field, message) => {
    expect(problems(value)).toEqual([{ field, message }]);
  });

  it.each([
    ['no prefix, no separators', '0612345678'],
    ['spaces, brackets, dots and dashes', '+31 (6) 12.34-5678'],
    ['a leading 00', '0031 6 12345678'],
    ['surrounding tabs and spaces', '\t 0612345678 \t'],
    ['6 digits', '123456'],
    ['15 digits', '+123456789012345'],
    ['32 characters', `0612345678${' '.repeat(22)}`],
  ])('accepts a phone number with %s', (_, phone) => {
    expect(problems({ phone })).toEqual([]);
  });

  it.each([
    ['5 digits', '12345', 'must have 6 to 15 digits'],
    ['16 digits', '+1234567890123456', 'must have 6 to 15 digits'],
    ['a word before it', 'tel 0612345678', 'must be a phone number (digits, spaces, "-", ".", brackets, optional leading + or 00)'],
    ['a word after it', '0612345678 ext', 'must be a phone number (digits, spaces, "-", ".", brackets, optional leading + or 00)'],
    ['a letter inside', '06123x45678', 'must be a phone number (digits, spaces, "-", ".", brackets, optional leading + or 00)'],
  ])('refuses a phone number with %s', (_, phone, message) => {
    expect(problems({ phone })).toEqual([{ field: 'phone', message }]);
  });

  it('refuses a phone number of more than 32 characters', () => {
    expect(problems({ phone: `0612345678${' '.repeat(23)}` })).toEqual([{ field: 'phone', message: expect.stringContaining('32') }]);
  });

  it('trims names and addresses, and accepts every address type and the longest values', () => {
    // Arrange
    const longest = { name: 'n'.repeat(200), street: 's'.repeat(200), postalCode: 'p'.repeat(20), city: 'c'.repeat(100), country: 'NL' };
    const value = {
      email: `${'a'.repeat(248)}@x.org`,
      firstName: ' Ann ',
      lastName: 'l'.repeat(100),
      addresses: [
        { ...home, name: ' A. Person ', street: ' Damrak 1 ', postalCode: ' 1012 LG ', city: ' Amsterdam ' },
        { ...longest, type: 'billing' },
        { ...home, type: 'shipping' },
        { ...home, type: 'work' },
        ...Array.from({ length: 6 }, () => home),
      ],
    };

    // Act
    const parsed = correctionsSchema.parse(value);

    // Assert
    expect(parsed).toEqual({ ...value, firstName: 'Ann', addresses: [{ ...home, name: 'A. Person' }, ...value.addresses.slice(1)] });
  });

  it.each([
    [{ firstName: 'f'.repeat(101) }, 'firstName', '100'],
    [{ lastName: 'l'.repeat(101) }, 'lastName', '100'],
    [{ addresses: Array.from({ length: 11 }, () => home) }, 'addresses', '10'],
    [{ addresses: [{ ...home, name: 'n'.repeat(201) }] }, 'addresses.0.name', '200'],
    [{ addresses: [{ ...home, street: 's'.repeat(201) }] }, 'addresses.0.street', '200'],
    [{ addresses: [{ ...home, postalCode: 'p'.repeat(21) }] }, 'addresses.0.postalCode', '20'],
    [{ addresses: [{ ...home, city: 'c'.repeat(101) }] }, 'addresses.0.city', '100'],
  ])('refuses %j as too long or too many (%s, at most %s)', (value, field, limit) => {
    expect(problems(value)).toEqual([{ field, message: expect.stringContaining(limit) }]);
  });

  it.each([
    [{ email: `${'a'.repeat(249)}@x.org` }, 'email', 'must be an email address'],
    [{ lastName: ' ' }, 'lastName', 'must not be empty'],
    [{ addresses: [{ ...home, name: ' ' }] }, 'addresses.0.name', expect.any(String)],
    [{ addresses: [{ ...home, postalCode: ' ' }] }, 'addresses.0.postalCode', 'must not be empty'],
    [{ addresses: [{ ...home, city: '' }] }, 'addresses.0.city', 'must not be empty'],
    [{ addresses: [{ ...home, country: 'nl' }] }, 'addresses.0.country', 'must be an ISO 3166-1 alpha-2 country code'],
    [{ addresses: [{ ...home, country: 'NLD' }] }, 'addresses.0.country', 'must be an ISO 3166-1 alpha-2 country code'],
    [{ addresses: [{ ...home, country: 'N' }] }, 'addresses.0.country', 'must be an ISO 3166-1 alpha-2 country code'],
  ])('refuses %j (%s)', (value, field, message) => {
    expect(problems(value)).toEqual([{ field, message }]);
  });

  it('refuses an unknown field by name', () => {
    const parsed = correctionsSchema.safeParse({ email: 'a@example.org', birthday: '2000-01-01' });

    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['birthday'] });
  });
});

describe('normaliseCorrections', () => {
  it('normalises email and phone as the suppression list matches them and trims names', () => {
    const normalised = normaliseCorrections({ email: ' Ann.Person@Example.ORG ', phone: '0031 (6) 1234-5678', firstName: ' Ann ', lastName: 'Person ', locale: 'sv', addresses: [home] });

    expect(normalised).toEqual({ email: 'ann.person@example.org', phone: '+31612345678', firstName: 'Ann', lastName: 'Person', locale: 'sv', addresses: [home] });
  });

  it.each<[Corrections, Corrections]>([
    [{ email: 'A@X.ORG' }, { email: 'a@x.org' }],
    [{ phone: '06 1234 5678' }, { phone: '0612345678' }],
    [{ firstName: ' X ' }, { firstName: 'X' }],
    [{ lastName: 'X' }, { lastName: 'X' }],
    [{ locale: 'nl' }, { locale: 'nl' }],
    [{ addresses: [home] }, { addresses: [home] }],
  ])('keeps only the corrected field of %j', (corrections, normalised) => {
    expect(normaliseCorrections(corrections)).toStrictEqual(normalised);
  });
});

describe('correctedFields', () => {
  it('lists the corrected fields in their fixed order', () => {
    const corrections: Corrections = { addresses: [home], email: 'a@example.org', locale: 'en' };

    expect(correctedFields(corrections)).toEqual(['email', 'locale', 'addresses']);
  });
});

describe('the addresses the other stores take', () => {
  it('ships unshipped orders to the shipping address, else the home address; without either nowhere', () => {
    expect(shippingAddressOf({ addresses: [home, shipping] })).toEqual(shipping);
    expect(shippingAddressOf({ addresses: [home] })).toEqual({ ...home, type: 'shipping' });
    expect(shippingAddressOf({ addresses: [{ ...home, type: 'work' }] })).toBeUndefined();
    expect(shippingAddressOf({ email: 'a@example.org' })).toBeUndefined();
  });

  it('writes postal consents to the home address, else the first, as one line', () => {
    expect(postalAddressOf({ addresses: [shipping, home] })).toEqual(home);
    expect(postalAddressOf({ addresses: [shipping] })).toEqual(shipping);
    expect(postalAddressOf({ lastName: 'X' })).toBeUndefined();
    expect(postalLine(home)).toBe('Damrak 1, 1012 LG Amsterdam');
  });
});
