import { captureSuppressionInput, captureSuppressionKeys, suppressionKeysOutput } from '../core/erasure/suppression';
import { documentClient } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';

/** Workflow task `capture-suppression-keys`: writes the keyed-hash suppression entries before erasing (see `captureSuppressionKeys`). */
export const handler = subjectTaskHandler(captureSuppressionInput, async (input) => {
  const keys = await captureSuppressionKeys({ doc: documentClient() }, input);
  logger.info('suppression keys captured', { emailHashes: keys.emailHashes.length, phoneHashes: keys.phoneHashes.length });
  return keys;
}, suppressionKeysOutput);
