import { z } from 'zod';
import { normaliseEmail, normalisePhone } from '../keyed-hash';
import { SUPPORTED_LOCALES } from '../locales';

/**
 * What a rectification (GDPR Art. 16) corrects, declared once: the API body's `corrections` and the
 * ledger attribute the workflow reads them back from. The values are personal data: they are kept only
 * on the request's ledger record until it is final, never in workflow state, events, views or logs.
 */

/** The fields a rectification can correct, in the order certificates list them. */
export const CORRECTION_FIELDS = ['email', 'phone', 'firstName', 'lastName', 'locale', 'addresses'] as const;

/** A field a rectification can correct. */
export type CorrectionField = (typeof CORRECTION_FIELDS)[number];

/** What a phone number may be written with: digits, spaces, dots, dashes or brackets, an optional leading + or 00. */
const PHONE_CHARACTERS = /^\s*(\+|00)?[0-9][0-9 ().-]*\s*$/;

/** A phone number as people write it, with 6 to 15 digits once normalised (E.164 allows 15). */
const phoneSchema = z
  .string()
  .max(32)
  .regex(PHONE_CHARACTERS, 'must be a phone number (digits, spaces, "-", ".", brackets, optional leading + or 00)')
  .refine((value) => !PHONE_CHARACTERS.test(value) || /^\+?[0-9]{6,15}$/.test(normalisePhone(value)), 'must have 6 to 15 digits');

/** A name as the profile holds it. */
const nameSchema = z.string().trim().min(1, 'must not be empty').max(100);

/** A postal address (the profile's `addresses`; `shipping`, else `home`, becomes the shipping address of unshipped orders). */
export const correctedAddressSchema = z.strictObject({
  type: z.enum(['home', 'billing', 'shipping', 'work'], { error: 'must be one of home, billing, shipping, work' }),
  name: z.string().trim().min(1).max(200).optional(),
  street: z.string().trim().min(1, 'must not be empty').max(200),
  postalCode: z.string().trim().min(1, 'must not be empty').max(20),
  city: z.string().trim().min(1, 'must not be empty').max(100),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code'),
});

/** A corrected postal address. */
export type CorrectedAddress = z.infer<typeof correctedAddressSchema>;

/** The corrections of a rectification: one or more fields with their right values. */
export const correctionsSchema = z
  .strictObject({
    email: z.email({ error: 'must be an email address' }).max(254).optional(),
    phone: phoneSchema.optional(),
    firstName: nameSchema.optional(),
    lastName: nameSchema.optional(),
    locale: z.enum(SUPPORTED_LOCALES, { error: `must be one of ${SUPPORTED_LOCALES.join(', ')}` }).optional(),
    addresses: z.array(correctedAddressSchema).min(1, 'must list at least one address').max(10).optional().describe('Replaces the profile\'s addresses'),
  })
  .refine((value) => CORRECTION_FIELDS.some((field) => value[field] !== undefined), `must correct at least one of ${CORRECTION_FIELDS.join(', ')}`)
  .describe('The right values (personal data: kept on the request only until it is final)');

/** The corrections of a rectification. */
export type Corrections = z.infer<typeof correctionsSchema>;

/** The corrected fields, in `CORRECTION_FIELDS` order. */
export function correctedFields(corrections: Corrections): CorrectionField[] {
  return CORRECTION_FIELDS.filter((field) => corrections[field] !== undefined);
}

/**
 * The corrections as stored and applied: email and phone normalised as the suppression list matches
 * them (`normaliseEmail`, `normalisePhone`), names trimmed; undefined fields dropped.
 */
export function normaliseCorrections(corrections: Corrections): Corrections {
  const normalised: Corrections = {
    ...(corrections.email !== undefined ? { email: normaliseEmail(corrections.email) } : {}),
    ...(corrections.phone !== undefined ? { phone: normalisePhone(corrections.phone) } : {}),
    ...(corrections.firstName !== undefined ? { firstName: corrections.firstName.trim() } : {}),
    ...(corrections.lastName !== undefined ? { lastName: corrections.lastName.trim() } : {}),
    ...(corrections.locale !== undefined ? { locale: corrections.locale } : {}),
    ...(corrections.addresses !== undefined ? { addresses: corrections.addresses } : {}),
  };
  return normalised;
}

/** The address that becomes the shipping address of orders not yet shipped: the `shipping` one, else `home`; undefined when neither is corrected. */
export function shippingAddressOf(corrections: Corrections): CorrectedAddress | undefined {
  const addresses = corrections.addresses ?? [];
  const chosen = addresses.find((address) => address.type === 'shipping') ?? addresses.find((address) => address.type === 'home');
  return chosen && { ...chosen, type: 'shipping' };
}

/** The postal-consent address line of an address (`street, postalCode city`, as the marketing store keeps it). */
export function postalLine(address: CorrectedAddress): string {
  return `${address.street}, ${address.postalCode} ${address.city}`;
}

/** The postal address consents are corrected to: the `home` address, else the first one; undefined without addresses. */
export function postalAddressOf(corrections: Corrections): CorrectedAddress | undefined {
  const addresses = corrections.addresses ?? [];
  return addresses.find((address) => address.type === 'home') ?? addresses[0];
}
