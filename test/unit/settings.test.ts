import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors';
import { getFunction } from '../../functions/catalog';
import { DATA_MAP } from '../../functions/core/data-map';
import { FUNCTION_SETTINGS, functionEnvironment, readFunctionMap, readFunctionSettings, settingsEnvironment } from '../../functions/core/settings';

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
