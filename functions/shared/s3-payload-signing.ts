import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';

/** The SigV4 header that carries the payload's SHA-256, or `UNSIGNED-PAYLOAD`. */
const PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';
/** S3's headers that carry a checksum of the request's body, one per algorithm S3 checks. */
const BODY_CHECKSUM_HEADERS = new Set(['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'].map((algorithm) => `x-amz-checksum-${algorithm}`));
/** Hosts whose traffic never leaves the machine (the embedded local S3). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The parts of the SDK's HTTP request this middleware reads. */
interface OutgoingRequest {
  protocol?: string;
  hostname?: string;
  headers?: Record<string, string>;
}

/** True when nothing between this process and S3 can change the request: TLS, or loopback. */
function untamperable(request: OutgoingRequest): boolean {
  return request.protocol === 'https:' || LOOPBACK_HOSTS.has(request.hostname ?? '');
}

/** Sets `UNSIGNED-PAYLOAD` on a request with a body checksum that travels untamperable, before it is signed. */
const signWithoutPayloadHash: FinalizeRequestMiddleware<object, object> = (next) => (args) => {
  const request = args.request as OutgoingRequest;
  const headers = request.headers;
  if (headers && untamperable(request)) {
    const names = Object.keys(headers).map((name) => name.toLowerCase());
    if (!names.includes(PAYLOAD_HASH_HEADER) && names.some((name) => BODY_CHECKSUM_HEADERS.has(name))) headers[PAYLOAD_HASH_HEADER] = 'UNSIGNED-PAYLOAD';
  }
  return next(args);
};

/**
 * Makes an S3 client sign a request whose body carries a checksum header (the SDK adds
 * `x-amz-checksum-crc32` to every upload by default) with `UNSIGNED-PAYLOAD` instead of the body's
 * SHA-256, when it goes over TLS (or loopback), as the AWS CLI does: S3 checks the signed checksum and
 * rejects a body that does not match it, and TLS keeps anyone from changing body and checksum
 * together, so hashing the same bytes again for the signature adds no protection. In the volume
 * builder that hash was a third SHA-256 pass over every byte of the archive (docs/performance.md).
 * Over plain HTTP to another host the body is still hashed: there the signature is its only guard.
 */
export function signChecksummedPayloadsUnhashed(stack: MiddlewareStack<object, object>): void {
  stack.addRelativeTo(signWithoutPayloadHash, { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'signChecksummedPayloadsUnhashed', override: true });
}
