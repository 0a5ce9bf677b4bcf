import { describe, expect, it } from 'vitest';
import { pageContext, renderIndexHtml, renderValue, type TableSource } from '../../functions/core/export/index-html';
import { getStore } from '../../functions/core/data-map';
import type { ExportPlan } from '../../functions/core/export/plan';

async function text(chunks: AsyncIterable<string>): Promise<string> {
  let all = '';
  for await (const chunk of chunks) all += chunk;
  return all;
}

async function* records<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('index.html', () => {
  const plan: ExportPlan = {
    requestId: 'r-<1>',
    brand: 'albelli',
    generatedAt: '2025-06-01T00:00:00.000Z',
    locale: 'en-GB',
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

  it('shows a file by its original name and its metadata in words, escaped, linking its archive path; without details, by its archive name', async () => {
    const path = plan.volumes[0]!.files[0]!.path;
    const details = new Map([[path, { originalName: 'Zee & <strand>.jpg', contentType: 'image/jpeg', metadata: { 'uploaded-at': '2025-03-04T05:06:07.000Z', brand: 'albelli' } }]]);

    const named = await text(renderIndexHtml(plan, tables, details));
    const unnamed = await text(renderIndexHtml(plan, tables));

    expect(named).toContain('alt="Zee &amp; &lt;strand&gt;.jpg"');
    expect(named).toContain('>Zee &amp; &lt;strand&gt;.jpg</a>');
    expect(named).toContain('title="files/uploaded-photos/&lt;img src=x onerror=alert(1)&gt; #1.jpg"');
    expect(named).toMatch(/<br>Uploaded: [^<]*4 March 2025[^<]*<br>Brand: albelli<\/figcaption>/);
    expect(unnamed).toContain('>&lt;img src=x onerror=alert(1)&gt; #1.jpg</a>');
    expect(unnamed).not.toContain('Uploaded:');
  });

  it('has the Art. 15(1) information, the rights, the authority and no external resources', async () => {
    const html = await text(renderIndexHtml(plan, tables));

    for (const phrase of ['Purpose', 'Legal basis', 'Recipients', 'How long we keep it', 'Where it comes from', 'Rectification', 'Erasure', 'Restriction', 'Object', 'portability', 'Withdraw your consent', 'Autoriteit Persoonsgegevens', 'How this automated processing works', 'volume-1.zip']) {
      expect(html).toContain(phrase);
    }
    expect(html).toContain('We hold no data of yours in this category.');
    expect(html).not.toMatch(/src="(https?:)?\/\//);
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

    expect(html).toContain('<td>NOK\u00a0263.93</td>');
    expect(html).toContain('<b>Unit price (excl. VAT)</b>: NOK\u00a012.50');
    expect(html).toContain('<b>Quantity</b>: 3');
    expect(html).toContain('<td>€0.05</td>');
    expect(html).toContain('<td>7</td>');
    expect(html).toContain('whole cents');
  });

  it('labels columns for people and keeps the stored names only in the glossary of the machine-readable files', async () => {
    // Act
    const html = await text(renderIndexHtml(plan, tables));

    // Assert
    expect(html).toContain('<th>Internal order id</th><th>Your note</th>');
    expect(html).toContain('<dt><code>orderId</code></dt><dd>Internal order id</dd>');
    expect(html).not.toContain('<th>orderId</th>');
  });

  it('lists the CSV file\'s dotted columns in the glossary when the builder knows them', async () => {
    // Arrange
    const withCsv = new Map([['orders', { ...tables.get('orders')!, csvColumns: ['orderId', 'shippingAddress.city'] }]]);

    // Act
    const html = await text(renderIndexHtml(plan, withCsv));

    // Assert
    expect(html).toContain('<dt><code>shippingAddress.city</code></dt><dd>Town or city</dd>');
  });

  it('renders nested values as escaped lists with labels, addresses as addresses and codes as words', () => {
    // Arrange
    const context = pageContext({ ...plan, locale: 'de-DE' }, undefined);
    const site = { store: getStore('orders'), path: 'lines', currency: 'EUR' };

    // Act
    const line = renderValue(context, site, { sku: 'A <b>', unitPrice: 1250, photoKeys: ['x&y'] });
    const address = renderValue(context, { store: getStore('customer-profile'), path: 'addresses' }, [{ type: 'home', street: 'Hauptstraße 1', postalCode: '10115', city: 'Berlin', country: 'DE' }]);
    const status = renderValue(context, { store: getStore('orders'), path: 'paymentStatus' }, 'refunded');
    const unknown = renderValue(context, { store: getStore('orders'), path: 'paymentStatus' }, 'bartered');

    // Assert
    expect(line).toBe('<ul class="kv"><li><b>Artikelnummer</b>: A &lt;b&gt;</li><li><b>Stückpreis (ohne USt.)</b>: 12,50\u00a0€</li><li><b>Verwendete Fotos</b>: <ul class="list"><li>x&amp;y</li></ul></li></ul>');
    expect(address).toBe('<ul class="list"><li><address><b>Wohnanschrift</b><br>Hauptstraße 1<br>10115 Berlin<br>Deutschland</address></li></ul>');
    expect(status).toBe('erstattet');
    expect(unknown).toBe('bartered');
  });
});

describe('page context', () => {
  const base: ExportPlan = { requestId: 'r1', brand: 'fotoknudsen', generatedAt: '2025-06-01T00:00:00.000Z', tables: [], stores: {}, volumes: [] };

  it('names the authority and time zone of the profile\'s country, in the profile\'s language', () => {
    // Act
    const context = pageContext(base, { locale: 'de-DE', country: 'DE' });

    // Assert
    expect(context.locale).toEqual({ tag: 'de-DE', language: 'de', source: 'profile' });
    expect(context.country).toBe('DE');
    expect(context.format.timeZone).toBe('Europe/Berlin');
  });

  it('falls back to the brand\'s home market for the authority, the time zone and the language', () => {
    // Act
    const context = pageContext(base, undefined);

    // Assert
    expect(context.locale).toEqual({ tag: 'nb-NO', language: 'nb', source: 'brand' });
    expect(context.country).toBe('NO');
    expect(context.format.timeZone).toBe('Europe/Oslo');
  });

  it('keeps the requested language while the authority follows where the customer lives', async () => {
    // Act
    const html = await text(renderIndexHtml({ ...base, brand: 'albelli', locale: 'fr-BE', stores: {} }, new Map([['customer-profile', { store: 'customer-profile', columns: [], records: () => records([{ locale: 'nl-BE', country: 'BE' }]) }]])));

    // Assert
    expect(html).toContain('<html lang="fr-BE">');
    expect(html).toContain('<b>Autorité de protection des données</b>');
    expect(html).toContain('Rue de la Presse 35');
    expect(html).toContain('Autoriteit Persoonsgegevens');
  });

  it('names the Autoriteit Persoonsgegevens once for a Dutch customer, as national and lead authority', async () => {
    // Act
    const html = await text(renderIndexHtml({ ...base, brand: 'albelli', locale: 'en-GB' }, new Map([['customer-profile', { store: 'customer-profile', columns: [], records: () => records([{ country: 'NL' }]) }]])));

    // Assert
    expect(html.match(/<b>Autoriteit Persoonsgegevens<\/b>/g)).toHaveLength(1);
    expect(html).toContain('The Autoriteit Persoonsgegevens is also the lead supervisory authority');
  });

  it('names the ICO under the UK GDPR for a British customer, and the Länder authorities for a German one', async () => {
    // Act
    const british = await text(renderIndexHtml({ ...base, brand: 'bonusprint' }, new Map([['customer-profile', { store: 'customer-profile', columns: [], records: () => records([{ locale: 'en-GB', country: 'GB' }]) }]])));
    const german = await text(renderIndexHtml({ ...base, brand: 'albelli' }, new Map([['customer-profile', { store: 'customer-profile', columns: [], records: () => records([{ locale: 'de-DE', country: 'DE' }]) }]])));

    // Assert
    expect(british).toContain('Information Commissioner&#39;s Office (ICO)');
    expect(british).toContain('UK GDPR');
    expect(german).toContain('Bundesbeauftragte für den Datenschutz');
    expect(german).toContain('Datenschutzaufsichtsbehörde Ihres Bundeslandes');
  });
});
