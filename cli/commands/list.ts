import { Command, Option } from 'commander';
import { deadlineState } from '../../functions/core/deadlines';
import { FINAL_STATUSES, REQUEST_STATUSES, REQUEST_TYPES } from '../../functions/core/ledger';
import type { RequestView } from '../../functions/core/requests';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { parseCustomerId, printJson } from '../request-commands';

/** Options of `dsr list`. */
interface ListOptions extends ApiOptions {
  customer?: string;
  status?: string;
  overdue?: boolean;
  json?: boolean;
}

/** The flag of a request's line: an open one past due, or due soon by the deadline check's rule for its type. */
function deadlineFlag(record: Pick<RequestView, 'type' | 'status' | 'dueAt'>, now: Date): string {
  if (FINAL_STATUSES.includes(record.status)) return '';
  const state = deadlineState(record.type, record.dueAt, now);
  return state === 'overdue' ? '  OVERDUE' : state === 'due-soon' ? '  due soon' : '';
}

/** Width of the type column: the longest request type (`consent-withdrawal`). */
const TYPE_WIDTH = Math.max(...REQUEST_TYPES.map((type) => type.length));

/** One table line per request. */
function line(record: RequestView, now: Date): string {
  const flag = deadlineFlag(record, now);
  return [record.requestId.padEnd(36), record.type.padEnd(TYPE_WIDTH), record.brand.padEnd(11), record.status.padEnd(11), record.dueAt].join('  ') + flag;
}

/** `dsr list [--customer ID] [--status S] [--overdue]`: requests, newest first per customer. */
export function listCommand(): Command {
  const command = new Command('list')
    .description('list requests by customer and/or status, or the open ones past their due date or due soon (5 days; 24 hours for a consent withdrawal)')
    .option('--customer <id>', 'only this customer\'s requests', parseCustomerId)
    .addOption(new Option('--status <status>', 'only requests in this status').choices(REQUEST_STATUSES))
    .option('--overdue', 'only open requests past their due date or due soon (the deadline check\'s rule per type)')
    .option('--json', 'print JSON instead of a table');
  return withApiOptions(command).action(async (options: ListOptions) => {
    const api = await ApiClient.fromOptions(options);
    const records = await api.list({ customerId: options.customer, status: options.status, overdue: options.overdue ? 'true' : undefined });
    if (options.json) {
      printJson(records);
      return;
    }
    const now = new Date();
    console.log(['REQUEST'.padEnd(36), 'TYPE'.padEnd(TYPE_WIDTH), 'BRAND'.padEnd(11), 'STATUS'.padEnd(11), 'DUE'].join('  '));
    for (const record of records) console.log(line(record, now));
    console.log(`${records.length} request(s)`);
  });
}
