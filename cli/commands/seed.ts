import { Command, InvalidArgumentError, Option } from 'commander';
import { BRANDS, type Brand } from '../../functions/core/brands';
import { CUSTOMER_ID_PATTERN } from '../../functions/core/data-map';
import { seedDemoData } from '../../local/seed/demo';
import { seedSyntheticCustomer } from '../../local/seed/synthetic';
import { cliAws, withAwsOptions, type AwsOptions } from '../aws';
import { parseCount } from '../parse';

/** Options of `dsr seed`. */
interface SeedOptions extends AwsOptions {
  demo?: boolean;
  customer?: string;
  brand?: Brand;
  photos: number;
  photoBytes: number;
  orders: number;
  contacts: number;
  libraryPhotos: number;
}

/** Validates a customer id argument. */
function parseCustomerId(value: string): string {
  if (!CUSTOMER_ID_PATTERN.test(value)) throw new InvalidArgumentError(`must match ${CUSTOMER_ID_PATTERN} (letters, digits, - and _)`);
  return value;
}

/** `dsr seed`: the demo dataset (`--demo`) or one synthetic customer of chosen size. */
export function seedCommand(): Command {
  const command = new Command('seed')
    .description('seed the demo dataset (--demo) or one synthetic customer of chosen size')
    .option('--demo', 'seed the deterministic demo dataset (once; a second run does nothing)')
    .option('--customer <id>', 'customer id of the synthetic customer', parseCustomerId)
    .addOption(new Option('--brand <brand>', 'brand of the synthetic customer').choices(BRANDS))
    .option('--photos <n>', 'uploaded photos', parseCount, 10)
    .option('--photo-bytes <bytes>', 'size of every photo file in bytes', parseCount, 200_000)
    .option('--orders <k>', 'orders', parseCount, 3)
    .option('--contacts <c>', 'customer-service contacts (every third a recorded call)', parseCount, 1)
    .option('--library-photos <n>', 'photo-library files (fotoknudsen and onskefoto only)', parseCount, 0);
  return withAwsOptions(command).action(async (options: SeedOptions) => {
    if (options.demo && (options.customer || options.brand)) command.error('error: --demo cannot be combined with --customer/--brand');
    if (!options.demo && !(options.customer && options.brand)) command.error('error: give --demo, or both --customer <id> and --brand <brand>');
    const aws = await cliAws(options);
    try {
      if (options.demo) {
        const result = await seedDemoData(aws);
        console.log(JSON.stringify({ seeded: result.seeded, customers: result.customers.length, customerIds: result.customers.map((c) => c.customerId) }));
        return;
      }
      const result = await seedSyntheticCustomer(aws, {
        customerId: options.customer!,
        brand: options.brand!,
        photos: options.photos,
        photoBytes: options.photoBytes,
        orders: options.orders,
        contacts: options.contacts,
        libraryPhotos: options.libraryPhotos,
      });
      console.log(JSON.stringify(result));
    } finally {
      aws.destroy();
    }
  });
}
