import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A loopback HTTP proxy in front of a local AWS endpoint (s3rver, dynalite) that makes each request
 * cost what it costs in AWS: the response's first byte waits `latencyMs` after the request arrived
 * (default 30 ms, S3's typical first-byte latency), and optionally every connection's bytes, both ways,
 * are capped at `bytesPerSecond` (default off). Headers pass unchanged, so SigV4 signatures still hold.
 * Only loopback addresses: it listens on 127.0.0.1 and forwards to a 127.0.0.1 / localhost target.
 */

/** How the proxy slows requests down. */
export interface LatencyProfile {
  /** Delay before the first byte of each response, in ms. */
  latencyMs: number;
  /** Bytes per second per connection and direction; 0 or undefined: unlimited. */
  bytesPerSecond?: number;
}

/** A running proxy: its URL, what it counted, and `close`. */
export interface LatencyProxy {
  url: string;
  /** Requests forwarded so far. */
  requests: () => number;
  /** Requests forwarded so far per bucket (the first path segment: path-style S3). */
  byBucket: () => Map<string, number>;
  close: () => Promise<void>;
}

/** The latency profile of the benchmarks: `BENCH_S3_LATENCY_MS` (30) and `BENCH_S3_BANDWIDTH_MBPS` (MB/s per connection, 0 = off). */
export function benchLatencyProfile(env: NodeJS.ProcessEnv = process.env): LatencyProfile {
  return { latencyMs: Number(env.BENCH_S3_LATENCY_MS ?? 30), bytesPerSecond: Number(env.BENCH_S3_BANDWIDTH_MBPS ?? 0) * 1_000_000 };
}

/** Lets bytes through at most at `bytesPerSecond` (the pace kept per connection across its requests). */
class Throttle extends Transform {
  constructor(
    private readonly bytesPerSecond: number,
    private readonly pace: { nextFree: number },
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const now = performance.now();
    const start = Math.max(now, this.pace.nextFree);
    this.pace.nextFree = start + (chunk.length / this.bytesPerSecond) * 1000;
    const wait = this.pace.nextFree - now;
    if (wait < 1) callback(null, chunk);
    else setTimeout(() => callback(null, chunk), wait);
  }
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target` (a loopback URL). */
export async function startLatencyProxy(target: string, profile: LatencyProfile): Promise<LatencyProxy> {
  const upstream = new URL(target);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(upstream.hostname)) throw new Error(`latency proxy: ${target} is not a loopback address`);
  let requests = 0;
  const buckets = new Map<string, number>();
  const paces = new WeakMap<object, { up: { nextFree: number }; down: { nextFree: number } }>();
  const paceOf = (socket: object) => {
    let pace = paces.get(socket);
    if (!pace) paces.set(socket, (pace = { up: { nextFree: 0 }, down: { nextFree: 0 } }));
    return pace;
  };
  const limit = profile.bytesPerSecond && profile.bytesPerSecond > 0 ? profile.bytesPerSecond : 0;

  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    requests += 1;
    const bucket = (incoming.url ?? '/').split('?')[0]!.split('/')[1] ?? '';
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    const arrived = performance.now();
    const pace = paceOf(incoming.socket);
    const forward = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        // An upstream that breaks off mid-response breaks the client's response off too (a truncated answer, never a crash).
        response.once('error', (error) => outgoing.destroy(error));
        const respond = () => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          (limit ? response.pipe(new Throttle(limit, pace.down)) : response).pipe(outgoing);
        };
        const wait = arrived + profile.latencyMs - performance.now();
        if (wait > 0) setTimeout(respond, wait);
        else respond();
      },
    );
    forward.once('error', (error) => {
      // Before the response started: a 502 the SDK retries; after: cut the response off rather than append to its body.
      if (outgoing.headersSent) return outgoing.destroy(error);
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(String(error));
    });
    // A client that goes away mid-response takes the upstream request with it; a finished one leaves it to the agent.
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) forward.destroy();
    });
    (limit ? incoming.pipe(new Throttle(limit, pace.up)) : incoming).pipe(forward);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    byBucket: () => new Map(buckets),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
