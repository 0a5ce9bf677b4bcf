import { createHash, hash } from 'node:crypto';
import { once } from 'node:events';
import { Readable, Transform } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { ZipArchive } from 'archiver';
import { z } from 'zod';
import { workflowRequestId } from '../workflow-input';
import { getStore, resourceName } from '../data-map';
import { readOptionalJson } from '../connectors/s3-store';
import { ExportIncomplete, InvalidInput } from '../errors';
import type { ExportConfig } from './config';
import { fetchAhead, getSourceObject } from './fetch-ahead';
import { renderIndexHtml, type TableSource } from './index-html';
import { archiveKey, dataFilePath, INDEX_FILE, isAlreadyCompressed, manifestName, planKey, volumeFilesKey, volumeSummaryKey } from './layout';
import type { ExportPlan, PlannedFile } from './plan';
import { readJson, readJsonLines, writeJson } from './staging-io';
import { uploadStream } from './stream-upload';
import { ColumnSet, csvLine, csvRow, flattenRecord, type DataRecord } from './tabular';

/**
 * Builds one ZIP volume of an export, streaming: every entry is read from S3 (or rendered) as a stream,
 * hashed (SHA-256) on the way through archiver, and the archive goes straight into a multipart upload
 * of its final key. Entry order, names, dates and compression are fixed by the plan, so a replay
 * produces identical bytes. A file's original name, content type and metadata come with its GetObject
 * (no request of its own): every volume but the first stages them (`volumeFilesKey`), and volume 1,
 * built after the others, writes `index.html` after its own files, from its own GetObjects and those
 * staged details.
 */

/** Input of `build-volume`. */
export const buildVolumeInput = z.object({
  requestId: workflowRequestId,
  volume: z.number().int().positive(),
});

/** Output of `build-volume`: only the volume number (its summary is staged in S3, `volumeSummaryKey`). */
export const buildVolumeOutput = z.object({ volume: z.number().int().positive() });

/** What the manifest and the page say about a file beyond its path, size and hash: from its GetObject response. */
export interface FileDetails {
  /** A file's original name (its `original-filename` metadata, when set). */
  originalName?: string;
  /** A file's content type. */
  contentType?: string;
  /** A file's other metadata (upload or recording date, album). */
  metadata?: Record<string, string>;
}

/** One archive entry as the manifest lists it. */
export interface ManifestEntry extends FileDetails {
  path: string;
  size: number;
  sha256: string;
  /** Store the content comes from; absent for generated entries (index.html). */
  store?: string;
}

/** A volume's staged file details (`volumeFilesKey`), by archive path. */
interface StagedFileDetails {
  volume: number;
  files: Record<string, FileDetails>;
}

/** How many volumes' staged file details volume 1 reads at once. */
const DETAIL_READS = 16;

/**
 * The chunks of archiver's output that the archive's hashing stream holds for the upload. It hands
 * them over one at a time, as objects: a byte stream's async iterator, which the upload reads, joins
 * whatever is buffered into one new Buffer, a copy of most of the archive (docs/performance.md).
 */
const ARCHIVE_CHUNKS_BUFFERED = 2;

/** The manifest details of a fetched file (only what the store set). */
function detailsOf(fetched: { contentType?: string; metadata: Record<string, string> }): FileDetails {
  const { 'original-filename': originalName, ...metadata } = fetched.metadata;
  return {
    ...(originalName ? { originalName } : {}),
    ...(fetched.contentType ? { contentType: fetched.contentType } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

/** Summary of a built volume: the archive's key, size and SHA-256, and its entry count (manifest included). */
export interface VolumeSummary {
  volume: number;
  key: string;
  bytes: number;
  sha256: string;
  entries: number;
}

/** The dependencies of the builder. */
export interface BuildDeps {
  s3: S3Client;
  config: ExportConfig;
  env?: NodeJS.ProcessEnv;
}

/**
 * A pass-through that counts bytes and computes the SHA-256 of what flows through it. (The counter is
 * not called `size`: lib-storage reads `Body.size` as the upload's length.)
 */
class HashingStream extends Transform {
  readonly hash = createHash('sha256');
  byteCount = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.byteCount += chunk.length;
    callback(null, chunk);
  }
}

/** Text chunks as a UTF-8 byte stream. */
function textStream(chunks: AsyncIterable<string>): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of chunks) yield Buffer.from(chunk);
    })(),
    { objectMode: false },
  );
}

/** A store's staged records as a JSON array, one record per line. */
async function* jsonArray(records: AsyncIterable<DataRecord>): AsyncGenerator<string> {
  let first = true;
  for await (const record of records) {
    yield `${first ? '[\n' : ',\n'}${JSON.stringify(record)}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

/** A store's staged records as CSV with a header of the flattened columns. */
async function* csvDocument(records: AsyncIterable<DataRecord>, columns: string[]): AsyncGenerator<string> {
  yield csvLine(columns);
  for await (const record of records) yield csvRow(record, columns);
}

/** Writes entries one at a time into the archive and records each entry's size and SHA-256. */
class VolumeWriter {
  readonly entries: ManifestEntry[] = [];

  constructor(
    private readonly zip: ZipArchive,
    private readonly date: Date,
    private readonly failed: Promise<never>,
  ) {}

  /**
   * Appends an entry, from a stream or from bytes already in memory, and waits until archiver has
   * written it. Bytes go to archiver whole (one CRC-32 and one write, not a stream's chunks and turns of
   * the event loop: the difference is most of the per-file cost of small photos). Archiver takes bytes
   * without backpressure, so the next entry waits until the upload has read the archive's buffered
   * output down to its high-water mark, as a piped stream would.
   */
  async add(path: string, source: Readable | Buffer, options: { store?: string; stored: boolean; details?: FileDetails }): Promise<void> {
    const { size, sha256 } = Buffer.isBuffer(source) ? await this.appendBytes(path, source, options.stored) : await this.appendStream(path, source, options.stored);
    this.entries.push({ path, size, sha256, ...(options.store ? { store: options.store } : {}), ...options.details });
  }

  private async appendBytes(path: string, bytes: Buffer, stored: boolean): Promise<{ size: number; sha256: string }> {
    const written = once(this.zip, 'entry');
    this.zip.append(bytes, { name: path, date: this.date, store: stored });
    await Promise.race([written, this.failed]);
    while (this.zip.readableLength > this.zip.readableHighWaterMark) await Promise.race([once(this.zip, 'data'), this.failed]);
    return { size: bytes.length, sha256: hash('sha256', bytes) };
  }

  private async appendStream(path: string, source: Readable, stored: boolean): Promise<{ size: number; sha256: string }> {
    const tap = new HashingStream();
    // archiver listens to no entry stream's errors: a failing source (a staged file gone, a store
    // failing mid-read) must fail this entry here, or it would be an uncaught exception. The source's
    // error destroys the tap, whose error fails the entry (raced below at once, so never unhandled).
    const sourceFailed = new Promise<never>((_resolve, reject) => tap.once('error', reject));
    source.once('error', (error) => tap.destroy(error));
    const written = once(this.zip, 'entry');
    this.zip.append(source.pipe(tap), { name: path, date: this.date, store: stored });
    await Promise.race([written, this.failed, sourceFailed]);
    return { size: tap.byteCount, sha256: tap.hash.digest('hex') };
  }
}

/** The manifest of one volume. */
function manifestOf(plan: ExportPlan, volume: number, entries: ManifestEntry[]): string {
  return `${JSON.stringify(
    {
      format: 'dsr-export/1',
      requestId: plan.requestId,
      generatedAt: plan.generatedAt,
      brand: plan.brand,
      volume,
      volumes: plan.volumes.map((item) => ({ volume: item.volume, fileName: item.fileName, manifest: item.manifest, files: item.files.length })),
      ...(volume === 1 ? { stores: plan.stores } : {}),
      entries,
    },
    null,
    2,
  )}\n`;
}

/** The listing of a file store's files (all volumes), for `data/<store>.json`; each volume's manifest adds their original names and metadata. */
function fileListing(plan: ExportPlan, store: string): string {
  const files = plan.volumes.flatMap((volume) =>
    volume.files
      .filter((file) => file.store === store)
      .map((file: PlannedFile) => ({ path: file.path, volume: volume.volume, size: file.size })),
  );
  return `${JSON.stringify(files, null, 2)}\n`;
}

/** The staged records of every tabular store, with their columns. */
async function tableSources(deps: BuildDeps, plan: ExportPlan): Promise<Map<string, TableSource & { csvColumns: string[] }>> {
  const bucket = deps.config.exportsBucket;
  const sources = new Map<string, TableSource & { csvColumns: string[] }>();
  // The column passes of every table run together (one request each), then the entries in order.
  const columns = await Promise.all(
    plan.tables.map(async (table) => {
      const top = new ColumnSet();
      const flat = new ColumnSet();
      for await (const record of readJsonLines<DataRecord>(deps.s3, bucket, table.stagingKey)) {
        top.add(Object.keys(record));
        flat.add(Object.keys(flattenRecord(record)));
      }
      return { top, flat };
    }),
  );
  for (const [index, table] of plan.tables.entries()) {
    sources.set(table.store, {
      store: table.store,
      columns: columns[index]!.top.columns,
      csvColumns: columns[index]!.flat.columns,
      records: () => readJsonLines<DataRecord>(deps.s3, bucket, table.stagingKey),
    });
  }
  return sources;
}

/** Writes volume 1's data files: data/<store>.json and .csv per tabular store, the listing of a file store. */
async function writeDataFiles(plan: ExportPlan, sources: Map<string, TableSource & { csvColumns: string[] }>, writer: VolumeWriter): Promise<void> {
  for (const store of Object.keys(plan.stores)) {
    const source = sources.get(store);
    if (source) {
      await writer.add(dataFilePath(store, 'json'), textStream(jsonArray(source.records())), { store, stored: false });
      await writer.add(dataFilePath(store, 'csv'), textStream(csvDocument(source.records(), source.csvColumns)), { store, stored: false });
    } else if (getStore(store).holdsFiles) {
      await writer.add(dataFilePath(store, 'json'), Readable.from([Buffer.from(fileListing(plan, store))]), { store, stored: false });
    }
  }
}

/** The file details every later volume staged, by archive path; a volume without any fails the build (`ExportIncomplete`). */
async function laterVolumesDetails(deps: BuildDeps, plan: ExportPlan): Promise<Map<string, FileDetails>> {
  const later = plan.volumes.slice(1).map((volume) => volume.volume);
  const staged: StagedFileDetails[] = [];
  let next = 0;
  const reader = async () => {
    for (let index = next++; index < later.length; index = next++) {
      const details = await readOptionalJson<StagedFileDetails>(deps.s3, 'exports', deps.config.exportsBucket, volumeFilesKey(plan.requestId, later[index]!));
      if (!details) throw new ExportIncomplete(`Export ${plan.requestId}: volume ${later[index]} has no staged file details`);
      staged[index] = details;
    }
  };
  await Promise.all(Array.from({ length: Math.min(DETAIL_READS, later.length) }, reader));
  return new Map(staged.flatMap((details) => Object.entries(details.files)));
}

/**
 * Builds volume `input.volume` of the request's export, uploads it to its final key and stages its
 * summary (`volumeSummaryKey`) for `finalize-export`, so the workflow state never carries it; a volume
 * after the first also stages its files' details for volume 1's page.
 */
export async function buildVolume(deps: BuildDeps, input: z.infer<typeof buildVolumeInput>): Promise<VolumeSummary> {
  const env = deps.env ?? process.env;
  const bucket = deps.config.exportsBucket;
  const plan = await readJson<ExportPlan>(deps.s3, bucket, planKey(input.requestId));
  const volume = plan.volumes.find((candidate) => candidate.volume === input.volume);
  if (!volume) throw new InvalidInput(`Export ${input.requestId} has no volume ${input.volume}`);
  const key = archiveKey(input.requestId, input.volume, env.DSR_HASH_KEY);

  const zip = new ZipArchive({ zlib: { level: 6 } });
  const archiveHash = new HashingStream({ readableObjectMode: true, readableHighWaterMark: ARCHIVE_CHUNKS_BUFFERED });
  zip.on('error', (error) => archiveHash.destroy(error));
  zip.pipe(archiveHash);
  const uploading = uploadStream(
    deps.s3,
    { bucket, key, contentType: 'application/zip', partBytes: deps.config.partBytes, concurrency: deps.config.uploadConcurrency, storeId: 'exports' },
    archiveHash,
  );
  const failed = uploading.then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => Promise.reject(error),
  );
  failed.catch(() => undefined);
  const writer = new VolumeWriter(zip, new Date(plan.generatedAt), failed);
  const open = (file: PlannedFile, signal: AbortSignal) => getSourceObject(deps.s3, file.store, resourceName(getStore(file.store), env), file.key, signal);
  // Several requests in flight, so S3's first-byte latency overlaps the copy; entries stay in plan order.
  const fetched = fetchAhead(volume.files, open, { budgetBytes: deps.config.fetchBudgetBytes, concurrency: deps.config.fetchConcurrency });
  // The first files are already being fetched while volume 1's documents are written.
  const first = fetched.next();
  first.catch(() => undefined);
  const details = new Map<string, FileDetails>();
  try {
    const sources = volume.volume === 1 ? await tableSources(deps, plan) : undefined;
    if (sources) await writeDataFiles(plan, sources, writer);
    for (let next = await first; !next.done; next = await fetched.next()) {
      const { file, content, ...response } = next.value;
      const stored = file.stored || isAlreadyCompressed(file.path, response.contentType);
      const fileDetails = detailsOf(response);
      details.set(file.path, fileDetails);
      await writer.add(file.path, content, { store: file.store, stored, details: fileDetails });
    }
    if (sources) {
      for (const [path, later] of await laterVolumesDetails(deps, plan)) details.set(path, later);
      await writer.add(INDEX_FILE, textStream(renderIndexHtml(plan, sources, details)), { stored: false });
    }
    const manifest = manifestOf(plan, volume.volume, writer.entries);
    await writer.add(manifestName(volume.volume), Readable.from([Buffer.from(manifest)]), { stored: false });
    await Promise.race([zip.finalize(), failed]);
  } catch (error) {
    await fetched.return(undefined).catch(() => undefined);
    zip.abort();
    archiveHash.destroy(error as Error);
    await uploading.catch(() => undefined);
    throw error;
  }
  await uploading;
  if (volume.volume > 1) {
    const staged: StagedFileDetails = { volume: volume.volume, files: Object.fromEntries(details) };
    await writeJson(deps.s3, bucket, volumeFilesKey(input.requestId, volume.volume), staged);
  }
  const summary = { volume: volume.volume, key, bytes: archiveHash.byteCount, sha256: archiveHash.hash.digest('hex'), entries: writer.entries.length };
  await writeJson(deps.s3, bucket, volumeSummaryKey(input.requestId, volume.volume), summary);
  return summary;
}
