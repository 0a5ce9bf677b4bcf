import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { getStore, resourceName } from '../core/data-map';
import { customerKey } from '../core/keyed-hash';
import type { RequestsDeps } from '../core/requests';
import { readFunctionSettings, WORKFLOWS } from '../core/settings';
import { documentClient, s3Client, sfnClient } from '../shared/clients';
import { logger } from '../shared/handler';
import { ledgerFromEnv } from '../shared/ledger-from-env';
import { loadSecrets } from '../shared/secrets';
import { handleApiEvent } from './router';

/** The request API's dependencies from the environment (state machine ARNs, profile table, cooling-off, URL expiry). */
export function requestsDepsFromEnv(env: NodeJS.ProcessEnv = process.env): RequestsDeps {
  const settings = readFunctionSettings(env);
  return {
    ledger: ledgerFromEnv(env),
    sfn: sfnClient(),
    s3: s3Client(),
    doc: documentClient(),
    customerProfileTable: resourceName(getStore('customer-profile'), env),
    customerKey: (customerId) => customerKey(customerId),
    exportStateMachineArn: env.DSR_EXPORT_STATE_MACHINE_ARN ?? '',
    erasureStateMachineArn: env.DSR_ERASURE_STATE_MACHINE_ARN ?? '',
    stateMachineArns: Object.fromEntries(WORKFLOWS.map((workflow) => [workflow.name, env[workflow.env] ?? ''])),
    consentWithdrawalTargetHours: settings.consentWithdrawalTargetHours,
    coolingOffSeconds: settings.erasureCoolingOffSeconds,
    exportsBucket: resourceName(getStore('exports'), env),
    downloadUrlTtlSeconds: settings.downloadUrlTtlSeconds,
    env,
  };
}

/** API Gateway (REST, proxy integration) handler of `/v1/requests`. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  await loadSecrets();
  logger.resetKeys();
  logger.appendKeys({ function: 'api', apiRequestId: event.requestContext?.requestId });
  return handleApiEvent(event, requestsDepsFromEnv());
}
