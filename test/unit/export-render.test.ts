import { describe, expect, it } from 'vitest';
import { formatMinorUnits, renderIndexHtml, renderValue, type TableSource } from '../../functions/core/export/index-html';
import type { ExportPlan } from '../../functions/core/export/plan';
import { ColumnSet, csvLine, csvRow, flattenRecord } from '../../functions/core/export/tabular';

async function text(chunks: AsyncIterable<string>): Promise<string> {
  let all = '';
  for await (const chunk of chunks) all += chunk;
  return all;
}

async function* records<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

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

describe('index.html', () => {
  const plan: ExportPlan = {
    requestId: 'r-<1>',
    brand: 'albelli',
    generatedAt: '2025-06-01T00:00:00.000Z',
    tables: [{ store: 'orders', stagingKey: 'staging/r/orders.jsonl', items: 2 }],
    stores: {
      'customer-profile': { items: 0, bytes: 0 },
      orders: { items: 2, bytes: 100 },
      'uploaded-photos': { items: 1, bytes: 10 },
      'smart-creation': { items: 0, bytes: 0 },
    },
    volumes: [
      {
        volume: 1,
        fileName: 'volume-1.zip',
        manifest: 'manifest.json',
        files: [
          {
            store: 'uploaded-photos',
            key: 'customers/c1/u1/x.jpg',
            size: 10,
            path: 'files/uploaded-photos/<img src=x onerror=alert(1)> #1.jpg',
            stored: true,
          },
        ],
      },
    ],
  };
  const tables = new Map<string, TableSource>([
    [
      'orders',
      {
        store: 'orders',
        columns: ['orderId', 'customerNote'],
        records: () => records([{ orderId: 'o1', customerNote: '<script>alert("x")</script>' }, { orderId: 'o2', customerNote: 'Tom & Jerry' }]),
      },
    ],
  ]);

  it('escapes every value and links files by URL-encoded relative path', async () => {
    const html = await text(renderIndexHtml(plan, tables));

    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('Tom &amp; Jerry');
    expect(html).toContain('src="files/uploaded-photos/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%20%231.jpg"');
    expect(html).toContain('r-&lt;1&gt;');
  });

  it('has the Art. 15(1) information, the rights, the authority and no external resources', async () => {
    const html = await text(renderIndexHtml(plan, tables));

    for (const phrase of ['Purpose', 'Legal basis', 'Recipients', 'Retention', 'Source', 'Rectification', 'Erasure', 'Restriction', 'Object', 'portability', 'Withdraw your consent', 'Autoriteit Persoonsgegevens', 'How this automated processing works', 'volume-1.zip']) {
      expect(html).toContain(phrase);
    }
    expect(html).toContain('We hold no data of yours in this category.');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script|<link /);
  });

  it('counts each category in words that agree with the number', async () => {
    const html = await text(renderIndexHtml(plan, tables));

    expect(html).toContain('Your data (2 records)');
    expect(html).toContain('Your data (1 file)');
    expect(html).toContain('Your data (0 records)');
  });

  it('shows minor-unit amounts to people in their currency, nested ones with the nearest currency', async () => {
    const orders = new Map<string, TableSource>([
      [
        'orders',
        {
          store: 'orders',
          columns: ['orderId', 'currency', 'grossAmount', 'lines', 'quantity'],
          records: () =>
            records([
              { orderId: 'o1', currency: 'NOK', grossAmount: 26393, lines: [{ unitPrice: 1250, quantity: 3 }], quantity: 7 },
              { orderId: 'o2', currency: 'EUR', grossAmount: 5, lines: [], quantity: 1 },
            ]),
        },
      ],
    ]);

    const html = await text(renderIndexHtml(plan, orders));

    expect(html).toContain('<td>NOK 263.93</td>');
    expect(html).toContain('<b>unitPrice</b>: NOK 12.50');
    expect(html).toContain('<b>quantity</b>: 3');
    expect(html).toContain('<td>EUR 0.05</td>');
    expect(html).toContain('<td>7</td>');
    expect(html).toContain('whole minor units');
  });

  it('formats minor units with the currency\'s own decimals', () => {
    expect(formatMinorUnits(123456, 'SEK')).toBe('SEK 1,234.56');
    expect(formatMinorUnits(500, 'JPY')).toBe('JPY 500');
  });

  it('renders nested values as escaped lists', () => {
    const rendered = renderValue({ street: 'A <b>', lines: [1, 'x&y'] });

    expect(rendered).toBe('<ul class="kv"><li><b>street</b>: A &lt;b&gt;</li><li><b>lines</b>: <ul class="list"><li>1</li><li>x&amp;y</li></ul></li></ul>');
  });
});
