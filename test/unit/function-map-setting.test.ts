import { describe, expect, it } from 'vitest';
import { functionMapSetting } from '../../functions/core/function-map-setting';

describe('functionMapSetting', () => {
  const schema = functionMapSetting('DSR_ERASE_FUNCTIONS');

  it('parses a JSON map of store ids to function names', () => {
    expect(schema.parse('{"orders":"dsr-erase-orders"}')).toEqual({ orders: 'dsr-erase-orders' });
  });

  it('is an empty map when the variable is unset', () => {
    expect(schema.parse(undefined)).toEqual({});
  });

  it('names the variable when the value is not a JSON map of names', () => {
    for (const bad of ['not json', '["a"]', '{"orders":""}', '{"orders":1}']) {
      expect(() => schema.parse(bad)).toThrow(/DSR_ERASE_FUNCTIONS must be JSON/);
    }
  });
});
