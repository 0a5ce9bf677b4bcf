import { erasureConfig } from '../core/erasure/config';
import { notificationOutput, notifyProcessors, notifyProcessorsInput } from '../core/erasure/notify';
import { eventBridgeClient, s3Client } from '../shared/clients';
import { logger, subjectTaskHandler } from '../shared/handler';

/** Workflow task `notify-processors`: Art. 19 erasure events to the recipients, once per request (see `notifyProcessors`). */
export const handler = subjectTaskHandler(notifyProcessorsInput, async (input) => {
  const config = erasureConfig();
  const record = await notifyProcessors({ events: eventBridgeClient(), s3: s3Client(), eventBusName: config.eventBusName, auditBucket: config.auditBucket }, input);
  logger.info('processors notified', { recipients: record.recipients.map((recipient) => recipient.id) });
  return record;
}, notificationOutput);
