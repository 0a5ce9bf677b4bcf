import escapeHtml from 'escape-html';
import { getStore, type StoreDefinition } from '../data-map';
import { DATA_FOLDER, dataFilePath, manifestName, mediaKind } from './layout';
import type { ExportPlan, PlannedFile } from './plan';
import type { DataRecord } from './tabular';

/**
 * The human-readable `index.html` of volume 1: self-contained (inline CSS, no scripts, no external
 * resources), one section per category with the Art. 15(1) information, the customer's records as
 * tables, the files by relative path, the data-subject rights and the complaint authority. Rendered
 * as a stream of chunks so a large history is never held in memory. Every value is HTML-escaped.
 */

/** Records of one tabular store, read on demand, and its top-level columns. */
export interface TableSource {
  store: string;
  columns: string[];
  records: () => AsyncIterable<DataRecord>;
}

/** `1 record`, `2 records`, `0 files`. */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9;line-height:1.45}
header{background:#23395d;color:#fff;padding:24px 32px}header h1{margin:0 0 6px}header p{margin:0;opacity:.9}
main{max-width:1200px;margin:0 auto;padding:16px 32px 48px}
nav ol{columns:2;padding-left:20px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 24px;margin:20px 0}
h2{margin-top:4px;color:#23395d}dl.about{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dl.about dt{font-weight:600}
dl.about dd{margin:0}.explanation{background:#eef4ff;border-left:4px solid #3a6fd8;padding:8px 12px}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:13px;width:100%}th,td{border:1px solid #d5dae1;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef1f5}ul.kv,ul.list{margin:0;padding-left:16px}.empty{color:#5b6573;font-style:italic}
.files{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
figure{margin:0;border:1px solid #d5dae1;border-radius:6px;padding:6px;background:#fafbfc;overflow-wrap:anywhere}
figure img{width:100%;height:140px;object-fit:cover;display:block}figure audio{width:100%}figcaption{font-size:12px;margin-top:4px}
`;

/** A link to a store's machine-readable file in the archive. */
function dataLink(store: string, format: 'json' | 'csv'): string {
  const path = escapeHtml(dataFilePath(store, format));
  return `<a href="${path}">${path}</a>`;
}

/** The href of an archive path, relative to index.html. */
function relativeHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** A value as HTML: text escaped, arrays as lists, objects as `name: value` lists. */
export function renderValue(value: unknown, context: AmountContext = NO_AMOUNTS, name?: string): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return `<ul class="list">${value.map((item) => `<li>${renderValue(item, context)}</li>`).join('')}</ul>`;
  if (typeof value === 'object') {
    const inner = withCurrencyOf(context, value as DataRecord);
    return `<ul class="kv">${Object.entries(value as DataRecord)
      .map(([key, item]) => `<li><b>${escapeHtml(key)}</b>: ${renderValue(item, inner, key)}</li>`)
      .join('')}</ul>`;
  }
  if (typeof value === 'number' && name !== undefined && context.attributes.has(name) && context.currency) {
    return escapeHtml(formatMinorUnits(value, context.currency));
  }
  return escapeHtml(String(value));
}

/** Which attributes are minor-unit amounts, and the currency in force where a value sits. */
export interface AmountContext {
  attributes: ReadonlySet<string>;
  currencyAttribute?: string;
  currency?: string;
}

const NO_AMOUNTS: AmountContext = { attributes: new Set() };

/** The amount context of a store's records. */
function amountContext(store: StoreDefinition): AmountContext {
  return store.amounts ? { attributes: new Set(store.amounts.minorUnitAttributes), currencyAttribute: store.amounts.currencyAttribute } : NO_AMOUNTS;
}

/** The context inside an object: its own currency attribute, when it has one, applies to its values. */
function withCurrencyOf(context: AmountContext, record: DataRecord): AmountContext {
  const currency = context.currencyAttribute ? record[context.currencyAttribute] : undefined;
  return typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? { ...context, currency } : context;
}

/** `26393` NOK → `NOK 263.93` (the currency's own number of decimals). */
export function formatMinorUnits(minorUnits: number, currency: string): string {
  const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency, currencyDisplay: 'code' });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** decimals).replace(/\u00a0/g, ' ');
}

/** The Art. 15(1) information of a store. */
function aboutStore(store: StoreDefinition): string {
  const recipients = store.recipients
    .map((recipient) => `<li>${escapeHtml(recipient.name)} (${escapeHtml(recipient.role)}, ${escapeHtml(recipient.location)})</li>`)
    .join('');
  return `<dl class="about">
<dt>What we hold</dt><dd>${escapeHtml(store.categories.join('; '))}</dd>
<dt>Purpose</dt><dd>${escapeHtml(store.purpose)}</dd>
<dt>Legal basis</dt><dd>${escapeHtml(store.legalBasis)}</dd>
<dt>Recipients</dt><dd><ul class="list">${recipients}</ul></dd>
<dt>Retention</dt><dd>${escapeHtml(store.retention)}</dd>
<dt>Source</dt><dd>${escapeHtml(store.source)}</dd>
</dl>${store.explanation ? `<h3>How this automated processing works</h3><p class="explanation">${escapeHtml(store.explanation)}</p>` : ''}`;
}

/** Rows of a tabular store: a name/value table for a single record, else one row per record. */
async function* tableRows(source: TableSource, items: number): AsyncGenerator<string> {
  const amounts = amountContext(getStore(source.store));
  if (items === 1) {
    for await (const record of source.records()) {
      const context = withCurrencyOf(amounts, record);
      yield `<table class="record"><tbody>${source.columns
        .map((column) => `<tr><th scope="row">${escapeHtml(column)}</th><td>${renderValue(record[column], context, column)}</td></tr>`)
        .join('')}</tbody></table>`;
    }
    return;
  }
  yield `<div class="scroll"><table><thead><tr>${source.columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('')}</tr></thead><tbody>`;
  for await (const record of source.records()) {
    const context = withCurrencyOf(amounts, record);
    yield `<tr>${source.columns.map((column) => `<td>${renderValue(record[column], context, column)}</td>`).join('')}</tr>\n`;
  }
  yield '</tbody></table></div>';
}

/** One file as a figure: an image thumbnail, an audio player, or a link; with its name in the archive (the manifest adds the original name). */
function fileFigure(file: PlannedFile, volume: number): string {
  const href = escapeHtml(relativeHref(file.path));
  const name = escapeHtml(file.path.slice(file.path.lastIndexOf('/') + 1));
  const kind = mediaKind(file.path);
  const preview = kind === 'image'
    ? `<a href="${href}"><img src="${href}" alt="${name}" loading="lazy"></a>`
    : kind === 'audio'
      ? `<audio controls preload="none" src="${href}"></audio>`
      : '';
  const where = volume > 1 ? ` · in volume ${volume}` : '';
  return `<figure>${preview}<figcaption><a href="${href}">${name}</a><br>${file.size.toLocaleString('en')} bytes${where}</figcaption></figure>`;
}

/** The data-subject rights and the complaint authority. */
const RIGHTS = `<section id="rights"><h2>Your rights</h2>
<p>Under the General Data Protection Regulation you have the right to:</p>
<ul>
<li><b>Access</b> your personal data (Art. 15): this archive.</li>
<li><b>Rectification</b> of incorrect or incomplete data (Art. 16).</li>
<li><b>Erasure</b> of your data (Art. 17); records that the law obliges us to keep, such as invoices, are kept stripped of everything else until the retention period ends.</li>
<li><b>Restriction</b> of processing (Art. 18).</li>
<li><b>Object</b> to processing based on legitimate interest, and to direct marketing at any time (Art. 21).</li>
<li><b>Data portability</b> (Art. 20): the <code>${DATA_FOLDER}/</code> folder holds your records as JSON and CSV.</li>
<li><b>Withdraw your consent</b> at any time (for example for the photo library), without affecting processing before the withdrawal.</li>
<li>Not to be subject to a decision based solely on automated processing with legal or similarly significant effects (Art. 22); see the smart-creation section.</li>
</ul>
<p>To exercise these rights, use the privacy section of your account or contact our customer service.
You also have the right to lodge a complaint with the supervisory authority, the <b>Autoriteit Persoonsgegevens</b>
(Dutch Data Protection Authority, autoriteitpersoonsgegevens.nl, Postbus 93374, 2509 AJ Den Haag, the Netherlands).</p>
</section>`;

/** Yields `index.html` of an export in chunks. `tables` holds a source per tabular store of the plan. */
export async function* renderIndexHtml(plan: ExportPlan, tables: Map<string, TableSource>): AsyncGenerator<string> {
  const stores = Object.keys(plan.stores).map((id) => getStore(id));
  const volumeOf = new Map<string, number>();
  for (const volume of plan.volumes) for (const file of volume.files) volumeOf.set(file.path, volume.volume);
  const empty = Object.values(plan.stores).every((counts) => counts.items === 0);
  yield `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your personal data (${escapeHtml(plan.brand)})</title><style>${STYLE}</style></head><body>
<header><h1>Your personal data at ${escapeHtml(plan.brand)}</h1>
<p>Copy of your personal data (GDPR Art. 15 and 20) for request ${escapeHtml(plan.requestId)}, received ${escapeHtml(plan.generatedAt)}.</p></header>
<main>
<section id="about"><h2>About this archive</h2>
<p>The controller is albelli B.V. and its group companies (brands albelli, bonusprint, fotoknudsen, onskefoto and resnap).
This page lists, per category, the data we hold about you, why, on what legal basis, who receives it, how long we keep it and where it comes from.
${empty ? '<strong>We hold no personal data about you in any of the categories below.</strong>' : ''}</p>
<p>The archive has ${plan.volumes.length} volume${plan.volumes.length === 1 ? '' : 's'}. Extract all volumes into the same folder so that every link on this page works:</p>
<ul>${plan.volumes
    .map((volume) => `<li>${escapeHtml(volume.fileName)}: ${volume.files.length} file${volume.files.length === 1 ? '' : 's'}, listed in ${escapeHtml(volume.manifest)}</li>`)
    .join('')}</ul>
<p><code>${manifestName(1)}</code> lists every file with its size and SHA-256 checksum; <code>${DATA_FOLDER}/</code> holds your records as JSON and CSV.</p>
<nav><ol>${stores.map((store) => `<li><a href="#${escapeHtml(store.id)}">${escapeHtml(store.title)}</a> (${plan.stores[store.id]!.items})</li>`).join('')}<li><a href="#rights">Your rights</a></li></ol></nav>
</section>\n`;
  for (const store of stores) {
    const items = plan.stores[store.id]!.items;
    yield `<section id="${escapeHtml(store.id)}"><h2>${escapeHtml(store.title)}</h2>${aboutStore(store)}<h3>Your data (${countOf(items, store.holdsFiles ? 'file' : 'record')})</h3>`;
    if (items === 0) {
      yield '<p class="empty">We hold no data of yours in this category.</p>';
    } else if (store.holdsFiles) {
      yield `<p>Machine-readable listing: ${dataLink(store.id, 'json')}.</p><div class="files">`;
      for (const volume of plan.volumes) {
        for (const file of volume.files) if (file.store === store.id) yield fileFigure(file, volumeOf.get(file.path) ?? 1);
      }
      yield '</div>';
    } else {
      const source = tables.get(store.id);
      if (source) {
        const minorUnits = store.amounts ? ` There, amounts (${escapeHtml(store.amounts.minorUnitAttributes.join(', '))}) are whole minor units of the currency (cents, øre, pence).` : '';
        yield `<p>Machine-readable: ${dataLink(store.id, 'json')}, ${dataLink(store.id, 'csv')}.${minorUnits}</p>`;
        yield* tableRows(source, items);
      }
    }
    yield '</section>\n';
  }
  yield `${RIGHTS}\n</main></body></html>\n`;
}
