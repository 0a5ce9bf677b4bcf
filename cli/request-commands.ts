import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BRANDS, type Brand } from '../functions/core/brands';
import { CUSTOMER_ID_PATTERN } from '../functions/core/data-map';
import { SUPPORTED_LOCALES, type SupportedLocale } from '../functions/core/locales';
import type { Verification } from '../functions/core/ledger';
import { exportVolumeCount, type RequestView } from '../functions/core/requests';
import { ApiClient, withApiOptions, type ApiOptions } from './api-client';
import { cliAws } from './aws';
import { watchExecution } from './watch-execution';

/**
 * Shared parts of the request commands (`export`, `erase`, `status`, `replay`): submitting through the
 * API, following the execution with `--wait`, and downloading export volumes with `--out`.
 */

/** Options of `dsr export` / `dsr erase`. */
export interface SubmitOptions extends ApiOptions {
  customer: string;
  brand: Brand;
  verifiedBy?: string;
  verificationMethod: Verification['method'];
  verifiedAt?: string;
  requestId?: string;
  locale?: SupportedLocale;
  wait?: boolean;
  out?: string;
}

/** Validates a customer id argument. */
export function parseCustomerId(value: string): string {
  if (!CUSTOMER_ID_PATTERN.test(value)) throw new InvalidArgumentError(`must match ${CUSTOMER_ID_PATTERN} (letters, digits, - and _)`);
  return value;
}

/** Prints a result as JSON on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** The file a volume is written to: `FILE` for a single volume, `NAME-<n>.EXT` for several. */
export function volumeFile(out: string, volume: number, total: number): string {
  if (total <= 1) return out;
  const extension = extname(out);
  return `${out.slice(0, out.length - extension.length)}-${volume}${extension}`;
}

/** Follows an execution to its end (a live per-store table on stderr), then returns the request; throws with the error when it failed. */
export async function waitForRequest(options: ApiOptions, api: ApiClient, requestId: string, executionArn: string): Promise<RequestView> {
  const aws = await cliAws(options);
  try {
    const outcome = await watchExecution(aws.sfn, api, requestId, executionArn);
    const record = await api.get(requestId);
    if (record.status === 'failed' || outcome.status !== 'SUCCEEDED') {
      const reason = record.error ? `${record.error.name}: ${record.error.message}` : `${outcome.error ?? outcome.status}${outcome.cause ? `: ${outcome.cause}` : ''}`;
      throw new Error(`request ${requestId} ${record.status}: ${reason}`);
    }
    return record;
  } finally {
    aws.destroy();
  }
}

/** Downloads every volume of a completed export; returns the files written. */
export async function downloadVolumes(api: ApiClient, record: RequestView, out: string): Promise<string[]> {
  const volumes = Array.from({ length: exportVolumeCount(record.result) }, (_, index) => index + 1);
  const files: string[] = [];
  for (const volume of volumes) {
    const file = volumeFile(out, volume, volumes.length);
    await api.download(record.requestId, volume, file);
    files.push(file);
  }
  return files;
}

/** Builds `dsr export` or `dsr erase`. */
export function submitCommand(name: 'export' | 'erase', type: 'export' | 'erasure', description: string): Command {
  const command = new Command(name)
    .description(description)
    .requiredOption('--customer <id>', 'customer id', parseCustomerId)
    .addOption(new Option('--brand <brand>', 'brand').choices(BRANDS).makeOptionMandatory())
    .option('--verified-by <who>', 'who verified the customer\'s identity (recorded on the request and its certificate)')
    .addOption(
      new Option('--verification-method <method>', 'how the identity was verified (with --verified-by)')
        .choices(['portal-session', 'email-code', 'id-document', 'known-contact'])
        .default('known-contact'),
    )
    .option('--verified-at <iso>', 'when the identity was verified (with --verified-by; default now)')
    .option('--request-id <uuid>', 'idempotency key (a uuid); repeating it with the same options returns the same request')
    .addOption(new Option('--locale <tag>', 'language of the customer-facing texts (default: the profile\'s locale, else the brand\'s home market)').choices(SUPPORTED_LOCALES))
    .option('--wait', 'follow the execution until it ends; exit non-zero when it fails');
  if (type === 'export') command.option('--out <file>', 'download the export volumes to FILE (implies --wait)');
  return withApiOptions(command).action(async (options: SubmitOptions) => {
    const api = await ApiClient.fromOptions(options);
    const created = await api.create({
      type,
      customerId: options.customer,
      brand: options.brand,
      ...(options.verifiedBy
        ? { verification: { method: options.verificationMethod, verifiedBy: options.verifiedBy, verifiedAt: options.verifiedAt ?? new Date().toISOString() } }
        : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
      ...(options.locale ? { locale: options.locale } : {}),
    });
    if (!options.wait && !options.out) {
      printJson(created);
      return;
    }
    if (!created.executionArn) throw new Error(`request ${created.requestId} has no execution (status ${created.status})`);
    process.stderr.write(`request ${created.requestId} (${type}, ${created.status})\n`);
    const record = await waitForRequest(options, api, created.requestId, created.executionArn);
    if (options.out) {
      const files = await downloadVolumes(api, record, options.out);
      process.stderr.write(`downloaded ${files.length} volume(s): ${files.join(', ')}\n`);
    }
    printJson(record);
  });
}
