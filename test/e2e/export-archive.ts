import { createHash } from 'node:crypto';
import yauzl from 'yauzl';

/** Test helpers that read export archives with an independent ZIP reader (yauzl) and call the local API. */

/** One extracted entry. */
export interface ZipEntry {
  name: string;
  compressionMethod: number;
  /** The CRC-32 the central directory records for the entry. */
  crc32: number;
  data: Buffer;
}

/** Every entry of a ZIP archive, in archive order, with its content. */
export function unzip(zip: Buffer): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (error, archive) => {
      if (error || !archive) return reject(error);
      const entries: ZipEntry[] = [];
      archive.on('entry', (entry: yauzl.Entry) => {
        archive.openReadStream(entry, async (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          try {
            const chunks: Buffer[] = [];
            for await (const chunk of stream) chunks.push(chunk as Buffer);
            entries.push({ name: entry.fileName, compressionMethod: entry.compressionMethod, crc32: entry.crc32, data: Buffer.concat(chunks) });
            archive.readEntry();
          } catch (readError) {
            reject(readError);
          }
        });
      });
      archive.on('end', () => resolve(entries));
      archive.on('error', reject);
      archive.readEntry();
    });
  });
}

/** Hex SHA-256 of a buffer. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A manifest as written into every volume. */
export interface Manifest {
  requestId: string;
  generatedAt: string;
  brand: string;
  volume: number;
  volumes: { volume: number; fileName: string; manifest: string; files: number }[];
  stores?: Record<string, { items: number; bytes: number }>;
  entries: { path: string; size: number; sha256: string; store?: string }[];
}

/** A small client of the local HTTP API. */
export class ApiClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  /** Sends a request with the bearer token; redirects are not followed. */
  async call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      redirect: 'manual',
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  /** Creates an export request and returns its id. */
  async createExport(customerId: string, brand: string): Promise<string> {
    const response = await this.call('POST', '/v1/requests', { type: 'export', customerId, brand });
    if (response.status !== 202 && response.status !== 201 && response.status !== 200) throw new Error(`POST /v1/requests → ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { requestId: string }).requestId;
  }

  /** Polls the request until it is completed, failed or cancelled. */
  async waitFinal(requestId: string): Promise<{ status: string; result?: Record<string, unknown>; error?: unknown }> {
    for (;;) {
      const response = await this.call('GET', `/v1/requests/${requestId}`);
      const view = (await response.json()) as { status: string; result?: Record<string, unknown>; error?: unknown };
      if (['completed', 'failed', 'cancelled'].includes(view.status)) return view;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  /** Downloads a volume through the download route: expects a 303 and follows it. */
  async download(requestId: string, volume: number): Promise<Buffer> {
    const redirect = await this.call('GET', `/v1/requests/${requestId}/download?volume=${volume}`);
    if (redirect.status !== 303) throw new Error(`download → ${redirect.status}: ${await redirect.text()}`);
    const file = await fetch(redirect.headers.get('location')!);
    if (!file.ok) throw new Error(`presigned GET → ${file.status}`);
    return Buffer.from(await file.arrayBuffer());
  }
}
