import { Command, InvalidArgumentError, Option } from 'commander';
import { correctionsSchema, type Corrections } from '../../functions/core/rectification/corrections';
import { SUPPORTED_LOCALES } from '../../functions/core/locales';
import { ApiClient, withApiOptions } from '../api-client';
import { createFields, parseCustomerId, printJson, submitRequest, withCreateOptions, type CreateOptions } from '../request-commands';

/** The correction options of `dsr rectify`: one per field, `--address` repeatable. */
interface CorrectionOptions extends Omit<Corrections, 'addresses'> {
  address?: string[];
}

/** Options of `dsr rectify`. */
type RectifyOptions = CreateOptions & CorrectionOptions;

/** Parses `--address` (`type,street,postalCode,city,country[,name]`) into a corrected address. */
export function parseAddress(value: string, previous: string[] = []): string[] {
  if (value.split(',').length < 5) throw new InvalidArgumentError('must be TYPE,STREET,POSTAL_CODE,CITY,COUNTRY[,NAME] (e.g. home,"Damrak 1",1012 LG,Amsterdam,NL)');
  return [...previous, value];
}

/** The corrections the options give; invalid ones are refused as the API refuses them (naming the field). */
export function correctionsOf(options: CorrectionOptions): Corrections {
  const addresses = options.address?.map((line) => {
    const [type, street, postalCode, city, country, name] = line.split(',').map((part) => part.trim());
    return { type, street, postalCode, city, country, ...(name ? { name } : {}) };
  });
  const fields = { email: options.email, phone: options.phone, firstName: options.firstName, lastName: options.lastName, locale: options.locale, addresses };
  const parsed = correctionsSchema.safeParse(Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)));
  if (!parsed.success) throw new Error(`invalid corrections: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'corrections'}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/** `dsr rectify <customerId> --brand B --email ... [--wait]`: request the rectification of a customer's data (GDPR Art. 16). */
export function rectifyCommand(): Command {
  const command = withCreateOptions(
    new Command('rectify')
      .description('request the rectification of a customer\'s data (GDPR Art. 16): profile, marketing consents\' addresses, shipping address of unshipped orders')
      .argument('<customerId>', 'customer id', parseCustomerId),
  )
    .option('--email <address>', 'the right email address')
    .option('--phone <number>', 'the right phone number')
    .option('--first-name <name>', 'the right first name')
    .option('--last-name <name>', 'the right last name')
    .addOption(new Option('--locale <tag>', 'the right language').choices(SUPPORTED_LOCALES))
    .option('--address <type,street,postalCode,city,country[,name]>', 'a right postal address (repeat for several; they replace the profile\'s)', parseAddress);
  return withApiOptions(command).action(async (customerId: string, options: RectifyOptions) => {
    const corrections = correctionsOf(options);
    const api = await ApiClient.fromOptions(options);
    const record = await submitRequest(options, api, { type: 'rectification', customerId, ...createFields(options), corrections });
    if (record) printJson(record);
  });
}
