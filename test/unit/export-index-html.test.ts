import { describe, expect, it } from 'vitest';
import { labelOf, pageContext, renderIndexHtml, renderValue, type TableSource } from '../../functions/core/export/index-html';
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
    expect(named).toContain('<br>10 byte<br>Uploaded: 4 March 2025 at 06:06<br>Brand: albelli</figcaption>');
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
    expect(html).toContain('<div class="scroll"><table><thead><tr><th>Internal order id</th><th>Your note</th></tr></thead><tbody><tr><td>o1</td><td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td></tr>\n<tr><td>o2</td><td>Tom &amp; Jerry</td></tr>\n</tbody></table></div>');
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

describe('index.html, part by part', () => {
  /** A two-volume plan of a British bonusprint customer: photos in both volumes, a recording in the second. */
  const plan: ExportPlan = {
    requestId: 'r1',
    brand: 'bonusprint',
    generatedAt: '2025-06-01T00:00:00.000Z',
    locale: 'en-GB',
    tables: [],
    stores: {
      'customer-profile': { items: 1, bytes: 1 },
      'call-recordings': { items: 1, bytes: 10 },
      'uploaded-photos': { items: 2, bytes: 2053 },
      marketing: { items: 0, bytes: 0 },
      'contact-history': { items: 3, bytes: 30 },
      'photo-library': { items: 0, bytes: 0 },
    },
    volumes: [
      { volume: 1, fileName: 'volume-1.zip', manifest: 'manifest.json', files: [{ store: 'uploaded-photos', key: 'customers/c1/u1/a.jpg', size: 2048, path: 'files/uploaded-photos/a.jpg', stored: true }] },
      {
        volume: 2,
        fileName: 'volume-2.zip',
        manifest: 'manifest-2.json',
        files: [
          { store: 'call-recordings', key: 'rec/c1/r.mp3', size: 10, path: 'files/call-recordings/r.mp3', stored: true },
          { store: 'uploaded-photos', key: 'customers/c1/u1/b.pdf', size: 5, path: 'files/uploaded-photos/b.pdf', stored: true },
        ],
      },
    ],
  };
  const profile = (record: Record<string, unknown>): Map<string, TableSource> =>
    new Map([['customer-profile', { store: 'customer-profile', columns: Object.keys(record), records: () => records([record]) }]]);

  /** The section of a store, from its opening tag to its end. */
  function section(html: string, id: string): string {
    const start = html.indexOf(`<section id="${id}">`);
    expect(start, id).toBeGreaterThanOrEqual(0);
    return html.slice(start, html.indexOf('</section>', start) + '</section>'.length);
  }

  it('opens with the title, the request, the parts with their files and manifests, the time zone and the contents', async () => {
    // Act
    const html = await text(renderIndexHtml(plan, profile({ customerId: 'c1', country: 'GB' })));

    // Assert
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">')).toBe(true);
    expect(html).toContain('<title>Your personal data at bonusprint</title>');
    expect(html).toContain('<header><h1>Your personal data at bonusprint</h1>\n<p>A copy of your personal data (GDPR Art. 15 and 20), request r1, received on 1 June 2025 at 01:00.</p></header>');
    expect(html).toContain('<p>This archive consists of 2 parts. Extract all parts into the same folder so that every link on this page works:</p>');
    expect(html).toContain('<ul><li>volume-1.zip: 1 file, listed in manifest.json</li><li>volume-2.zip: 2 files, listed in manifest-2.json</li></ul>');
    expect(html).toContain('<p>The file <code>manifest.json</code> lists every file');
    expect(html).toContain('The folder <code>data/</code> holds your records');
    expect(html).toContain('<p>Dates and times on this page are in the time zone United Kingdom Time.</p>');
    expect(html).toContain(
      '<nav><h3>Contents</h3><ol><li><a href="#customer-profile">Customer profile</a> (1)</li><li><a href="#call-recordings">Recorded phone calls</a> (1)</li><li><a href="#uploaded-photos">Uploaded photos</a> (2)</li><li><a href="#marketing">Marketing preferences and segments</a> (0)</li><li><a href="#contact-history">Customer service contacts</a> (3)</li><li><a href="#photo-library">Photo library (minnebanken / minbildbank)</a> (0)</li><li><a href="#rights">Your rights</a></li><li><a href="#authority">Where to complain</a></li></ol></nav>\n</section>\n',
    );
    expect(html).not.toContain('We hold no personal data about you in any of the categories below.');
    expect(html).toContain('\n<p>For each category this page shows the data we hold about you, why we hold it, on what legal basis, who receives it, how long we keep it and where it comes from.</p>\n');
    expect(html.endsWith('</section>\n</main></body></html>\n')).toBe(true);
  });

  it('says that nothing is held only when every category is empty', async () => {
    // Arrange
    const nothing: ExportPlan = { ...plan, stores: { marketing: { items: 0, bytes: 0 } }, volumes: [{ volume: 1, fileName: 'volume-1.zip', manifest: 'manifest.json', files: [] }] };

    // Act
    const html = await text(renderIndexHtml(nothing, new Map()));

    // Assert
    expect(html).toContain('where it comes from. <strong>We hold no personal data about you in any of the categories below.</strong></p>');
    expect(html).toContain('<p>This archive consists of 1 part.');
    expect(html).toContain('<li>volume-1.zip: 0 files, listed in manifest.json</li>');
    expect(section(html, 'marketing')).toContain('<h3>Your data (0 records)</h3><p class="empty">We hold no data of yours in this category.</p></section>');
  });

  it('shows each file of a file store once, in its own section: a photo as a thumbnail, a recording as a player, another file as a link, with its size and its part', async () => {
    // Act
    const html = await text(renderIndexHtml(plan, profile({ customerId: 'c1', country: 'GB' })));

    // Assert
    expect(section(html, 'uploaded-photos')).toContain(
      '<h3>Your data (2 files)</h3><p>For computer programs: <a href="data/uploaded-photos.json">data/uploaded-photos.json</a>.</p><div class="files">' +
        '<figure><a href="files/uploaded-photos/a.jpg"><img src="files/uploaded-photos/a.jpg" alt="a.jpg" loading="lazy"></a><figcaption><a href="files/uploaded-photos/a.jpg" title="files/uploaded-photos/a.jpg">a.jpg</a><br>2 kB</figcaption></figure>' +
        '<figure><figcaption><a href="files/uploaded-photos/b.pdf" title="files/uploaded-photos/b.pdf">b.pdf</a><br>5 byte · in part 2</figcaption></figure></div></section>',
    );
    expect(section(html, 'call-recordings')).toContain(
      '<h3>Your data (1 file)</h3><p>For computer programs: <a href="data/call-recordings.json">data/call-recordings.json</a>.</p><div class="files"><figure><audio controls preload="none" src="files/call-recordings/r.mp3"></audio><figcaption><a href="files/call-recordings/r.mp3" title="files/call-recordings/r.mp3">r.mp3</a><br>10 byte · in part 2</figcaption></figure></div></section>',
    );
    expect(section(html, 'photo-library')).toContain(
      '<h3>Your data (0 files)</h3><p class="empty">We hold no data of yours in this category.</p><p>For computer programs: <a href="data/photo-library.json">data/photo-library.json</a>.</p></section>',
    );
  });

  it('shows a single record as a label/value table, links its JSON and CSV files, and shows no rows nor links for a store without a source', async () => {
    // Act
    const html = await text(renderIndexHtml(plan, profile({ customerId: 'c1', country: 'GB' })));

    // Assert
    expect(section(html, 'customer-profile')).toContain(
      '<h3>Your data (1 record)</h3><p>For computer programs: <a href="data/customer-profile.json">data/customer-profile.json</a>, <a href="data/customer-profile.csv">data/customer-profile.csv</a>.</p>' +
        '<details><summary>Names used in the machine-readable files</summary><dl class="glossary"><dt><code>customerId</code></dt><dd>Customer number</dd><dt><code>country</code></dt><dd>Country</dd></dl></details>' +
        '<table class="record"><tbody><tr><th scope="row">Customer number</th><td>c1</td></tr><tr><th scope="row">Country</th><td>United Kingdom</td></tr></tbody></table></section>',
    );
    expect(section(html, 'contact-history')).toMatch(/<\/dl><h3>Your data \(3 records\)<\/h3><\/section>$/);
  });

  it('tells each store\'s Art. 15(1) information, with its recipients and their role, and explains automated processing only where there is some', async () => {
    // Act
    const html = await text(renderIndexHtml(plan, profile({ customerId: 'c1', country: 'GB' })));

    // Assert
    const marketing = section(html, 'marketing');
    expect(marketing).toContain('<dl class="about">\n<dt>What we hold</dt><dd>direct-marketing consents and opt-outs (email, SMS, post); marketing segments; social-media audiences</dd>\n<dt>Purpose</dt><dd>');
    expect(marketing).toContain('\n<dt>Legal basis</dt><dd>Legitimate interest (Art. 6(1)(f)); you can object at any time</dd>\n<dt>Recipients</dt><dd><ul class="list">');
    expect(marketing).toContain('<li>Email-marketing service provider (processor, on our behalf; EU)</li><li>Meta Platforms (Facebook and Instagram custom audiences) (independent controller; Ireland and the USA)</li></ul></dd>\n<dt>How long we keep it</dt><dd>Until you object');
    expect(marketing).toContain('\n<dt>Where it comes from</dt><dd>Your account settings, orders and website use</dd>\n</dl><h3>');
    expect(marketing).not.toContain('How this automated processing works');
    const smart = await text(renderIndexHtml({ ...plan, stores: { 'smart-creation': { items: 0, bytes: 0 } } }, new Map()));
    expect(section(smart, 'smart-creation')).toMatch(/<\/dl><h3>How this automated processing works<\/h3><p class="explanation">[^<]+<\/p><h3>Your data \(0 records\)<\/h3>/);
  });

  it('names the recipients and their role in the page\'s language', async () => {
    // Act
    const html = await text(renderIndexHtml({ ...plan, locale: 'de-DE' }, new Map()));

    // Assert
    expect(section(html, 'marketing')).toContain('<li>Dienstleister für E-Mail-Marketing (Auftragsverarbeiter, in unserem Auftrag; EU)</li>');
  });

  it('names the customer\'s authority with its contact details beside the lead authority, and the lead once for a Dutch customer', async () => {
    // Act
    const british = await text(renderIndexHtml(plan, profile({ country: 'GB' })));
    const belgian = await text(renderIndexHtml(plan, profile({ country: 'BE' })));
    const dutch = await text(renderIndexHtml(plan, profile({ country: 'NL' })));

    // Assert
    expect(section(british, 'authority')).toBe(
      '<section id="authority"><h2>Where to complain</h2>\n<p>You have the right to lodge a complaint with the supervisory authority. In the United Kingdom the UK GDPR applies, and the supervisory authority is:</p>' +
        '<div class="authority"><b>Information Commissioner&#39;s Office (ICO)</b><br>\nWebsite: <a href="https://ico.org.uk">https://ico.org.uk</a><br>\nPostal address:<address>Wycliffe House<br>Water Lane<br>Wilmslow<br>Cheshire SK9 5AF<br>United Kingdom</address>+44 303 123 1113</div>' +
        '<p>The lead supervisory authority for the albelli group is the Autoriteit Persoonsgegevens, the Dutch Data Protection Authority, because albelli B.V. has its main establishment in Amsterdam (Art. 56 GDPR):</p>' +
        '<div class="authority"><b>Autoriteit Persoonsgegevens</b><br>\nWebsite: <a href="https://www.autoriteitpersoonsgegevens.nl">https://www.autoriteitpersoonsgegevens.nl</a><br>\nPostal address:<address>Postbus 93374<br>2509 AJ Den Haag<br>Nederland</address>+31 88 1805 250</div></section>',
    );
    expect(section(belgian, 'authority')).toContain('(Art. 77 GDPR). For you (Belgium) that is:</p>');
    expect(section(belgian, 'authority')).toContain('</address><a href="mailto:contact@apd-gba.be">contact@apd-gba.be</a> · +32 2 274 48 00</div>');
    expect(section(belgian, 'authority')).not.toContain('federal state');
    expect(section(dutch, 'authority')).toMatch(/Nederland<\/address>\+31 88 1805 250<\/div><p>The Autoriteit Persoonsgegevens is also the lead supervisory authority for the albelli group, because albelli B\.V\. has its main establishment in Amsterdam \(Art\. 56 GDPR\)\.<\/p><\/section>$/);
    expect(section(british, 'authority')).not.toContain('is also the lead');
  });

  it('lists every right, the portability one naming the data folder', async () => {
    // Act
    const html = await text(renderIndexHtml(plan, new Map()));

    // Assert
    const rights = section(html, 'rights');
    expect(rights.match(/<li>/g)).toHaveLength(8);
    expect(rights).toMatch(/<ul>(<li>(?:(?!<\/?li>).)*<\/li>){8}<\/ul>/);
    for (const right of ['<li><b>Access</b> your personal data', '<li><b>Rectification</b>', '<li><b>Erasure</b>', '<li><b>Restriction</b>', '<li><b>Object</b>', '<li><b>Data portability</b> (Art. 20): the folder <code>data/</code> holds', '<li><b>Withdraw your consent</b>', '<li>Not to be subject to a decision based solely on automated processing']) {
      expect(rights).toContain(right);
    }
    expect(rights).toContain('<p>Under the General Data Protection Regulation (GDPR) you have the right to:</p>');
    expect(rights).toContain('<p>To exercise these rights, use the privacy section of your account or contact our customer service.</p></section>');
  });

  it('explains each automatically created product: its analysed photos, scores, choice and reason, and the customer\'s edits in order', async () => {
    // Arrange
    const smartPlan: ExportPlan = {
      ...plan,
      brand: 'albelli',
      stores: { 'smart-creation': { items: 15, bytes: 1 }, orders: { items: 3, bytes: 1 } },
      volumes: [
        {
          volume: 1,
          fileName: 'volume-1.zip',
          manifest: 'manifest.json',
          files: [
            { store: 'uploaded-photos', key: 'customers/c1/u1/a.jpg', size: 2048, path: 'files/uploaded-photos/a.jpg', stored: true },
            { store: 'uploaded-photos', key: 'customers/c1/u1/scan.pdf', size: 10, path: 'files/uploaded-photos/scan.pdf', stored: true },
          ],
        },
      ],
    };
    const entries = [
      { entryId: 'e1', projectId: 'p-b', photoKey: 'customers/c1/u1/a.jpg', analysedAt: '2025-02-01T10:00:00.000Z', model: 'm-2', qualityScore: 0.91, faces: 2, sceneLabels: ['beach', 'synthetic', 'zzz'], selected: true, selectionReason: 'people' },
      { entryId: 'e2', projectId: 'p-b', photoKey: 'customers/c1/u1/gone.jpg', analysedAt: '2025-01-01T10:00:00.000Z', model: 'm-1', sceneLabels: 'beach', selected: false, selectionReason: 'odd-reason' },
      { entryId: 'e3', projectId: 'p-b', action: 'remove-page', at: '2025-03-02T10:00:00.000Z', page: 1234 },
      { entryId: 'e4', projectId: 'p-b', action: 'custom-act', at: '2025-03-01T10:00:00.000Z' },
      { entryId: 'e5', photoKey: 'customers/c1/u1/a.jpg', analysedAt: '2025-04-01T10:00:00.000Z', model: 'm-1' },
      { entryId: 'e6', projectId: 'p-a', action: 'edit-text', at: 'yesterday', page: 'cover' },
      { entryId: 'e7', projectId: 'p-c', photoKey: 'customers/c1/u1/a.jpg', analysedAt: 'soon', selected: true, selectionReason: 5 },
      { entryId: 'e14', projectId: 'p-c', photoKey: 'customers/c1/u1/gone.jpg' },
      { entryId: 'e15', projectId: 'p-d', photoKey: 'customers/c1/u1/gone.jpg', analysedAt: '2025-02-03T10:00:00.000Z' },
      { entryId: 'e16', projectId: 'p-d', photoKey: 'customers/c1/u1/gone.jpg' },
      { entryId: 'e8', projectId: 'p-c', note: 'neither an analysis nor an edit' },
      { entryId: 'e9', photoKey: 'customers/c1/u1/scan.pdf', analysedAt: '2025-04-01T11:00:00.000Z' },
      { entryId: 'e13', photoKey: 'customers/c1/u1/gone.jpg', analysedAt: '2025-05-02T10:00:00.000Z', model: 'm-1' },
      { entryId: 'e10', projectId: 'p-a', action: 'reorder-pages' },
      { entryId: 'e11', projectId: 'p-y', action: 'change-cover', at: '2025-03-01T10:00:00.000Z', page: 2 },
    ];
    const tables = new Map<string, TableSource>([
      ['smart-creation', { store: 'smart-creation', columns: ['entryId'], records: () => records(entries) }],
      ['orders', { store: 'orders', columns: ['orderId'], records: () => records([{ orderId: 'o1', orderNumber: 'AL-1', lines: [{ projectId: 'p-b', product: 'Photo book A4' }, { product: 'Mug' }, { projectId: 'p-x' }] }, { orderId: 'o2', lines: 5 }, { orderId: 'o3', lines: [{ projectId: 'p-y' }] }]) }],
    ]);

    // Act
    const html = await text(renderIndexHtml(smartPlan, tables));

    // Assert
    const smart = section(html, 'smart-creation');
    const products = smart.slice(smart.indexOf('<h3>Automatically'), smart.indexOf('<div class="scroll">'));
    expect(products).toBe(
      '<h3>Automatically created products, one by one</h3><p>For each product that we created automatically from your photos: which photos were analysed, what the analysis found, which photos it chose and why, and what you changed afterwards (Art. 15(1)(h) GDPR).</p><p>The quality score runs from 0 (unusable) to 1 (excellent); it rates sharpness, exposure and resolution.</p>' +
        '<article class="product"><h4>Product p-a</h4><h5>Your changes afterwards</h5><ol><li>: reordered the pages, page </li><li>yesterday: edited a text, page cover</li></ol></article>' +
        '<article class="product"><h4>Photo book A4, order AL-1</h4><p>The model m-2, m-1 analysed 2 of your photos between 1 January 2025 and 1 February 2025; it selected 1 of them for this product.</p><div class="files">' +
        '<figure class="chosen"><a href="files/uploaded-photos/a.jpg"><img src="files/uploaded-photos/a.jpg" alt="a.jpg" loading="lazy"></a><figcaption><a href="files/uploaded-photos/a.jpg">a.jpg</a></figcaption><dl><dt>Quality score</dt><dd>0.91</dd><dt>Faces found</dt><dd>2</dd><dt>Recognised scenes</dt><dd>beach, test image, zzz</dd><dt>Selected</dt><dd>Reason: people are in the photo</dd></dl></figure>' +
        '<figure class="passed"><figcaption class="empty">This photo is no longer stored.</figcaption><dl><dt>Quality score</dt><dd></dd><dt>Faces found</dt><dd></dd><dt>Recognised scenes</dt><dd></dd><dt>Not selected</dt><dd>Reason: odd-reason</dd></dl></figure></div>' +
        '<h5>Your changes afterwards</h5><ol><li>1 March 2025 at 11:00: custom-act, page </li><li>2 March 2025 at 11:00: removed a page, page 1,234</li></ol></article>' +
        '<article class="product"><h4>Product p-c</h4><p>The model  analysed 2 of your photos between  and ; it selected 1 of them for this product.</p><div class="files"><figure class="chosen"><a href="files/uploaded-photos/a.jpg"><img src="files/uploaded-photos/a.jpg" alt="a.jpg" loading="lazy"></a><figcaption><a href="files/uploaded-photos/a.jpg">a.jpg</a></figcaption><dl><dt>Quality score</dt><dd></dd><dt>Faces found</dt><dd></dd><dt>Recognised scenes</dt><dd></dd><dt>Selected</dt><dd></dd></dl></figure>' +
        '<figure class="passed"><figcaption class="empty">This photo is no longer stored.</figcaption><dl><dt>Quality score</dt><dd></dd><dt>Faces found</dt><dd></dd><dt>Recognised scenes</dt><dd></dd><dt>Not selected</dt><dd></dd></dl></figure></div>' +
        '<h5>Your changes afterwards</h5><p class="empty">You did not change this product.</p></article>' +
        '<article class="product"><h4>Product p-d</h4><p>The model  analysed 2 of your photos between 3 February 2025 and 3 February 2025; it selected 0 of them for this product.</p><div class="files">' +
        '<figure class="passed"><figcaption class="empty">This photo is no longer stored.</figcaption><dl><dt>Quality score</dt><dd></dd><dt>Faces found</dt><dd></dd><dt>Recognised scenes</dt><dd></dd><dt>Not selected</dt><dd></dd></dl></figure>'.repeat(2) +
        '</div><h5>Your changes afterwards</h5><p class="empty">You did not change this product.</p></article>' +
        '<article class="product"><h4>, order </h4><h5>Your changes afterwards</h5><ol><li>1 March 2025 at 11:00: changed the cover, page 2</li></ol></article>' +
        '<article class="product"><h4>Photos analysed without a product</h4><p>The model m-1 analysed 3 of your photos between 1 April 2025 and 2 May 2025; it selected 0 of them for this product.</p><div class="files"><figure class="passed"><a href="files/uploaded-photos/a.jpg"><img src="files/uploaded-photos/a.jpg" alt="a.jpg" loading="lazy"></a><figcaption><a href="files/uploaded-photos/a.jpg">a.jpg</a></figcaption><dl><dt>Quality score</dt><dd></dd><dt>Faces found</dt><dd></dd><dt>Recognised scenes</dt><dd></dd><dt>Not selected</dt><dd></dd></dl></figure>' +
        '<figure class="passed"><a href="files/uploaded-photos/scan.pdf">scan.pdf</a><figcaption><a href="files/uploaded-photos/scan.pdf">scan.pdf</a></figcaption><dl><dt>Quality score</dt><dd></dd><dt>Faces found</dt><dd></dd><dt>Recognised scenes</dt><dd></dd><dt>Not selected</dt><dd></dd></dl></figure>' +
        '<figure class="passed"><figcaption class="empty">This photo is no longer stored.</figcaption><dl><dt>Quality score</dt><dd></dd><dt>Faces found</dt><dd></dd><dt>Recognised scenes</dt><dd></dd><dt>Not selected</dt><dd></dd></dl></figure></div></article>',
    );
  });

  it('names an analysed product by its project id when no order is exported, and shows no product part for a store without analyses or edits', async () => {
    // Arrange
    const smartPlan: ExportPlan = { ...plan, stores: { 'smart-creation': { items: 2, bytes: 1 } }, volumes: [] };
    const tables = new Map<string, TableSource>([['smart-creation', { store: 'smart-creation', columns: ['entryId'], records: () => records([{ entryId: 'e1', projectId: 'p-z', action: 'change-cover', at: '2025-03-01T10:00:00.000Z', page: 1 }]) }]]);
    const none = new Map<string, TableSource>([['smart-creation', { store: 'smart-creation', columns: ['entryId'], records: () => records([{ entryId: 'e1' }, { entryId: 'e2' }]) }]]);

    // Act
    const html = await text(renderIndexHtml(smartPlan, tables));
    const empty = await text(renderIndexHtml(smartPlan, none));

    // Assert
    expect(html).toContain('<article class="product"><h4>Product p-z</h4><h5>Your changes afterwards</h5><ol><li>1 March 2025 at 10:00: changed the cover, page 1</li></ol></article>');
    expect(empty).not.toContain('Automatically created products');
    const contacts = await text(
      renderIndexHtml({ ...plan, stores: { 'contact-history': { items: 1, bytes: 1 } }, volumes: [] }, new Map([['contact-history', { store: 'contact-history', columns: ['contactId'], records: () => records([{ contactId: 'k1', action: 'callback', photoKey: 'p', projectId: 'p-1' }]) }]])),
    );
    expect(contacts).not.toContain('Automatically created products');
    expect(section(empty, 'smart-creation')).toContain('</details><div class="scroll"><table><thead><tr><th>Entry</th></tr></thead><tbody><tr><td>e1</td></tr>\n<tr><td>e2</td></tr>\n</tbody></table></div></section>');
  });
});

describe('renderValue and labelOf', () => {
  const plan: ExportPlan = {
    requestId: 'r1',
    brand: 'albelli',
    generatedAt: '2025-06-01T00:00:00.000Z',
    locale: 'en-GB',
    tables: [],
    stores: {},
    volumes: [
      { volume: 1, fileName: 'volume-1.zip', manifest: 'manifest.json', files: [{ store: 'uploaded-photos', key: 'customers/c1/u1/a.jpg', size: 2048, path: 'files/uploaded-photos/a.jpg', stored: true }] },
      { volume: 2, fileName: 'volume-2.zip', manifest: 'manifest-2.json', files: [{ store: 'call-recordings', key: 'rec/c1/r.mp3', size: 10, path: 'files/call-recordings/r.mp3', stored: true }] },
    ],
  };
  const context = pageContext(plan, undefined);
  const orders = getStore('orders');
  const profile = getStore('customer-profile');

  it('splits an undeclared attribute name into words, from its last segment', () => {
    // Assert
    expect(labelOf(context, 'orders', 'someNestedThing')).toBe('Some nested thing');
    expect(labelOf(context, 'orders', 'a.b_c-dE')).toBe('B c d e');
    expect(labelOf(context, 'orders', 'lines.unitPrice')).toBe('Unit price (excl. VAT)');
  });

  it('shows no value for null, undefined and an empty list, and booleans as words', () => {
    // Assert
    expect([null, undefined, []].map((value) => renderValue(context, { store: orders, path: 'x' }, value))).toEqual(['', '', '']);
    expect(renderValue(context, { store: orders, path: 'x' }, true)).toBe('yes');
    expect(renderValue(context, { store: orders, path: 'x' }, false)).toBe('no');
    expect(renderValue(context, { store: orders, path: 'x' }, ['a', 'b'])).toBe('<ul class="list"><li>a</li><li>b</li></ul>');
  });

  it('formats amounts only with a currency in force and only for minor-unit attributes; rates as percentages, scores and other numbers for the locale', () => {
    // Assert
    expect(renderValue(context, { store: orders, path: 'grossAmount', currency: 'EUR' }, 1234)).toBe('€12.34');
    expect(renderValue(context, { store: orders, path: 'grossAmount' }, 1234)).toBe('1,234');
    expect(renderValue(context, { store: orders, path: 'quantity', currency: 'EUR' }, 1234)).toBe('1,234');
    expect(renderValue(context, { store: profile, path: 'grossAmount', currency: 'EUR' }, 1234)).toBe('1,234');
    expect(renderValue(context, { store: orders, path: 'vatRate' }, 21)).toBe('21%');
    expect(renderValue(context, { store: getStore('smart-creation'), path: 'qualityScore' }, 0.875)).toBe('0.88');
  });

  it('takes the currency an object names in capitals, else the one in force', () => {
    // Assert
    expect(renderValue(context, { store: orders, path: 'lines', currency: 'SEK' }, { currency: 'EUR', unitPrice: 100 })).toBe('<ul class="kv"><li><b>Currency</b>: EUR</li><li><b>Unit price (excl. VAT)</b>: €1.00</li></ul>');
    expect(renderValue(context, { store: orders, path: 'lines', currency: 'EUR' }, { currency: 'eur', unitPrice: 100 })).toBe('<ul class="kv"><li><b>Currency</b>: eur</li><li><b>Unit price (excl. VAT)</b>: €1.00</li></ul>');
    expect(renderValue(context, { store: orders, path: 'lines', currency: 'SEK' }, { currency: ['EUR'], unitPrice: 100 })).toBe('<ul class="kv"><li><b>Currency</b>: <ul class="list"><li>EUR</li></ul></li><li><b>Unit price (excl. VAT)</b>: SEK\u00a01.00</li></ul>');
    expect(renderValue(context, { store: orders, path: 'lines' }, { currency: 'EURO', unitPrice: 100 })).toBe('<ul class="kv"><li><b>Currency</b>: EURO</li><li><b>Unit price (excl. VAT)</b>: 100</li></ul>');
  });

  it('shows countries and languages by name, dates in the page\'s time zone, archive files as links (with their part beyond the first), other text as it is', () => {
    // Assert
    expect(renderValue(context, { store: profile, path: 'country' }, 'DE')).toBe('Germany');
    expect(renderValue(context, { store: profile, path: 'country' }, 'de')).toBe('de');
    expect(renderValue(context, { store: profile, path: 'lastName' }, 'DE')).toBe('DE');
    expect(renderValue(context, { store: profile, path: 'country' }, 'DEU')).toBe('DEU');
    expect(renderValue(context, { store: profile, path: 'country' }, 'DEx')).toBe('DEx');
    expect(renderValue(context, { store: profile, path: 'locale' }, 'de-DE')).toBe('German (Germany)');
    expect(renderValue(context, { store: profile, path: 'createdAt' }, '2025-03-04T05:06:07.000Z')).toBe('4 March 2025 at 06:06');
    expect(renderValue(context, { store: orders, path: 'x' }, 'customers/c1/u1/a.jpg')).toBe('<a href="files/uploaded-photos/a.jpg">a.jpg</a>');
    expect(renderValue(context, { store: orders, path: 'x' }, 'rec/c1/r.mp3')).toBe('<a href="files/call-recordings/r.mp3">r.mp3</a> (in part 2)');
    expect(renderValue(context, { store: orders, path: 'x' }, 'Tom & Jerry')).toBe('Tom &amp; Jerry');
  });

  it('shows an address as an envelope, with its kind only in a list of addresses', () => {
    // Assert
    expect(renderValue(context, { store: orders, path: 'shippingAddress' }, { type: 'home', street: 'S 1', city: 'C', postalCode: '1', country: 'NL' })).toBe('<address>S 1<br>1 C<br>Netherlands</address>');
    expect(renderValue(context, { store: profile, path: 'x.addresses' }, { type: 'home', street: 'S 1', city: 'C' })).toBe('<address><b>Home address</b><br>S 1<br>C</address>');
    expect(renderValue(context, { store: profile, path: 'oldaddresses' }, { type: 'home', street: 'S 1', city: 'C' })).toBe('<address>S 1<br>C</address>');
    expect(renderValue(context, { store: profile, path: 'addressesOld' }, { type: 'home', street: 'S 1', city: 'C' })).toBe('<address>S 1<br>C</address>');
    expect(renderValue(context, { store: profile, path: 'addresses.shippingAddress' }, { type: 'home', street: 'S 1', city: 'C' })).toBe('<address>S 1<br>C</address>');
    expect(renderValue(context, { store: profile, path: 'addresses' }, { type: 7, street: 'S 1', city: 'C' })).toBe('<address>S 1<br>C</address>');
    expect(renderValue(context, { store: profile, path: 'addresses' }, { street: 'S 1' })).toBe('<ul class="kv"><li><b>Street and number</b>: S 1</li></ul>');
    expect(renderValue(context, { store: profile, path: 'addresses' }, { city: 'C' })).toBe('<ul class="kv"><li><b>Town or city</b>: C</li></ul>');
  });
});

describe('page context, fallbacks', () => {
  it('keeps the brand\'s home market for a customer living where no authority is listed, and maps every planned file with its part', () => {
    // Arrange
    const plan: ExportPlan = {
      requestId: 'r1',
      brand: 'albelli',
      generatedAt: '2025-06-01T00:00:00.000Z',
      tables: [],
      stores: {},
      volumes: [
        { volume: 1, fileName: 'volume-1.zip', manifest: 'manifest.json', files: [{ store: 'uploaded-photos', key: 'k1', size: 1, path: 'files/uploaded-photos/1.jpg', stored: true }] },
        { volume: 2, fileName: 'volume-2.zip', manifest: 'manifest-2.json', files: [{ store: 'uploaded-photos', key: 'k2', size: 2, path: 'files/uploaded-photos/2.jpg', stored: true }] },
      ],
    };

    // Act
    const context = pageContext(plan, { country: 'FR' });

    // Assert
    expect(context.country).toBe('NL');
    expect(context.format.timeZone).toBe('Europe/Amsterdam');
    expect(context.locale.tag).toBe('nl-NL');
    expect([...context.files]).toEqual([
      ['k1', { store: 'uploaded-photos', key: 'k1', size: 1, path: 'files/uploaded-photos/1.jpg', stored: true, volume: 1 }],
      ['k2', { store: 'uploaded-photos', key: 'k2', size: 2, path: 'files/uploaded-photos/2.jpg', stored: true, volume: 2 }],
    ]);
    expect(context.details.size).toBe(0);
  });
});
