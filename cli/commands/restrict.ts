import { Command, Option } from 'commander';
import { RESTRICTION_GROUNDS, RESTRICTION_SCOPES, type RestrictionGround, type RestrictionScope } from '../../functions/core/processing/parameters';
import { ApiClient, withApiOptions } from '../api-client';
import { createFields, parseCustomerId, printJson, submitRequest, withCreateOptions, type CreateOptions } from '../request-commands';

/** Options of `dsr restrict`. */
interface RestrictOptions extends CreateOptions {
  scope: RestrictionScope;
  ground?: RestrictionGround;
  lift?: boolean;
}

/** `dsr restrict <customerId> --brand B --scope S --ground G [--wait]`, or `--lift`: restrict a customer's processing (GDPR Art. 18), or lift the restriction. */
export function restrictCommand(): Command {
  const command = withCreateOptions(
    new Command('restrict')
      .description('restrict the processing of a customer\'s data (GDPR Art. 18), answered by the processing check; --lift removes the restriction (scope all: every one)')
      .argument('<customerId>', 'customer id', parseCustomerId),
  )
    .addOption(new Option('--scope <scope>', 'the processing restricted').choices(RESTRICTION_SCOPES).default('all'))
    .addOption(new Option('--ground <ground>', 'the Art. 18(1) ground (required to restrict)').choices(RESTRICTION_GROUNDS))
    .option('--lift', 'lift the restriction of the scope instead');
  return withApiOptions(command).action(async (customerId: string, options: RestrictOptions) => {
    const api = await ApiClient.fromOptions(options);
    const body = { type: 'restriction' as const, customerId, action: options.lift ? ('lift' as const) : ('restrict' as const), scope: options.scope, ...(options.ground ? { ground: options.ground } : {}), ...createFields(options) };
    const record = await submitRequest(options, api, body);
    if (record) printJson(record);
  });
}
