import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors';
import { FUNCTION_SETTINGS, readFunctionSettings, settingsEnvironment } from '../../functions/core/settings';
import { resolveSettings } from '../../infra/settings';
import { DEFAULT_SETTINGS_ENVIRONMENT } from '../fixtures/default-settings-environment';

/** Settings: defaults, context strings (`-c key=value`), props over context, validation. */

describe('settings', () => {
  it('applies the documented defaults', () => {
    // Act
    const settings = resolveSettings(() => undefined);

    // Assert
    expect(settings).toMatchObject({
      prefix: 'dsr',
      eventBusName: 'dsr',
      importStores: {},
      importExisting: false,
      erasureCoolingOffSeconds: 604800,
      downloadUrlTtlSeconds: 900,
      exportVolumeBytes: 2147483648,
      exportsExpiryDays: 7,
      stagingExpiryDays: 1,
      auditRetentionDays: 2557,
      logRetentionDays: 90,
      accessLogRetentionDays: 90,
      noncurrentVersionExpirationDays: 30,
    });
  });

  it('parses context strings and lets props win over context', () => {
    // Arrange
    const context: Record<string, unknown> = { erasureCoolingOffSeconds: '60', importExisting: 'true', importStores: '{"orders":"prod-orders"}', prefix: 'acme' };

    // Act
    const settings = resolveSettings((key) => context[key], { prefix: 'dsr-test' });

    // Assert
    expect(settings).toMatchObject({ erasureCoolingOffSeconds: 60, importExisting: true, importStores: { orders: 'prod-orders' }, prefix: 'dsr-test' });
  });

  it('rejects values AWS would refuse at deploy time', () => {
    // Act / Assert
    expect(() => resolveSettings((key) => (key === 'logRetentionDays' ? '45' : undefined))).toThrow(/retention/);
    expect(() => resolveSettings((key) => (key === 'downloadUrlTtlSeconds' ? 8 * 24 * 3600 : undefined))).toThrow();
    expect(() => resolveSettings((key) => (key === 'prefix' ? 'Bad_Prefix' : undefined))).toThrow();
  });

  it('turns the settings into the DSR_* environment of every function', () => {
    // Act
    const environment = settingsEnvironment(resolveSettings(() => undefined, { erasureCoolingOffSeconds: 30 }));

    // Assert
    expect(environment).toEqual({ ...DEFAULT_SETTINGS_ENVIRONMENT, DSR_ERASURE_COOLING_OFF_SECONDS: '30' });
  });

  it('reads back in a function exactly what the stack wrote, with the same defaults when a variable is unset', () => {
    // Arrange
    const stack = resolveSettings(() => undefined, { exportUploadConcurrency: 8, eventBusName: 'bus' });

    // Act
    const read = readFunctionSettings(settingsEnvironment(stack));
    const unset = readFunctionSettings({});

    // Assert
    expect(read).toEqual(Object.fromEntries(Object.keys(FUNCTION_SETTINGS).map((key) => [key, stack[key as keyof typeof stack]])));
    expect(unset).toEqual(Object.fromEntries(Object.keys(FUNCTION_SETTINGS).map((key) => [key, resolveSettings(() => undefined)[key as keyof typeof stack]])));
  });

  it('fails a function on an invalid setting with a ConfigurationError naming the variable', () => {
    // Act
    const attempt = () => readFunctionSettings({ DSR_EXPORT_PART_BYTES: '1024' });

    // Assert
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/DSR_EXPORT_PART_BYTES/);
  });
});
