import { z } from 'zod';
import { BRANDS, type Brand } from '../../functions/core/brands';
import { getStore, type CustomerStoreId } from '../../functions/core/data-map';
import { buildOrder, buildProfile, DEMO_EPOCH } from './demo';
import { labelledJpeg, paddedJpeg, paddedJpegSize, toneWav } from './media';
import { seededRng } from './random';
import {
  customerIdSchema,
  libraryFileKey,
  recordingKey,
  selectionReason,
  uploadedPhotoKey,
  type ContactRecord,
  type Country,
  type MarketingRecord,
  type SmartCreationRecord,
} from './records';
import { putItems, putObjects, type SeedClients, type SeedItem, type SeedObject } from './write';

/**
 * One synthetic customer with chosen sizes, for tests and benchmarks: N uploaded photos of a chosen
 * byte size (valid JPEGs streamed in chunks, so multi-GiB customers are possible), K orders, C contacts
 * (every third a recorded phone call), optional photo-library files, marketing and smart-creation entries.
 */

/** Options of `seedSyntheticCustomer`. */
export const syntheticOptionsSchema = z.object({
  customerId: customerIdSchema,
  brand: z.enum(BRANDS),
  photos: z.number().int().nonnegative(),
  /** Size of every photo file in bytes (a smaller value gives the smallest valid JPEG, 1–4 KiB). */
  photoBytes: z.number().int().nonnegative(),
  orders: z.number().int().nonnegative(),
  contacts: z.number().int().nonnegative().default(1),
  /** Photo-library files (fotoknudsen and onskefoto only), same size as the photos. */
  libraryPhotos: z.number().int().nonnegative().default(0),
});

/** Options of `seedSyntheticCustomer`. */
export type SyntheticOptions = z.input<typeof syntheticOptionsSchema>;

/** What `seedSyntheticCustomer` wrote. */
export interface SyntheticResult {
  customerId: string;
  brand: Brand;
  /** Records or files written per store. */
  counts: Record<CustomerStoreId, number>;
  /** Bytes of every file written (photos, library files, recordings). */
  totalBytes: number;
}

/** The country a synthetic customer of each brand lives in. */
const BRAND_COUNTRY: Record<Brand, Country> = { albelli: 'NL', bonusprint: 'GB', fotoknudsen: 'NO', onskefoto: 'SE', resnap: 'NL' };

/** How many large files upload at once. */
const FILE_CONCURRENCY = 4;

/** Library files per album. */
const ALBUM_SIZE = 50;

/** ISO timestamp `seconds` before the demo epoch. */
function secondsAgo(seconds: number): string {
  return new Date(DEMO_EPOCH - seconds * 1000).toISOString();
}

/** Seeds one synthetic customer; the same options always write the same keys and records. */
export async function seedSyntheticCustomer(
  clients: SeedClients,
  options: SyntheticOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SyntheticResult> {
  const { customerId, brand, photos, photoBytes, orders, contacts, libraryPhotos } = syntheticOptionsSchema.parse(options);
  if (libraryPhotos > 0 && !getStore('photo-library').brands.includes(brand)) {
    throw new Error(`Brand "${brand}" has no photo library; libraryPhotos must be 0`);
  }
  const customer = { customerId, brand, country: BRAND_COUNTRY[brand] };
  const rng = seededRng(`dsr-synthetic:${customerId}`);
  const items: SeedItem[] = [];
  const objects: SeedObject[] = [];
  let totalBytes = 0;

  const jpegFile = (variant: number, key: string): (() => Iterable<Buffer>) => {
    const base = labelledJpeg(variant, key);
    totalBytes += paddedJpegSize(base, photoBytes);
    return () => paddedJpeg(base, photoBytes);
  };

  const profile = buildProfile(customer, rng);
  items.push({ store: 'customer-profile', item: profile });

  const photoKeys: string[] = [];
  for (let p = 0; p < photos; p += 1) {
    const uploadId = `up-${String(p).padStart(6, '0')}`;
    const key = uploadedPhotoKey(customerId, uploadId, `synthetic-${p}`);
    photoKeys.push(key);
    const uploadedAt = secondsAgo(86_400 + p * 60);
    objects.push({
      store: 'uploaded-photos',
      key,
      contentType: 'image/jpeg',
      metadata: { 'original-filename': encodeURIComponent(`Synthetic photo ${p}.jpg`), 'uploaded-at': uploadedAt, brand },
      body: jpegFile(p, key),
    });
    const analysis: SmartCreationRecord = {
      customerId,
      entryId: `analysis#${uploadId}`,
      brand,
      photoKey: key,
      analysedAt: uploadedAt,
      model: 'smart-creation-vision-3',
      qualityScore: 0.8,
      faces: p % 3,
      sceneLabels: ['synthetic'],
      selected: p % 2 === 0,
      selectionReason: selectionReason(p % 2 === 0, 0.8, p % 3),
    };
    items.push({ store: 'smart-creation', item: analysis });
  }

  for (let o = 0; o < orders; o += 1) {
    const order = buildOrder(customer, profile, rng, photoKeys, { orderedAt: secondsAgo(86_400 * (30 + o)), status: 'delivered', paymentStatus: 'paid' });
    items.push({ store: 'orders', item: order });
  }

  let recordings = 0;
  for (let c = 0; c < contacts; c += 1) {
    const contactId = `ct-syn-${customerId}-${c}`;
    const createdAt = secondsAgo(86_400 * (10 + c));
    const base = { contactId, customerId, createdAt, brand, legalClaim: false, status: 'closed' as const };
    if (c % 3 === 2) {
      const key = recordingKey(customerId, `call-${c}`, createdAt);
      const body = toneWav(1);
      totalBytes += body.length;
      recordings += 1;
      const record: ContactRecord = { ...base, channel: 'phone', subject: 'Synthetic call', callNotes: 'Synthetic call notes.', recordingKey: key };
      items.push({ store: 'contact-history', item: record });
      objects.push({ store: 'call-recordings', key, contentType: 'audio/wav', metadata: { 'contact-id': contactId, 'recorded-at': createdAt, 'duration-seconds': '1' }, body });
      continue;
    }
    const record: ContactRecord = {
      ...base,
      channel: c % 3 === 0 ? 'email' : 'chat',
      subject: `Synthetic question ${c}`,
      messages: [
        { from: 'customer', at: createdAt, text: `Synthetic question ${c}` },
        { from: 'agent', at: createdAt, text: 'Synthetic answer' },
      ],
    };
    items.push({ store: 'contact-history', item: record });
  }

  for (let f = 0; f < libraryPhotos; f += 1) {
    const albumId = `al-${String(Math.floor(f / ALBUM_SIZE)).padStart(4, '0')}`;
    const key = libraryFileKey(brand, customerId, albumId, `f-${String(f).padStart(6, '0')}`, 'jpg');
    objects.push({
      store: 'photo-library',
      key,
      contentType: 'image/jpeg',
      metadata: { 'album-name': encodeURIComponent(`Synthetic album ${albumId}`), 'original-filename': encodeURIComponent(`Library photo ${f}.jpg`), 'added-at': secondsAgo(3600 + f) },
      body: jpegFile(f, key),
    });
  }

  const marketing: MarketingRecord[] = [
    { customerId, entryId: 'consent#email', brand, channel: 'email', granted: true, address: profile.email, updatedAt: secondsAgo(86_400 * 100), source: 'checkout' },
    { customerId, entryId: 'segment#photo-book-buyers', brand, segment: 'photo-book-buyers', assignedAt: secondsAgo(86_400 * 50), criteria: 'Ordered a photo book in the last 24 months' },
  ];
  for (const entry of marketing) items.push({ store: 'marketing', item: entry });

  await putItems(clients.doc, items, env);
  await putObjects(clients.s3, objects, env, FILE_CONCURRENCY);

  return {
    customerId,
    brand,
    counts: {
      'customer-profile': 1,
      orders,
      'uploaded-photos': photos,
      'photo-library': libraryPhotos,
      'contact-history': contacts,
      'call-recordings': recordings,
      marketing: marketing.length,
      'smart-creation': photos,
    },
    totalBytes,
  };
}
