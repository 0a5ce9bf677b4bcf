import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BRANDS, type Brand } from '../functions/core/brands';
import { CUSTOMER_ID_PATTERN } from '../functions/core/data-map';
import { SUPPORTED_LOCALES, type SupportedLocale } from '../functions/core/locales';
import type { Verification } from '../functions/core/ledger';
import type { CreateRequestBody } from '../functions/core/api-contract';
import { exportVolumeCount, type RequestView } from '../functions/core/requests';
import { ApiClient, withApiOptions, type ApiOptions } from './api-client';
import { cliAws } from './aws';
import { watchExecution } from './watch-execution';

/**
 * Shared parts of the request commands (`export`, `erase`, `rectify`, `withdraw-consent`, `status`, `replay`): submitting through the
 * API, following the execution with `--wait`, and downloading export volumes with `--out`.
 */

/** Options every request-creating command shares: identity verification, idempotency key, `--wait`. */
export interface CreateOptions extends ApiOptions {
  brand: Brand;
  verifiedBy?: string;
  verificationMethod: Verification['method'];
  verifiedAt?: string;
  requestId?: string;
  wait?: boolean;
}

/** Options of `dsr export` / `dsr erase`. */
export interface SubmitOptions extends CreateOptions {
  customer: string;
  locale?: SupportedLocale;
  out?: string;
}

/** Adds the options every request-creating command shares (`--brand`, the verification, `--request-id`, `--wait`). */
export function withCreateOptions(command: Command): Command {
  return command
    .addOption(new Option('--brand <brand>', 'brand').choices(BRANDS).makeOptionMandatory())
    .option('--verified-by <who>', 'who verified the customer\'s identity (recorded on the request and its certificate)')
    .addOption(
      new Option('--verification-method <method>', 'how the identity was verified (with --verified-by)')
        .choices(['portal-session', 'email-code', 'id-document', 'known-contact'])
        .default('known-contact'),
    )
    .option('--verified-at <iso>', 'when the identity was verified (with --verified-by; default now)')
    .option('--request-id <uuid>', 'idempotency key (a uuid); repeating it with the same options returns the same request')
    .option('--wait', 'follow the execution until it ends; exit non-zero when it fails');
}

/** The body fields the shared options give: brand, verification and request id. */
export function createFields(options: CreateOptions): { brand: Brand; verification?: Verification; requestId?: string } {
  return {
    brand: options.brand,
    ...(options.verifiedBy
      ? { verification: { method: options.verificationMethod, verifiedBy: options.verifiedBy, verifiedAt: options.verifiedAt ?? new Date().toISOString() } }
      : {}),
    ...(options.requestId ? { requestId: options.requestId } : {}),
  };
}

/** Creates a request; prints it, or with `--wait` follows its execution and returns the final record (undefined when printed). */
export async function submitRequest(options: CreateOptions, api: ApiClient, body: CreateRequestBody): Promise<RequestView | undefined> {
  const created = await api.create(body);
  if (!options.wait) {
    printJson(created);
    return undefined;
  }
  if (!created.executionArn) throw new Error(`request ${created.requestId} has no execution (status ${created.status})`);
  process.stderr.write(`request ${created.requestId} (${body.type}, ${created.status})\n`);
  return waitForRequest(options, api, created.requestId, created.executionArn);
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
  const command = withCreateOptions(new Command(name).description(description).requiredOption('--customer <id>', 'customer id', parseCustomerId)).addOption(
    new Option('--locale <tag>', 'language of the customer-facing texts (default: the profile\'s locale, else the brand\'s home market)').choices(SUPPORTED_LOCALES),
  );
  if (type === 'export') command.option('--out <file>', 'download the export volumes to FILE (implies --wait)');
  return withApiOptions(command).action(async (options: SubmitOptions) => {
    const api = await ApiClient.fromOptions(options);
    const record = await submitRequest({ ...options, wait: options.wait || Boolean(options.out) }, api, {
      type,
      customerId: options.customer,
      ...createFields(options),
      ...(options.locale ? { locale: options.locale } : {}),
    });
    if (!record) return;
    if (options.out) {
      const files = await downloadVolumes(api, record, options.out);
      process.stderr.write(`downloaded ${files.length} volume(s): ${files.join(', ')}\n`);
    }
    printJson(record);
  });
}
