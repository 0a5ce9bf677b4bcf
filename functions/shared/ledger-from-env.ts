import { getStore, resourceName } from '../core/data-map';
import { Ledger } from '../core/ledger';
import { readFunctionSettings } from '../core/settings';
import { documentClient, eventBridgeClient } from './clients';

let ledger: Ledger | undefined;

/** The request ledger over the shared clients: table from the data map, bus from `DSR_EVENT_BUS_NAME`. */
export function ledgerFromEnv(env: NodeJS.ProcessEnv = process.env): Ledger {
  ledger ??= new Ledger({
    doc: documentClient(),
    events: eventBridgeClient(),
    tableName: resourceName(getStore('request-ledger'), env),
    eventBusName: readFunctionSettings(env).eventBusName,
  });
  return ledger;
}
