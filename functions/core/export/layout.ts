import { keyedHash } from '../keyed-hash';

/**
 * Where the export pipeline keeps things in the exports bucket, and how files are named inside the
 * archive. Staging (`staging/<requestId>/`) is short-lived; archive keys are unguessable (a keyed hash
 * of the request id) yet deterministic, so a replay overwrites the same keys.
 */

/** Prefix of a request's staging area. */
export function stagingPrefix(requestId: string): string {
  return `staging/${requestId}/`;
}

/** Staging key of one store's collected records or file listing (JSON Lines). */
export function stagingKey(requestId: string, store: string): string {
  return `${stagingPrefix(requestId)}${store}.jsonl`;
}

/** Staging key of the volume plan. */
export function planKey(requestId: string): string {
  return `${stagingPrefix(requestId)}plan.json`;
}

/** Staging key of one built volume's summary (`build-volume` writes it, `finalize-export` reads it). */
export function volumeSummaryKey(requestId: string, volume: number): string {
  return `${stagingPrefix(requestId)}volumes/${volume}.json`;
}

/** Staging key of one built volume's file details (original names, content types, metadata): volume 1's page reads them. */
export function volumeFilesKey(requestId: string, volume: number): string {
  return `${stagingPrefix(requestId)}volumes/${volume}.files.json`;
}

/** Prefix holding the archive volumes of a request: `exports/<requestId>/<keyed hash>/`. */
export function archivePrefix(requestId: string, hashKey?: string): string {
  return `exports/${requestId}/${keyedHash('export-archive', requestId, hashKey)}/`;
}

/** File name of a volume inside the archive prefix (and for the customer's download). */
export function volumeFileName(volume: number): string {
  return `volume-${volume}.zip`;
}

/** Key of one archive volume. */
export function archiveKey(requestId: string, volume: number, hashKey?: string): string {
  return `${archivePrefix(requestId, hashKey)}${volumeFileName(volume)}`;
}

/** Key of the export result beside the volumes: every volume's key, size, SHA-256 and entry count. */
export function exportResultKey(requestId: string, hashKey?: string): string {
  return `${archivePrefix(requestId, hashKey)}result.json`;
}

/** The human-readable page of an archive (volume 1). */
export const INDEX_FILE = 'index.html';

/** Folder of the machine-readable records inside an archive. */
export const DATA_FOLDER = 'data';

/** Folder of the customer's files inside an archive (`files/<store>/…`). */
export const FILES_FOLDER = 'files';

/** Archive path of a store's records (or file listing) in one machine-readable format. */
export function dataFilePath(store: string, format: 'json' | 'csv'): string {
  return `${DATA_FOLDER}/${store}.${format}`;
}

/** Name of the manifest inside a volume: `manifest.json` in volume 1, `manifest-volume-<n>.json` after. */
export function manifestName(volume: number): string {
  return volume === 1 ? 'manifest.json' : `manifest-volume-${volume}.json`;
}

/** Largest length, in UTF-8 bytes, of one sanitised path segment. */
const MAX_SEGMENT_BYTES = 150;

/** Windows device names that cannot be file names. */
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  let result = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    result += char;
    bytes += size;
  }
  return result;
}

/**
 * One path segment made safe for every unzip tool: NFC, no separators or control characters, no
 * leading dots (so never `.` or `..`), no trailing dots/spaces, not a Windows device name, bounded
 * length with the extension kept. Never empty: falls back to `fallback`.
 */
export function sanitiseSegment(name: string, fallback = 'file'): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  let safe = cleaned || fallback;
  if (RESERVED_NAMES.test(safe)) safe = `_${safe}`;
  if (Buffer.byteLength(safe) <= MAX_SEGMENT_BYTES) return safe;
  const dot = safe.lastIndexOf('.');
  const extension = dot > 0 && safe.length - dot <= 10 ? safe.slice(dot) : '';
  // The name is over the limit, so cutting the whole of it to the room left beside the extension never reaches the extension.
  return truncateUtf8(safe, MAX_SEGMENT_BYTES - Buffer.byteLength(extension)) + extension;
}

/** `name (n).ext` for the n-th file with the same name. */
function numbered(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/**
 * Assigns unique archive paths in call order: a path already taken (compared case-insensitively, as
 * on Windows and macOS) gets ` (2)`, ` (3)`, ... before its extension. Deterministic for the same order.
 */
export class PathAllocator {
  private readonly taken = new Set<string>();

  /** Reserves and returns a unique path for `directory/name` (both already sanitised). */
  allocate(directory: string, name: string): string {
    let candidate = `${directory}/${name}`;
    for (let n = 2; this.taken.has(candidate.toLowerCase()); n++) candidate = `${directory}/${numbered(name, n)}`;
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}

/** Extensions of formats that are already compressed: stored, not deflated. */
const COMPRESSED_EXTENSIONS = new Set([
  'jpg', 'jpeg', 'png', 'gif', 'webp', 'heic', 'heif', 'avif', 'mp3', 'm4a', 'aac', 'ogg', 'opus', 'mp4', 'm4v', 'mov', 'webm', 'zip', 'gz', '7z', 'pdf',
]);

/** Content types of already-compressed media. */
const COMPRESSED_TYPES = /^(image\/(jpeg|png|gif|webp|heic|heif|avif)|audio\/(mpeg|mp4|aac|ogg|opus|x-m4a)|video\/.+|application\/(zip|gzip|pdf))$/;

/** True when a file is already compressed and should be stored; WAV, text, JSON etc. are deflated. */
export function isAlreadyCompressed(name: string, contentType?: string): boolean {
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  return COMPRESSED_EXTENSIONS.has(extension) || (contentType !== undefined && COMPRESSED_TYPES.test(contentType.toLowerCase()));
}

/** Extensions of images and sounds a browser shows inline. */
const MEDIA_EXTENSIONS = new Map<string, 'image' | 'audio'>(Object.entries({
  jpg: 'image', jpeg: 'image', png: 'image', gif: 'image', webp: 'image', avif: 'image', mp3: 'audio', m4a: 'audio', aac: 'audio', ogg: 'audio', opus: 'audio', wav: 'audio',
} as const));

/** Whether an archive file shows as an image, plays as audio, or neither (by its extension). */
export function mediaKind(path: string): 'image' | 'audio' | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.includes('.') ? MEDIA_EXTENSIONS.get(name.slice(name.lastIndexOf('.') + 1).toLowerCase()) : undefined;
}
