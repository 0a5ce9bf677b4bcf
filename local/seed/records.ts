import { z } from 'zod';
import { BRANDS } from '../../functions/core/brands';
import { CUSTOMER_ID_PATTERN } from '../../functions/core/data-map';
import { datedFileName } from '../../functions/core/retention/key-date';

/**
 * The concrete shape of every business store's records, as the company's systems write them and as the
 * seeders produce them. `docs/data-map.md` documents the same shapes for people outside the team.
 *
 * Conventions: dates are ISO-8601 UTC strings (`2025-03-04T10:11:12.000Z`); money amounts are integers
 * in minor units of `currency` (cents, øre, pence); `vatRate` is a percentage (21 means 21 %), and
 * `vatAmount = round(netAmount × vatRate / 100)`, `grossAmount = netAmount + vatAmount`.
 */

/** A customer id as the data map accepts it (no `/`, so key prefixes never overlap). */
export const customerIdSchema = z.string().regex(CUSTOMER_ID_PATTERN);

/** A brand of the group. */
export const brandSchema = z.enum(BRANDS);

/** The countries the brands sell in. */
export const COUNTRIES = ['NL', 'DE', 'BE', 'NO', 'SE', 'GB'] as const;

/** A country the brands sell in (ISO 3166-1 alpha-2). */
export type Country = (typeof COUNTRIES)[number];

/** VAT percentage per country (standard rate on photo products). */
export const VAT_RATES: Record<Country, number> = { NL: 21, DE: 19, BE: 21, NO: 25, SE: 25, GB: 20 };

/** Currency per country (ISO 4217). */
export const CURRENCIES: Record<Country, 'EUR' | 'NOK' | 'SEK' | 'GBP'> = {
  NL: 'EUR',
  DE: 'EUR',
  BE: 'EUR',
  NO: 'NOK',
  SE: 'SEK',
  GB: 'GBP',
};

const isoDate = z.iso.datetime();
const minorUnits = z.number().int().nonnegative();

/** A postal address (profile addresses, order shipping and billing addresses). */
export const addressSchema = z.object({
  type: z.enum(['home', 'billing', 'shipping', 'work']),
  name: z.string().optional(),
  street: z.string(),
  postalCode: z.string(),
  city: z.string(),
  country: z.enum(COUNTRIES),
});

/** A postal address. */
export type Address = z.infer<typeof addressSchema>;

/** `customer-profile` table item (partition key `customerId`). */
export const profileSchema = z.object({
  customerId: customerIdSchema,
  brand: brandSchema,
  firstName: z.string(),
  lastName: z.string(),
  email: z.email(),
  phone: z.string(),
  locale: z.string(),
  country: z.enum(COUNTRIES),
  addresses: z.array(addressSchema),
  createdAt: isoDate,
  lastLoginAt: isoDate,
});

/** A customer profile item. */
export type ProfileRecord = z.infer<typeof profileSchema>;

/** Order lifecycle status. */
export const ORDER_STATUSES = ['placed', 'in_production', 'shipped', 'delivered', 'cancelled'] as const;

/** Payment status of an order. */
export const PAYMENT_STATUSES = ['pending', 'paid', 'refunded', 'disputed'] as const;

/** One product line of an order; `photoKeys` are keys in the uploaded-photos bucket. */
export const orderLineSchema = z.object({
  sku: z.string(),
  product: z.string(),
  quantity: z.number().int().positive(),
  /** Net unit price in minor units. */
  unitPrice: minorUnits,
  projectId: z.string(),
  photoKeys: z.array(z.string()),
});

/** `orders` table item (partition key `customerId`, sort key `orderId`). */
export const orderSchema = z.object({
  customerId: customerIdSchema,
  orderId: z.string(),
  brand: brandSchema,
  orderNumber: z.string(),
  invoiceNumber: z.string(),
  invoiceDate: isoDate,
  orderedAt: isoDate,
  status: z.enum(ORDER_STATUSES),
  paymentStatus: z.enum(PAYMENT_STATUSES),
  lines: z.array(orderLineSchema).min(1),
  shippingAddress: addressSchema,
  billingAddress: addressSchema,
  currency: z.enum(['EUR', 'NOK', 'SEK', 'GBP']),
  /** Σ quantity × unitPrice, minor units. */
  netAmount: minorUnits,
  /** VAT percentage of the order's country. */
  vatRate: z.number().nonnegative(),
  vatAmount: minorUnits,
  grossAmount: minorUnits,
  country: z.enum(COUNTRIES),
  paymentReference: z.string(),
  customerNote: z.string().optional(),
});

/** An order item. */
export type OrderRecord = z.infer<typeof orderSchema>;

/** One message of an email thread or chat transcript. */
export const contactMessageSchema = z.object({
  from: z.enum(['customer', 'agent']),
  at: isoDate,
  text: z.string(),
});

/** `contact-history` table item (partition key `contactId`; index `byCustomer` on `customerId` + `createdAt`). */
export const contactSchema = z.object({
  contactId: z.string(),
  customerId: customerIdSchema,
  createdAt: isoDate,
  brand: brandSchema,
  channel: z.enum(['phone', 'chat', 'email']),
  subject: z.string(),
  /** Email thread or chat transcript (chat and email contacts). */
  messages: z.array(contactMessageSchema).optional(),
  /** Agent's notes of a phone call. */
  callNotes: z.string().optional(),
  /** Bank or refund details the customer shared. */
  financialDetails: z
    .object({ iban: z.string().optional(), refundAmount: minorUnits.optional(), currency: z.string().optional() })
    .optional(),
  /** True for a complaint that may lead to a legal claim (a legal hold on erasure). */
  legalClaim: z.boolean(),
  /** Key of the call recording in the call-recordings bucket (phone contacts that were recorded). */
  recordingKey: z.string().optional(),
  status: z.enum(['open', 'closed']),
  closedAt: isoDate.optional(),
});

/** A contact-history item. */
export type ContactRecord = z.infer<typeof contactSchema>;

/** Marketing consent entry (`entryId` = `consent#email` | `consent#sms` | `consent#post`). */
export const consentEntrySchema = z.object({
  customerId: customerIdSchema,
  entryId: z.enum(['consent#email', 'consent#sms', 'consent#post']),
  brand: brandSchema,
  channel: z.enum(['email', 'sms', 'post']),
  granted: z.boolean(),
  /** The address the consent applies to (email address, phone number, or postal address line). */
  address: z.string(),
  updatedAt: isoDate,
  /** `objection`: set by an objection to direct marketing (Art. 21(3)), functions/core/processing/objection.ts. */
  source: z.enum(['account-settings', 'checkout', 'unsubscribe-link', 'customer-service', 'objection']),
});

/** Marketing segment entry (`entryId` = `segment#<name>`). */
export const segmentEntrySchema = z.object({
  customerId: customerIdSchema,
  entryId: z.string().regex(/^segment#[a-z0-9-]+$/),
  brand: brandSchema,
  segment: z.string(),
  assignedAt: isoDate,
  criteria: z.string(),
});

/** Social-media audience entry (`entryId` = `audience#<platform>`). */
export const audienceEntrySchema = z.object({
  customerId: customerIdSchema,
  entryId: z.string().regex(/^audience#[a-z0-9-]+$/),
  brand: brandSchema,
  platform: z.string(),
  audienceId: z.string(),
  /** What was uploaded to the platform to match the person. */
  matchKeys: z.array(z.enum(['email', 'phone'])),
  syncedAt: isoDate,
});

/** `marketing` table item (partition key `customerId`, sort key `entryId`). */
export const marketingEntrySchema = z.union([consentEntrySchema, segmentEntrySchema, audienceEntrySchema]);

/** A marketing item. */
export type MarketingRecord = z.infer<typeof marketingEntrySchema>;

/** Why the algorithm did or did not put a photo into the proposed product. */
export const SELECTION_REASONS = ['people', 'high-quality', 'scene-variety', 'low-quality', 'similar-photo'] as const;

/** The selection reason the analysis records for a photo (the seeders' rule: people, then quality, then variety). */
export function selectionReason(selected: boolean, qualityScore: number, faces: number): (typeof SELECTION_REASONS)[number] {
  if (selected) return faces > 0 ? 'people' : qualityScore >= 0.6 ? 'high-quality' : 'scene-variety';
  return qualityScore < 0.4 ? 'low-quality' : 'similar-photo';
}

/** Smart-creation analysis of one uploaded photo (`entryId` = `analysis#<photoId>`). */
export const analysisEntrySchema = z.object({
  customerId: customerIdSchema,
  entryId: z.string().regex(/^analysis#.+$/),
  brand: brandSchema,
  /** Key of the analysed photo in the uploaded-photos bucket. */
  photoKey: z.string(),
  analysedAt: isoDate,
  model: z.string(),
  qualityScore: z.number().min(0).max(1),
  faces: z.number().int().nonnegative(),
  sceneLabels: z.array(z.string()),
  /** True when the algorithm put the photo into a proposed product. */
  selected: z.boolean(),
  /** Why it was (not) selected. */
  selectionReason: z.enum(SELECTION_REASONS).optional(),
  /** The automatically created project (product) the photo was analysed for; the edits name the same id. */
  projectId: z.string().optional(),
});

/** Smart-creation product-edit event (`entryId` = `edit#<ISO timestamp>`). */
export const editEntrySchema = z.object({
  customerId: customerIdSchema,
  entryId: z.string().regex(/^edit#.+$/),
  brand: brandSchema,
  projectId: z.string(),
  at: isoDate,
  action: z.enum(['replace-photo', 'change-layout', 'remove-page', 'change-cover', 'reorder-pages', 'edit-text']),
  page: z.number().int().nonnegative(),
});

/** `smart-creation` table item (partition key `customerId`, sort key `entryId`). */
export const smartCreationEntrySchema = z.union([analysisEntrySchema, editEntrySchema]);

/** A smart-creation item. */
export type SmartCreationRecord = z.infer<typeof smartCreationEntrySchema>;

/** User metadata (`x-amz-meta-*`) of an uploaded-photos object; text values are URI-encoded. */
export const uploadedPhotoMetadataSchema = z.object({
  'original-filename': z.string(),
  'uploaded-at': isoDate,
  brand: brandSchema,
});

/** User metadata of a photo-library object; text values are URI-encoded. */
export const libraryFileMetadataSchema = z.object({
  'album-name': z.string(),
  'original-filename': z.string(),
  'added-at': isoDate,
});

/** User metadata of a call-recordings object. */
export const recordingMetadataSchema = z.object({
  'contact-id': z.string(),
  'recorded-at': isoDate,
  'duration-seconds': z.string().regex(/^\d+$/),
});

/** Uploaded-photos object key: `customers/<customerId>/<uploadId>/<safe-name>.jpg`. */
export function uploadedPhotoKey(customerId: string, uploadId: string, safeName: string): string {
  return `customers/${customerId}/${uploadId}/${safeName}.jpg`;
}

/** Photo-library object key: `<brand>/<customerId>/<albumId>/<fileId>.<ext>`. */
export function libraryFileKey(brand: string, customerId: string, albumId: string, fileId: string, ext: string): string {
  return `${brand}/${customerId}/${albumId}/${fileId}.${ext}`;
}

/** Call-recordings object key: `recordings/<customerId>/<recordedAt>_<callId>.wav`, the date as the retention rule reads it (`datedFileName`). */
export function recordingKey(customerId: string, callId: string, recordedAt: string): string {
  return `recordings/${customerId}/${datedFileName(new Date(recordedAt), callId)}.wav`;
}

/** A file name reduced to `[a-z0-9-]` for use in an object key (the original goes into metadata). */
export function safeFileName(originalName: string): string {
  const stem = originalName.replace(/\.[^.]*$/, '');
  const safe = stem
    .normalize('NFKD')
    .replace(/[^\x00-\x7F]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return safe || 'photo';
}

/** VAT and gross for a net amount in minor units: `vat = round(net × rate / 100)`, `gross = net + vat`. */
export function vatFor(netAmount: number, vatRate: number): { vatAmount: number; grossAmount: number } {
  const vatAmount = Math.round((netAmount * vatRate) / 100);
  return { vatAmount, grossAmount: netAmount + vatAmount };
}
