import { checkErasureVerification, checkVerificationInput, verificationOutput } from '../core/erasure/verification';
import { taskHandler } from '../shared/handler';

/** Workflow task `check-erasure-verification`: fails with `ErasureVerificationFailed` naming stores with leftovers. */
export const handler = taskHandler(checkVerificationInput, async (input) => checkErasureVerification(input), verificationOutput);
