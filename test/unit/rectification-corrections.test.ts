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

  it('keeps only the corrected fields', () => {
    expect(normaliseCorrections({ lastName: 'X' })).toStrictEqual({ lastName: 'X' });
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
