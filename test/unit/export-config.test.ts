import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors';
import { exportConfig } from '../../functions/core/export/config';

const MIB = 1024 * 1024;

describe('exportConfig', () => {
  it('has the documented defaults', () => {
    expect(exportConfig({})).toStrictEqual({
      exportsBucket: 'dsr-exports',
      volumeBytes: 2 * 1024 * MIB,
      partBytes: 8 * MIB,
      uploadConcurrency: 4,
      fetchBudgetBytes: 64 * MIB,
      fetchConcurrency: 16,
      collectFunctions: {},
    });
  });

  it('reads every setting from the environment', () => {
    const config = exportConfig({
      DSR_BUCKET_EXPORTS: 'exports-bucket',
      DSR_EXPORT_VOLUME_BYTES: '1000',
      DSR_EXPORT_PART_BYTES: String(6 * MIB),
      DSR_EXPORT_UPLOAD_CONCURRENCY: '2',
      DSR_EXPORT_FETCH_BUDGET_BYTES: String(2 * MIB),
      DSR_EXPORT_FETCH_CONCURRENCY: '3',
      DSR_COLLECT_FUNCTIONS: '{"orders":"collect-orders"}',
    });

    expect(config).toStrictEqual({
      exportsBucket: 'exports-bucket',
      volumeBytes: 1000,
      partBytes: 6 * MIB,
      uploadConcurrency: 2,
      fetchBudgetBytes: 2 * MIB,
      fetchConcurrency: 3,
      collectFunctions: { orders: 'collect-orders' },
    });
  });

  it('refuses an invalid setting with ConfigurationError', () => {
    expect(() => exportConfig({ DSR_EXPORT_PART_BYTES: '1' })).toThrow(ConfigurationError);
    expect(() => exportConfig({ DSR_COLLECT_FUNCTIONS: 'not json' })).toThrow(ConfigurationError);
  });
});
