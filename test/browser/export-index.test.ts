import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import serverlessChromium from '@sparticuz/chromium';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Brand } from '../../functions/core/brands';
import { AUTHORITIES, authorityName, LEAD_AUTHORITY_COUNTRY, type AuthorityCountry } from '../../functions/core/export/authorities';
import { Texts } from '../../functions/core/export/i18n';
import type { Language } from '../../functions/core/locales';
import { documentClient, s3Client } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { buildDemoDataset, seedDemoData } from '../../local/seed/demo';
import { unzip } from '../e2e/export-archive';
import { createExportRecord, exportVolumes, runExport } from '../workflow/export-helpers';

/**
 * One real export per language through the export workflow on the embedded local AWS, extracted and
 * opened offline in headless Chromium: the language's headings, labels and authority, no raw attribute
 * names in the tables, no untranslated keys, every data file and photo linked and present, every photo
 * shown by its original name (and album), as the customer uploaded it.
 */

const EXPORT_ASL = resolve(import.meta.dirname, '../../statemachines/export.asl.json');
const RESULTS = resolve(import.meta.dirname, '../../test-results');

/** The customer shown in each language, and where its language comes from. */
const CASES: { language: Language; tag: string; customerId: string; brand: Brand; country: AuthorityCountry; requested?: string }[] = [
  { language: 'nb', tag: 'nb-NO', customerId: 'c3', brand: 'fotoknudsen', country: 'NO' },
  { language: 'nl', tag: 'nl-NL', customerId: 'c1', brand: 'albelli', country: 'NL' },
  { language: 'de', tag: 'de-DE', customerId: 'c7', brand: 'albelli', country: 'DE' },
  { language: 'fr', tag: 'fr-BE', customerId: 'c6', brand: 'albelli', country: 'BE', requested: 'fr-BE' },
  { language: 'sv', tag: 'sv-SE', customerId: 'c4', brand: 'onskefoto', country: 'SE' },
  { language: 'en', tag: 'en-GB', customerId: 'c2', brand: 'bonusprint', country: 'GB' },
];

let aws: LocalAws;
let dataDir: string;
let browser: Browser;
/** One page for every language: the serverless Chromium runs as a single process that ends with its last page. */
let page: Page;
const external: string[] = [];
const extractedDirs = new Map<string, string>();
const dataset = buildDemoDataset();

/** Runs one export through the workflow and extracts every volume into its own folder. */
async function exportAndExtract(customerId: string, brand: Brand, requested: string | undefined, sfn: SFNClient): Promise<string> {
  const requestId = await createExportRecord(customerId, brand, undefined, requested ? { locale: requested } : {});
  const execution = await runExport(sfn, { requestId, brand });
  if (execution.status !== 'SUCCEEDED') throw new Error(`export ${execution.status}: ${execution.error} ${execution.cause}`);
  const extracted = join(dataDir, `extracted-${customerId}`);
  for (const volume of await exportVolumes((await ledgerFromEnv().get(requestId)).result)) {
    const object = await s3Client().send(new GetObjectCommand({ Bucket: 'dsr-exports', Key: volume.key }));
    for (const entry of await unzip(Buffer.from(await object.Body!.transformToByteArray()))) {
      const target = join(extracted, entry.name);
      if (!target.startsWith(extracted)) throw new Error(`entry ${entry.name} escapes the folder`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, entry.data);
    }
  }
  return extracted;
}

/** Every file below a folder, as archive paths. */
async function filesBelow(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(folder, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-export-browser-'));
  aws = await startLocalAws({ dataDir, stateMachineFiles: [EXPORT_ASL], log: () => undefined });
  await seedDemoData({ s3: s3Client(), doc: documentClient() });
  const sfn = new SFNClient({ region: aws.region, credentials: aws.credentials });
  const extracted = await Promise.all(CASES.map((item) => exportAndExtract(item.customerId, item.brand, item.requested, sfn)));
  CASES.forEach((item, index) => extractedDirs.set(item.language, extracted[index]!));
  browser = await chromium.launch({ executablePath: await serverlessChromium.executablePath(), args: serverlessChromium.args });
  // Half scale: this Chromium (software GL) repeats tiles in captures taller than 8,192 device pixels.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 0.5 });
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) external.push(request.url());
  });
  await mkdir(RESULTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await aws?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('export index.html in headless Chromium, one language each', () => {
  it.each(CASES)('$language ($customerId, $tag): headings, labels, authority, words, links and photos', async ({ language, tag, customerId, brand, country }) => {
    // Arrange
    const folder = extractedDirs.get(language)!;
    const texts = new Texts(language, tag);
    external.length = 0;

    // Act
    await page.goto(pathToFileURL(join(folder, 'index.html')).href, { waitUntil: 'load' });
    for (const image of await page.locator('img').all()) await image.scrollIntoViewIfNeeded();
    await page.waitForFunction("[...document.images].every((img) => img.complete)");
    const lang = await page.getAttribute('html', 'lang');
    const heading = await page.locator('h1').innerText();
    const body = await page.locator('body').innerText();
    const rightsHeading = await page.locator('#rights h2').innerText();
    const complaint = await page.locator('#authority').innerText();
    const tableHeaders = await page.locator('table th').allInnerTexts();
    const ordersText = await page.locator('#orders').innerText();
    const broken = await page.evaluate("[...document.images].filter((img) => img.naturalWidth === 0).map((img) => img.getAttribute('src'))");
    const hrefs = (await page.locator('a[href]').evaluateAll((links) => links.map((link) => (link as unknown as { href: string }).href))) as string[];
    const productPhotos = await page.locator('#smart-creation article.product img').count();
    const sections = await page.locator('main > section').evaluateAll((all) => all.map((section) => section.id));
    const captions = (await page.locator('#uploaded-photos figcaption, #photo-library figcaption').allInnerTexts()).join('\n');
    await page.screenshot({ path: join(RESULTS, `export-index-${language}.png`), fullPage: true });

    // Assert
    expect(lang).toBe(tag);
    expect(sections).toEqual(['about', 'customer-profile', 'orders', 'uploaded-photos', 'photo-library', 'contact-history', 'call-recordings', 'marketing', 'smart-creation', 'rights', 'authority']);
    expect(heading).toBe(texts.t('page.title', { brand }));
    expect(rightsHeading).toBe(texts.t('rights.heading'));
    expect(body).toContain(texts.store('orders').title);
    expect(ordersText).toContain(texts.label('orders', 'invoiceNumber')!);
    expect(complaint).toContain(authorityName(AUTHORITIES[country], language));
    expect(complaint).toContain(AUTHORITIES[LEAD_AUTHORITY_COUNTRY].name);
    const records = dataset.items.filter((seed) => seed.item.customerId === customerId);
    const rawNames = new Set(records.flatMap((seed) => Object.keys(seed.item)));
    expect(tableHeaders.length).toBeGreaterThan(0);
    expect(tableHeaders.filter((header) => rawNames.has(header.trim()))).toEqual([]);
    for (const order of records.filter((seed) => seed.store === 'orders')) {
      expect(ordersText).toContain(String(order.item.invoiceNumber));
      expect(ordersText).toContain(texts.word('orders', 'paymentStatus', String(order.item.paymentStatus))!);
    }
    expect(body).not.toMatch(/\{\w+\}/);
    expect(body).not.toMatch(/\b(page|rights|authority|smart|field|value|store|role|recipient)\.[a-z][A-Za-z.]*\b/);
    expect(broken).toEqual([]);
    expect(productPhotos).toBeGreaterThan(0);
    const linked = new Set(hrefs.filter((href) => href.startsWith('file:')).map((href) => relative(folder, fileURLToPath(href.split('#')[0]!)).split('\\').join('/')));
    for (const path of linked) expect(existsSync(join(folder, path)), path).toBe(true);
    const shipped = (await filesBelow(folder)).filter((path) => path.startsWith('data/') || path.startsWith('files/'));
    expect(shipped.some((path) => path.startsWith('files/uploaded-photos/'))).toBe(true);
    expect(shipped.filter((path) => !linked.has(path))).toEqual([]);
    expect(external).toEqual([]);
    const photos = dataset.objects.filter((object) => object.store !== 'call-recordings' && object.key.split('/').includes(customerId));
    expect(photos.length).toBeGreaterThan(0);
    for (const photo of photos) {
      expect(captions).toContain(decodeURIComponent(photo.metadata['original-filename']!));
      if (photo.metadata['album-name']) expect(captions).toContain(decodeURIComponent(photo.metadata['album-name']));
    }
  });
});
