import { describe, expect, it } from 'vitest';
import { cellText, ColumnSet, csvLine, csvRow, flattenRecord } from '../../functions/core/export/tabular';

describe('CSV', () => {
  it('quotes per RFC 4180: commas, quotes and line breaks', () => {
    const line = csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines']);

    expect(line).toBe('plain,"a,b","say ""hi""","two\nlines"\r\n');
  });

  it('flattens nested objects into dotted columns and keeps arrays as JSON', () => {
    const record = { orderId: 'o1', shippingAddress: { city: 'Amsterdam', country: 'NL' }, lines: [{ sku: 'A' }], note: null };

    const flat = flattenRecord(record);
    const row = csvRow(record, ['orderId', 'shippingAddress.city', 'lines', 'missing']);

    expect(flat).toEqual({ orderId: 'o1', 'shippingAddress.city': 'Amsterdam', 'shippingAddress.country': 'NL', lines: '[{"sku":"A"}]', note: '' });
    expect(row).toBe('o1,Amsterdam,"[{""sku"":""A""}]",\r\n');
  });

  it('collects columns in first-seen order', () => {
    const columns = new ColumnSet();

    columns.add(['a', 'b']);
    columns.add(['b', 'c']);

    expect(columns.columns).toEqual(['a', 'b', 'c']);
  });
});

describe('cellText', () => {
  it.each([
    [null, ''],
    [undefined, ''],
    ['text', 'text'],
    [7, '7'],
    [false, 'false'],
    [12345678901234567890n, '12345678901234567890'],
    [[1, 'a'], '[1,"a"]'],
    [{ a: 1 }, '{"a":1}'],
  ])('%s → %s', (value, text) => {
    expect(cellText(value)).toBe(text);
  });
});
