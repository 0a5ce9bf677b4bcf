import { getStore, resourceName } from '../core/data-map';
import { notificationOutput, notifyRecipients, notifyRecipientsInput } from '../core/notify-recipients';
import { readFunctionSettings } from '../core/settings';
import { eventBridgeClient, s3Client } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';

/** Workflow task `notify-processors`: Art. 19 events to the recipients a request concerns, once per request (see `notifyRecipients`). */
export const handler = taskHandler(
  notifyRecipientsInput,
  async (input) => {
    const record = await notifyRecipients(
      {
        events: eventBridgeClient(),
        s3: s3Client(),
        ledger: ledgerFromEnv(),
        eventBusName: readFunctionSettings().eventBusName,
        auditBucket: resourceName(getStore('audit')),
      },
      input,
    );
    logger.info('recipients notified', { recipients: record.recipients.map((recipient) => recipient.id) });
    return record;
  },
  notificationOutput,
);
