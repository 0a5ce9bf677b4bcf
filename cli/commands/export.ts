import type { Command } from 'commander';
import { submitCommand } from '../request-commands';

/** `dsr export --customer ID --brand B [--wait]`: request an export of everything about a customer (GDPR Art. 15/20). */
export function exportCommand(): Command {
  return submitCommand('export', 'export', 'request an export of everything about a customer (GDPR Art. 15/20)');
}
