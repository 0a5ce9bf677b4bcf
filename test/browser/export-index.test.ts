import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import serverlessChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient, s3Client } from '../../functions/shared/clients';
import { ledgerFromEnv } from '../../functions/shared/ledger-from-env';
import { startLocalAws, type LocalAws } from '../../local/runtime';
import { buildDemoDataset, seedDemoData } from '../../local/seed/demo';
import { unzip } from '../e2e/export-archive';
import { createExportRecord, exportVolumes, runExport } from '../workflow/export-helpers';

const EXPORT_ASL = resolve(import.meta.dirname, '../../statemachines/export.asl.json');
const SCREENSHOT = resolve(import.meta.dirname, '../../test-results/export-index.png');

let aws: LocalAws;
let dataDir: string;
let browser: Browser;
let indexUrl: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsr-export-browser-'));
  aws = await startLocalAws({ dataDir, stateMachineFiles: [EXPORT_ASL], log: () => undefined });
  await seedDemoData({ s3: s3Client(), doc: documentClient() });
  const requestId = await createExportRecord('c1', 'albelli');
  const sfn = new SFNClient({ region: aws.region, credentials: aws.credentials });
  const execution = await runExport(sfn, { requestId, brand: 'albelli' });
  if (execution.status !== 'SUCCEEDED') throw new Error(`export ${execution.status}: ${execution.error} ${execution.cause}`);
  const volumes = await exportVolumes((await ledgerFromEnv().get(requestId)).result);
  const extracted = join(dataDir, 'extracted');
  for (const volume of volumes) {
    const object = await s3Client().send(new GetObjectCommand({ Bucket: 'dsr-exports', Key: volume.key }));
    for (const entry of await unzip(Buffer.from(await object.Body!.transformToByteArray()))) {
      const target = join(extracted, entry.name);
      expect(target.startsWith(extracted)).toBe(true);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, entry.data);
    }
  }
  indexUrl = pathToFileURL(join(extracted, 'index.html')).href;
  browser = await chromium.launch({ executablePath: await serverlessChromium.executablePath(), args: serverlessChromium.args });
});

afterAll(async () => {
  await browser?.close();
  await aws?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('export index.html in headless Chromium', () => {
  it('opens offline and shows the customer orders and photos', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) external.push(request.url());
    });

    await page.goto(indexUrl, { waitUntil: 'load' });
    const photo = page.locator('#uploaded-photos figure img').first();
    await photo.scrollIntoViewIfNeeded();
    await page.waitForFunction("[...document.querySelectorAll('#uploaded-photos img')].every((img) => img.complete)");
    const ordersText = await page.locator('#orders table').innerText();
    const naturalWidth = await photo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const orders = buildDemoDataset().items.filter((seed) => seed.store === 'orders' && seed.item.customerId === 'c1');
    expect(orders.length).toBeGreaterThan(0);
    for (const order of orders) expect(ordersText).toContain(String(order.item.invoiceNumber));
    expect(naturalWidth).toBeGreaterThan(0);
    expect(await page.locator('#rights').innerText()).toContain('Autoriteit Persoonsgegevens');
    expect(external).toEqual([]);
    await page.close();
  });
});
