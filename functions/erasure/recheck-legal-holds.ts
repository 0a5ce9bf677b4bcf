import { z } from 'zod';
import { recheckLegalHolds } from '../core/erasure/legal-hold-recheck';
import { documentClient, sfnClient } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Daily schedule target `recheck-legal-holds`: resumes the on_hold erasures whose holds have cleared (see `recheckLegalHolds`). */
export const handler = taskHandler(z.looseObject({}), async () => {
  const report = await recheckLegalHolds({
    ledger: ledgerFromEnv(),
    sfn: sfnClient(),
    doc: documentClient(),
    erasureStateMachineArn: process.env.DSR_ERASURE_STATE_MACHINE_ARN ?? '',
  });
  logger.info('legal holds rechecked', { checked: report.checked, resumed: report.resumed.length, stillHeld: report.stillHeld });
  return report;
});
