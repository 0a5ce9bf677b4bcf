import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { CONSENT_WITHDRAWAL_METRICS } from '../functions/core/consent-withdrawal';
import { ACCESS_LOG_RETENTION_DAYS } from '../functions/core/data-map';
import { functionSettingsSchema, POWERTOOLS_SERVICE_NAME } from '../functions/core/settings';

/**
 * Every setting of the DSR stack: the functions' runtime settings (declared once in
 * functions/core/settings.ts with their `DSR_*` variables) and the deploy-time ones below, each by its
 * context key (`npx cdk deploy -c KEY=VALUE` or `cdk.json` "context"). Stack props override context;
 * context overrides the defaults.
 */

/** A business store to import instead of create: its physical name, and the KMS key encrypting it when it has one. */
const importedStoreSchema = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), kmsKeyArn: z.string().startsWith('arn:').optional() }),
]);

/** A business store to import: a bare name, or a name with the ARN of its KMS key. */
export type ImportedStore = z.infer<typeof importedStoreSchema>;

/** Context values arrive as strings from `-c key=value`; objects may arrive as JSON text. */
const jsonObject = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' ? JSON.parse(value) : value), schema);

/** Booleans arrive as `true`/`"true"`. */
const flag = z.preprocess((value) => (typeof value === 'string' ? value === 'true' : value), z.boolean());

/** The schema (and defaults) of every setting: the functions' runtime settings (`FUNCTION_SETTINGS`) and the deploy-time ones. */
export const settingsSchema = functionSettingsSchema.extend({
  /** Prefix of the fixed physical names: functions `<prefix>-<id>`, state machines `<prefix>-<workflow>`. */
  prefix: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/).default('dsr'),
  /** Business stores to import by physical name instead of creating them: `{ "orders": "prod-orders" }`. */
  importStores: jsonObject(z.record(z.string(), importedStoreSchema)).default({}),
  /** Import every business store under its `resourceName()` (env override or `dsr-<store>` default). */
  importExisting: flag.default(false),
  /** Days export archives (`exports/` prefix) live before the lifecycle rule expires them. */
  exportsExpiryDays: z.coerce.number().int().min(1).default(7),
  /** Days export staging data (`staging/` prefix) lives before the lifecycle rule expires it. */
  stagingExpiryDays: z.coerce.number().int().min(1).default(1),
  /** Default S3 Object Lock (governance) retention of erasure certificates, in days (7 years). */
  auditRetentionDays: z.coerce.number().int().min(1).default(2557),
  /** Retention of function, workflow and API access log groups, in days. */
  logRetentionDays: z.coerce
    .number()
    .int()
    .refine((days) => (Object.values(RetentionDays) as unknown[]).includes(days), 'must be a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, ...)')
    .default(90),
  /** Days the S3 server access logs of the created buckets are kept (default from the data map). */
  accessLogRetentionDays: z.coerce.number().int().min(1).default(ACCESS_LOG_RETENTION_DAYS),
  /** Days a noncurrent object version in a created business file bucket (photos, library, recordings) is kept. */
  noncurrentVersionExpirationDays: z.coerce.number().int().min(1).default(30),
  /** Steady-state request rate of the REST API stage (requests per second). */
  apiThrottleRateLimit: z.coerce.number().min(1).default(20),
  /** Burst limit of the REST API stage. */
  apiThrottleBurstLimit: z.coerce.number().int().min(1).default(40),
  /** Per Art. 19 recipient id, the IAM principal ARN (the processor's role) that may consume its queue: `{ "email-marketing-provider": "arn:aws:iam::…:role/esp" }`. */
  recipientConsumers: jsonObject(z.record(z.string(), z.string().startsWith('arn:'))).default({}),
  /** SNS topic ARN the alarms notify; no action when unset. */
  alarmTopicArn: z.string().startsWith('arn:').optional(),
  /** Name of an existing Secrets Manager secret holding the keyed-hash key; a generated secret when unset. */
  hashKeySecretName: z.string().min(1).optional(),
  /** Name of an existing Secrets Manager secret holding the callback HMAC secret; a generated one when unset. */
  callbackSecretName: z.string().min(1).optional(),
});

/** The resolved settings of one stack. */
export type DsrSettings = z.infer<typeof settingsSchema>;

/** Settings as given by stack props or context, before defaults. */
export type DsrSettingsInput = z.input<typeof settingsSchema>;

/** Reads every setting from CDK context (`tryGetContext`), lets `overrides` win, and applies the defaults. */
export function resolveSettings(tryGetContext: (key: string) => unknown, overrides: DsrSettingsInput = {}): DsrSettings {
  const fromContext: Record<string, unknown> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = tryGetContext(key);
    if (value !== undefined) fromContext[key] = value;
  }
  return settingsSchema.parse({ ...fromContext, ...overrides });
}

/** Key prefix of the export archives in the exports bucket (expire after `exportsExpiryDays`). */
export const EXPORTS_PREFIX = 'exports/';

/** Key prefix of the export staging area: collector output and plans (expire after `stagingExpiryDays`). */
export const STAGING_PREFIX = 'staging/';

/**
 * The deadline metrics the scheduled check (functions/deadlines/check-deadlines.ts) publishes through
 * Powertools Metrics (EMF): namespace `DSR`, dimension `service` = the Powertools service name.
 */
export const DEADLINE_METRICS = {
  namespace: 'DSR',
  dimensions: { service: POWERTOOLS_SERVICE_NAME },
  overdue: 'OverdueRequests',
  dueSoon: 'DueSoonRequests',
  consentWithdrawals: CONSENT_WITHDRAWAL_METRICS,
} as const;

/** Environment variables naming the Secrets Manager secrets that functions read at cold start (`functions/shared/secrets.ts`). */
export const SECRET_ENV = { hashKey: 'DSR_HASH_KEY_SECRET_ARN', callbackSecret: 'DSR_CALLBACK_SECRET_ARN' } as const;
