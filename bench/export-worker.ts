import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ZipArchive } from 'archiver';
import pLimit from 'p-limit';
import { buildVolume } from '../functions/core/export/build-volume';
import { exportConfig } from '../functions/core/export/config';
import { planKey } from '../functions/core/export/layout';
import type { ExportPlan } from '../functions/core/export/plan';
import { readJson } from '../functions/core/export/staging-io';
import { getStore, resourceName } from '../functions/core/data-map';
import { s3Client } from '../functions/shared/clients';

/**
 * One measured run of the export benchmark, in a process of its own so its peak RSS is its own:
 * `archive` (the real streaming volume builder), `raw` (parallel GetObjects → one multipart Upload of
 * the same bytes, no ZIP: the practical limit) or `buffer` (the naive peer: every file and the whole ZIP in
 * memory, then one PutObject). Prints one JSON line: mode, seconds, its CPU seconds, input bytes, output bytes, peak RSS.
 */

const [mode, requestId] = process.argv.slice(2);
const s3 = s3Client();
const config = exportConfig();
const plan = await readJson<ExportPlan>(s3, config.exportsBucket, planKey(requestId!));
const files = plan.volumes.flatMap((volume) => volume.files);
const inputBytes = files.reduce((sum, file) => sum + file.size, 0);

/** Opens a planned file's object as a stream. */
async function open(file: ExportPlan['volumes'][number]['files'][number]): Promise<Readable> {
  const object = await s3.send(new GetObjectCommand({ Bucket: resourceName(getStore(file.store)), Key: file.key }));
  return object.Body as Readable;
}

/**
 * The raw parallel copy (what `aws s3 cp --recursive` does): GET every object with the builder's fetch
 * concurrency in flight, in no particular order, each object's bytes appended whole to one multipart
 * upload. No ZIP, no hashing, no ordering: the practical limit of the storage path.
 */
async function rawCopy(): Promise<number> {
  const body = new PassThrough();
  let size = 0;
  body.on('data', (chunk: Buffer) => (size += chunk.length));
  const upload = new Upload({
    client: s3,
    params: { Bucket: config.exportsBucket, Key: `bench/${requestId}/raw.bin`, Body: body },
    partSize: config.partBytes,
    queueSize: config.uploadConcurrency,
  });
  const done = upload.done();
  const limit = pLimit(config.fetchConcurrency);
  let writing = Promise.resolve();
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of await open(file)) chunks.push(chunk as Buffer);
        const bytes = Buffer.concat(chunks);
        writing = writing.then(async () => {
          if (!body.write(bytes)) await once(body, 'drain');
        });
        await writing;
      }),
    ),
  );
  body.end();
  await done;
  return size;
}

/** The naive peer: files read into buffers, the ZIP built in memory, then uploaded in one PutObject. */
async function bufferedZip(): Promise<number> {
  const zip = new ZipArchive({ zlib: { level: 6 } });
  const chunks: Buffer[] = [];
  zip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve, reject) => {
    zip.once('end', resolve);
    zip.once('error', reject);
  });
  for (const file of files) {
    const parts: Buffer[] = [];
    for await (const chunk of await open(file)) parts.push(chunk as Buffer);
    zip.append(Buffer.concat(parts), { name: file.path, date: new Date(plan.generatedAt), store: file.stored });
  }
  await zip.finalize();
  await ended;
  const archive = Buffer.concat(chunks);
  await s3.send(new PutObjectCommand({ Bucket: config.exportsBucket, Key: `bench/${requestId}/buffer.zip`, Body: archive }));
  return archive.length;
}

const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
let outputBytes: number;
if (mode === 'archive') outputBytes = (await buildVolume({ s3, config }, { requestId: requestId!, volume: 1 })).bytes;
else if (mode === 'raw') outputBytes = await rawCopy();
else if (mode === 'buffer') outputBytes = await bufferedZip();
else throw new Error(`unknown mode ${mode}`);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ mode, seconds, cpuSeconds, inputBytes, outputBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024, files: files.length }));
