import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors';
import { getFunction } from '../../functions/catalog';
import { DATA_MAP } from '../../functions/core/data-map';
import { readdirSync } from 'node:fs';
import { manifestKey, resultsPrefix } from '../../functions/core/retention/plan';
import { DEFAULT_SETTINGS_ENVIRONMENT } from '../fixtures/default-settings-environment';
import {
  FUNCTION_SETTINGS,
  functionEnvironment,
  readFunctionMap,
  readFunctionSettings,
  REQUEST_WORKFLOWS,
  settingsEnvironment,
  WORKFLOWS,
  workflowSpec,
} from '../../functions/core/settings';

describe('readFunctionMap', () => {
  it('parses a JSON map of store ids to function names', () => {
    expect(readFunctionMap({ DSR_ERASE_FUNCTIONS: '{"orders":"dsr-erase-orders"}' }, 'DSR_ERASE_FUNCTIONS')).toEqual({ orders: 'dsr-erase-orders' });
  });

  it('is an empty map when the variable is unset or empty', () => {
    expect(readFunctionMap({}, 'DSR_ERASE_FUNCTIONS')).toEqual({});
    expect(readFunctionMap({ DSR_ERASE_FUNCTIONS: '' }, 'DSR_ERASE_FUNCTIONS')).toEqual({});
  });

  it.each(['not json', '["a"]', '{"orders":""}', '{"orders":1}'])('names the variable when the value %j is not a JSON map of names', (bad) => {
    const attempt = () => readFunctionMap({ DSR_COLLECT_FUNCTIONS: bad }, 'DSR_COLLECT_FUNCTIONS');

    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/DSR_COLLECT_FUNCTIONS must be JSON/);
  });
});

describe('readFunctionSettings and settingsEnvironment', () => {
  it('reads the documented defaults when nothing is set, and an empty variable counts as unset', () => {
    // Act
    const settings = readFunctionSettings({ DSR_EXPORT_VOLUME_BYTES: '' });

    // Assert
    expect(settings).toMatchObject({
      erasureCoolingOffSeconds: 604800,
      downloadUrlTtlSeconds: 900,
      exportVolumeBytes: 2 * 1024 ** 3,
      exportPartBytes: 8 * 1024 ** 2,
      exportUploadConcurrency: 4,
      erasureBatchMaxAttempts: 8,
      erasureBatchBaseDelayMs: 50,
      callbackMaxAttempts: 5,
      callbackBaseDelayMs: 1000,
      eventBusName: 'dsr',
      notificationAckDays: 14,
    });
  });

  it('round-trips every setting through its variable', () => {
    // Arrange
    const settings = { ...readFunctionSettings({}), erasureCoolingOffSeconds: 30, eventBusName: 'bus-1', exportUploadConcurrency: 2 };

    // Act
    const environment = settingsEnvironment(settings);

    // Assert
    expect(Object.keys(environment).sort()).toEqual(Object.values(FUNCTION_SETTINGS).map((entry) => entry.env).sort());
    expect(environment).toMatchObject({ DSR_ERASURE_COOLING_OFF_SECONDS: '30', DSR_EVENT_BUS_NAME: 'bus-1', DSR_EXPORT_UPLOAD_CONCURRENCY: '2' });
    expect(readFunctionSettings(environment)).toEqual(settings);
  });

  it.each([
    ['DSR_ERASURE_COOLING_OFF_SECONDS', '-1'],
    ['DSR_DOWNLOAD_URL_TTL_SECONDS', '30'],
    ['DSR_EXPORT_UPLOAD_CONCURRENCY', '17'],
    ['DSR_ERASURE_BATCH_MAX_ATTEMPTS', 'many'],
    ['DSR_NOTIFICATION_ACK_DAYS', '0'],
  ])('refuses %s=%s with a ConfigurationError naming it', (variable, value) => {
    const attempt = () => readFunctionSettings({ [variable]: value });

    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(new RegExp(`^${variable}: \\S`));
  });

  it('says what is wrong with a refused value', () => {
    expect(() => readFunctionSettings({ DSR_DOWNLOAD_URL_TTL_SECONDS: '30' })).toThrow(/^DSR_DOWNLOAD_URL_TTL_SECONDS: .*60/);
  });
});

describe('functionEnvironment', () => {
  it('gives every function the settings, the service name, every store name, the workflow ARNs and the per-store function maps', () => {
    // Arrange
    const notAStore = { ...getFunction('erase-orders'), id: 'erase-nothing' };
    const catalog = [getFunction('collect-orders'), getFunction('erase-orders'), getFunction('collect-exports'), getFunction('api'), notAStore];

    // Act
    const environment = functionEnvironment({
      settings: readFunctionSettings({}),
      catalog,
      storeName: (store) => `name-of-${store.id}`,
      stateMachineArn: (workflow) => `arn:sm:${workflow}`,
      functionArn: (id) => `arn:fn:${id}`,
      toJson: (value) => `json:${JSON.stringify(value)}`,
    });

    // Assert
    expect(environment).toMatchObject({ DSR_EVENT_BUS_NAME: 'dsr', POWERTOOLS_SERVICE_NAME: 'dsr', DSR_EXPORT_STATE_MACHINE_ARN: 'arn:sm:export', DSR_ERASURE_STATE_MACHINE_ARN: 'arn:sm:erasure' });
    for (const store of DATA_MAP) expect(environment[store.resource.env]).toBe(`name-of-${store.id}`);
    for (const workflow of WORKFLOWS) expect(environment[workflow.env]).toBe(`arn:sm:${workflow.name}`);
    expect(environment.DSR_COLLECT_FUNCTIONS).toBe('json:{"orders":"arn:fn:collect-orders","exports":"arn:fn:collect-exports"}');
    expect(environment.DSR_ERASE_FUNCTIONS).toBe('json:{"orders":"arn:fn:erase-orders"}');
  });

  it('writes the maps as plain JSON by default', () => {
    // Act
    const environment = functionEnvironment({
      settings: readFunctionSettings({}),
      catalog: [getFunction('erase-marketing')],
      storeName: (store) => store.id,
      stateMachineArn: (workflow) => workflow,
      functionArn: (id) => id,
    });

    // Assert
    expect(JSON.parse(environment.DSR_ERASE_FUNCTIONS!)).toEqual({ marketing: 'erase-marketing' });
    expect(JSON.parse(environment.DSR_COLLECT_FUNCTIONS!)).toEqual({});
  });
});

describe('the runtime settings\' variables, defaults and limits', () => {
  it('gives every function these variables with these defaults (the names the stack, the local runtime and docs use)', () => {
    // Act
    const settings = readFunctionSettings({});
    const environment = settingsEnvironment(settings);

    // Assert
    expect(settings).toEqual({
      consentWithdrawalTargetHours: 72,
      erasureCoolingOffSeconds: 7 * 24 * 3600,
      downloadUrlTtlSeconds: 900,
      exportVolumeBytes: 2 * 1024 ** 3,
      exportPartBytes: 8 * 1024 ** 2,
      exportUploadConcurrency: 4,
      exportFetchBudgetBytes: 64 * 1024 ** 2,
      exportFetchConcurrency: 16,
      erasureConcurrency: 8,
      erasureBatchMaxAttempts: 8,
      erasureBatchBaseDelayMs: 50,
      inactiveAccountMonths: 36,
      inactiveAccountErasure: 'enabled',
      retentionScanSegments: 8,
      retentionSegmentItems: 50_000,
      retentionMaxConcurrency: 16,
      callbackMaxAttempts: 5,
      callbackBaseDelayMs: 1000,
      eventBusName: 'dsr',
      notificationAckDays: 14,
    });
    expect(environment).toEqual(DEFAULT_SETTINGS_ENVIRONMENT);
  });

  it.each([
    ['DSR_CONSENT_WITHDRAWAL_TARGET_HOURS', '720', '721', 'consentWithdrawalTargetHours', 720],
    ['DSR_DOWNLOAD_URL_TTL_SECONDS', '604800', '604801', 'downloadUrlTtlSeconds', 604_800],
    ['DSR_EXPORT_PART_BYTES', '5242880', '5242879', 'exportPartBytes', 5 * 1024 ** 2],
    ['DSR_INACTIVE_ACCOUNT_ERASURE', 'disabled', 'off', 'inactiveAccountErasure', 'disabled'],
  ])('takes %s=%s (its limit) and refuses %s', (variable, limit, beyond, key, value) => {
    // Act
    const settings = readFunctionSettings({ [variable]: limit });
    const attempt = () => readFunctionSettings({ [variable]: beyond });

    // Assert
    expect(settings[key as keyof typeof settings]).toBe(value);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(new RegExp(`^${variable}: \\S`));
  });
});

describe('WORKFLOWS', () => {
  it('has one workflow per state machine file, each with its ARN variable; the request workflows are all but the scheduled retention sweep', () => {
    // Arrange
    const files = readdirSync(new URL('../../statemachines', import.meta.url)).map((file) => file.replace(/\.asl\.json$/, ''));

    // Assert
    expect(WORKFLOWS.map((workflow) => workflow.name).sort()).toEqual(files.sort());
    expect(Object.fromEntries(WORKFLOWS.map((workflow) => [workflow.name, workflow.env]))).toEqual({
      export: 'DSR_EXPORT_STATE_MACHINE_ARN',
      erasure: 'DSR_ERASURE_STATE_MACHINE_ARN',
      restriction: 'DSR_RESTRICTION_STATE_MACHINE_ARN',
      objection: 'DSR_OBJECTION_STATE_MACHINE_ARN',
      rectification: 'DSR_RECTIFICATION_STATE_MACHINE_ARN',
      'consent-withdrawal': 'DSR_CONSENT_WITHDRAWAL_STATE_MACHINE_ARN',
      retention: 'DSR_RETENTION_STATE_MACHINE_ARN',
    });
    expect(REQUEST_WORKFLOWS.map((workflow) => workflow.name)).toEqual(['export', 'erasure', 'restriction', 'objection', 'rectification', 'consent-withdrawal']);
  });

  it('lets only the export and erasure invoke per-store functions, and runs the retention sweep daily', () => {
    // Assert
    expect(Object.fromEntries(WORKFLOWS.map((workflow) => [workflow.name, workflow.dynamicFunctionPrefixes]))).toEqual({
      export: ['collect-'],
      erasure: ['collect-', 'erase-'],
      restriction: [],
      objection: [],
      rectification: [],
      'consent-withdrawal': [],
      retention: [],
    });
    expect(workflowSpec('retention')?.schedule).toBe('rate(1 day)');
    expect(workflowSpec('export')).toEqual({ name: 'export', env: 'DSR_EXPORT_STATE_MACHINE_ARN', dynamicFunctionPrefixes: ['collect-'] });
    expect(workflowSpec('retentions')).toBeUndefined();
  });

  it('grants the retention sweep\'s Distributed Map the work-file keys (exports bucket) the planner writes its manifest to and has results written under', () => {
    // Arrange: IAM key patterns, `*` spanning any characters
    const { distributedMap } = workflowSpec('retention')!;
    const matches = (pattern: string, key: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, '\\$&')).join('.*')}$`).test(key);

    // Assert
    expect(distributedMap?.store).toBe('exports');
    expect(DATA_MAP.some((store) => store.id === 'exports' && store.kind === 's3-bucket')).toBe(true);
    expect(matches(distributedMap!.itemReaderKeys, manifestKey('2026-03-10T02-00-00Z'))).toBe(true);
    expect(matches(distributedMap!.itemReaderKeys, 'retention/2026-03-10T02-00-00Z/run.json')).toBe(false);
    expect(matches(distributedMap!.itemReaderKeys, 'retention/2026-03-10T02-00-00Z/expired/orders/0.json')).toBe(false);
    expect(matches(distributedMap!.resultWriterKeys, `${resultsPrefix('2026-03-10T02-00-00Z')}/0f3c9a3e-map-run/SUCCEEDED_0.json`)).toBe(true);
    expect(matches(distributedMap!.resultWriterKeys, 'retention/2026-03-10T02-00-00Z/segments.json')).toBe(false);
  });
});
