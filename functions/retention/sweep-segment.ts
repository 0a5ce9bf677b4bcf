import { requestsDepsFromEnv } from '../api/handler';
import { getStore, resourceName } from '../core/data-map';
import { erasureConfig } from '../core/erasure/config';
import { DuplicateRequest } from '../core/errors';
import { createRequest } from '../core/requests';
import type { RequestErasure } from '../core/retention/inactive-accounts';
import { sweepSegmentInput, sweepSegmentOutput, sweepSegments } from '../core/retention/sweep';
import { documentClient, s3Client } from '../shared/clients';
import { logger, taskHandler } from '../shared/handler';

/** The caller recorded on the erasure requests of inactive accounts: their reason, `retention`. */
export const RETENTION_CALLER = 'retention';

/** Creates an inactive account's erasure request through the request API's core; an open one already there is enough. */
const requestErasure: RequestErasure = async ({ requestId, customerId, brand }) => {
  try {
    const { created } = await createRequest(requestsDepsFromEnv(), { type: 'erasure', requestId, customerId, brand }, RETENTION_CALLER);
    return created ? 'created' : 'already-open';
  } catch (error) {
    if (error instanceof DuplicateRequest) return 'already-open';
    throw error;
  }
};

/** `Sweep Segment`: removes what is past its rule in one batch of segments and returns counts (see `sweepSegments`). */
export const handler = taskHandler(
  sweepSegmentInput,
  async (input) => {
    const { retry, concurrency } = erasureConfig();
    const result = await sweepSegments({ doc: documentClient(), s3: s3Client(), workBucket: resourceName(getStore('exports')), retry, concurrency, requestErasure }, input);
    logger.info('retention segments swept', { runId: input.BatchInput.runId, segments: input.Items.length, stores: result.stores });
    return result;
  },
  sweepSegmentOutput,
);
