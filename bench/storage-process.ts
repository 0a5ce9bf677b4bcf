import { startEmulators } from '../local/emulators';
import { benchLatencyProfile, startLatencyProxy } from './latency-proxy';
import type { StorageReply, StorageRequest } from './storage';

/**
 * The child process of `bench/storage.ts`: the embedded DynamoDB and S3 (dynalite and s3rver, with
 * the patches of `local/emulators.ts`) and a latency proxy in front of each, apart from the code the
 * benchmarks measure, as AWS's stores run on other machines than a Lambda. Answers the parent's
 * requests (the proxies' counts, its CPU time, closing) over the IPC channel.
 */

const dataDir = process.argv[2]!;
const emulators = await startEmulators(dataDir, { dynamodb: 0, s3: 0 });
const s3Proxy = await startLatencyProxy(emulators.s3Endpoint, benchLatencyProfile());
const dynamodbProxy = await startLatencyProxy(emulators.dynamodbEndpoint, { latencyMs: Number(process.env.BENCH_DYNAMODB_LATENCY_MS ?? 10) });

const send = (reply: StorageReply) => process.send!(reply);
process.on('message', async (request: StorageRequest) => {
  if (request.type === 'counts') send({ id: request.id, s3ByBucket: [...s3Proxy.byBucket()] });
  else if (request.type === 'cpu') {
    const cpu = process.cpuUsage();
    send({ id: request.id, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  } else {
    await s3Proxy.close();
    await dynamodbProxy.close();
    await emulators.close();
    send({ id: request.id });
    process.disconnect();
  }
});
send({ id: 0, endpoints: { s3: emulators.s3Endpoint, dynamodb: emulators.dynamodbEndpoint, s3Proxy: s3Proxy.url, dynamodbProxy: dynamodbProxy.url } });
