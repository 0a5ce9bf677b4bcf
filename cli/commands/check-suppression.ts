import { Command } from 'commander';
import { ApiClient, withApiOptions, type ApiOptions } from '../api-client';
import { printJson } from '../request-commands';

/** Options of `dsr check-suppression`. */
interface CheckSuppressionOptions extends ApiOptions {
  email: string[];
  phone: string[];
}

/** Collects a repeated option's values. */
const collect = (value: string, previous: string[]) => [...previous, value];

/** `dsr check-suppression --email E [--email E2] [--phone P]`: which contact points are suppressed (erased or objected), as a marketing import asks. */
export function checkSuppressionCommand(): Command {
  const command = new Command('check-suppression')
    .description('ask which emails and phones are suppressed (their customer was erased or objected to direct marketing), as a marketing import does; at most 1,000')
    .option('--email <address>', 'an email address (repeatable)', collect, [])
    .option('--phone <number>', 'a phone number (repeatable)', collect, []);
  return withApiOptions(command).action(async (options: CheckSuppressionOptions) => {
    const api = await ApiClient.fromOptions(options);
    printJson(await api.checkSuppression({ ...(options.email.length ? { emails: options.email } : {}), ...(options.phone.length ? { phones: options.phone } : {}) }));
  });
}
