import { join } from 'node:path';
import { startDynamoDbEmulator, startS3Emulator } from '../local/emulators';
import { benchLatencyProfile, startLatencyProxy } from './latency-proxy';
import type { StorageReply, StorageRequest, StorageService } from './storage';

/**
 * A child process of `bench/storage.ts`: one embedded store (`s3`: s3rver, `dynamodb`: dynalite,
 * each with the patches of `local/emulators.ts`) and the latency proxy in front of it, apart from the
 * code the benchmarks measure and from the other store, as S3 and DynamoDB run on fleets of their
 * own in AWS. Answers the parent's requests (the proxy's counts, its CPU time, closing) over IPC.
 */

const [dataDir, service] = process.argv.slice(2) as [string, StorageService];
const emulator = service === 's3' ? await startS3Emulator(join(dataDir, 's3'), 0) : await startDynamoDbEmulator(join(dataDir, 'dynamodb'), 0);
const profile = service === 's3' ? benchLatencyProfile() : { latencyMs: Number(process.env.BENCH_DYNAMODB_LATENCY_MS ?? 10) };
const proxy = await startLatencyProxy(emulator.endpoint, profile);

const send = (reply: StorageReply) => process.send!(reply);
process.on('message', async (request: StorageRequest) => {
  if (request.type === 'counts') send({ id: request.id, byBucket: [...proxy.byBucket()] });
  else if (request.type === 'cpu') {
    const cpu = process.cpuUsage();
    send({ id: request.id, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  } else {
    await proxy.close();
    await emulator.close();
    send({ id: request.id });
    process.disconnect();
  }
});
send({ id: 0, endpoints: { direct: emulator.endpoint, proxied: proxy.url } });
