import type { Command } from 'commander';
import { submitCommand } from '../request-commands';

/** `dsr erase --customer ID --brand B [--wait]`: request the erasure of a customer (GDPR Art. 17), after the cooling-off period. */
export function eraseCommand(): Command {
  return submitCommand('erase', 'erasure', 'request the erasure of a customer (GDPR Art. 17), after the cooling-off period');
}
