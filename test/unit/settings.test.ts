import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors';
import { readFunctionMap } from '../../functions/core/settings';

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
