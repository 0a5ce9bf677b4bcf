import escapeHtml from 'escape-html';
import { getStore, type CustomerStoreId, type StoreDefinition } from '../data-map';
import { chooseLocale, type ResolvedLocale } from '../locales';
import { AUTHORITIES, authorityName, BRAND_HOME_COUNTRIES, isAuthorityCountry, LEAD_AUTHORITY_COUNTRY, type Authority, type AuthorityCountry } from './authorities';
import { Formatter, isIsoInstant, TIME_ZONES } from './format';
import { Texts } from './i18n';
import { DATA_FOLDER, dataFilePath, manifestName, mediaKind } from './layout';
import type { FileDetails } from './build-volume';
import type { ExportPlan, PlannedFile } from './plan';
import type { DataRecord } from './tabular';

/**
 * The human-readable `index.html` of volume 1, in the customer's language (the request's locale, else
 * the profile's, else the brand's home market, else English): self-contained (inline CSS, no scripts,
 * no external resources), one section per category with the Art. 15(1) information, the customer's
 * records as tables with human labels and values formatted for the locale, the files by their original
 * names (and album, dates …, from the GetObject of each file: `FileDetails`) linked to their archive paths,
 * each automatically created product explained with its analysed photos (Art. 15(1)(h)), the rights
 * and the customer's national supervisory authority beside the group's lead authority. Rendered as a
 * stream of chunks so a large history is never held in memory. Every value is HTML-escaped.
 */

/** Records of one tabular store, read on demand, and its top-level columns. */
export interface TableSource {
  store: string;
  columns: string[];
  /** The CSV file's columns (nested attributes dotted), when known: the glossary lists them. */
  csvColumns?: string[];
  records: () => AsyncIterable<DataRecord>;
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
th{background:#eef1f5}ul.kv,ul.list{margin:0;padding-left:16px}td>ul.kv,td>ul.list{min-width:220px}td>address{min-width:160px}.empty{color:#5b6573;font-style:italic}address{font-style:normal}
.files{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
figure{margin:0;border:1px solid #d5dae1;border-radius:6px;padding:6px;background:#fafbfc;overflow-wrap:anywhere}
figure img{width:100%;height:140px;object-fit:cover;display:block}figure audio{width:100%}figcaption{font-size:12px;margin-top:4px}
figure.chosen{border-color:#2e8b57;box-shadow:0 0 0 2px #2e8b5733}figure dl{margin:4px 0 0;font-size:13px}figure dt{font-weight:600;margin-top:4px}figure dd{margin:0}
div.authority{margin:8px 0 12px;padding-left:12px;border-left:4px solid #23395d}article.product{border-top:1px solid #d5dae1;padding-top:8px;margin-top:12px}details{margin:8px 0}dl.glossary{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dl.glossary dd{margin:0}
`;

/** Attributes shown as a percentage (stored in whole percent), as a 0–1 score, as a country or as a language. */
const PERCENT_ATTRIBUTES = new Set(['vatRate']);
const SCORE_ATTRIBUTES = new Set(['qualityScore']);
const COUNTRY_ATTRIBUTES = new Set(['country']);
const LANGUAGE_ATTRIBUTES = new Set(['locale']);

/** Everything a page needs to put a value into words for one customer. */
export interface PageContext {
  locale: ResolvedLocale;
  texts: Texts;
  format: Formatter;
  /** The country whose supervisory authority the page names. */
  country: AuthorityCountry;
  /** The archive files by their key in the source bucket, with the volume that holds each. */
  files: Map<string, PlannedFile & { volume: number }>;
  /** What each file's GetObject said (original name, content type, metadata), by archive path. */
  details: ReadonlyMap<string, FileDetails>;
}

/**
 * The page context of an export: the locale from the request (the plan), the customer's profile or the
 * brand; the authority and time zone from the profile's country, else the brand's home market.
 */
export function pageContext(plan: ExportPlan, profile: DataRecord | undefined, details: ReadonlyMap<string, FileDetails> = new Map()): PageContext {
  const locale = chooseLocale({ requested: plan.locale, profile: profile?.locale, brand: plan.brand });
  const home = BRAND_HOME_COUNTRIES[plan.brand];
  const country = isAuthorityCountry(profile?.country) ? profile.country : home;
  const timeZone = TIME_ZONES[typeof profile?.country === 'string' ? profile.country : home] ?? TIME_ZONES[home]!;
  const files = new Map<string, PlannedFile & { volume: number }>();
  for (const volume of plan.volumes) for (const file of volume.files) files.set(file.key, { ...file, volume: volume.volume });
  return { locale, texts: new Texts(locale.language, locale.tag), format: new Formatter(locale.tag, timeZone), country, files, details };
}

/** The href of an archive path, relative to index.html. */
function relativeHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The file name part of an archive path. */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The name a person knows a file by: its original name, else its name in the archive. */
function displayName(context: PageContext, file: PlannedFile): string {
  return context.details.get(file.path)?.originalName ?? baseName(file.path);
}

/** A link to a store's machine-readable file in the archive. */
function dataLink(store: string, format: 'json' | 'csv'): string {
  const path = escapeHtml(dataFilePath(store, format));
  return `<a href="${path}">${path}</a>`;
}

/** The label of an attribute for people: the catalog's, else the name split into words (never seen for a declared store). */
export function labelOf(context: PageContext, store: string, path: string): string {
  const label = context.texts.label(store, path);
  if (label) return label;
  const leaf = path.slice(path.lastIndexOf('.') + 1).replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[-_]/g, ' ').toLowerCase();
  return leaf.charAt(0).toUpperCase() + leaf.slice(1);
}

/** Where a value sits: its store, its attribute path (no array indices) and the currency in force. */
interface ValueSite {
  store: StoreDefinition;
  path: string;
  currency?: string;
}

/** The currency an object names (its own `currencyAttribute`), else the one already in force. */
function currencyIn(store: StoreDefinition, record: DataRecord, inherited?: string): string | undefined {
  const currency = store.amounts ? record[store.amounts.currencyAttribute] : undefined;
  return typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : inherited;
}

/** True for an object that is a postal address. */
function isAddress(value: DataRecord): boolean {
  return typeof value.street === 'string' && typeof value.city === 'string';
}

/** An address as an envelope: its lines, and its kind (home, work …) in a list of addresses. */
function renderAddress(context: PageContext, site: ValueSite, address: DataRecord): string {
  // The kind only where the attribute does not name it already (a profile's list of addresses).
  const listed = /(^|\.)addresses$/.test(site.path);
  const kind = listed && typeof address.type === 'string' ? context.texts.word(site.store.id, `${site.path}.type`, address.type) : undefined;
  const lines = context.format.addressLines(address).map((line) => escapeHtml(line));
  return `<address>${kind ? `<b>${escapeHtml(kind)}</b><br>` : ''}${lines.join('<br>')}</address>`;
}

/** A link to an archive file the value names (a photo or recording key), with a thumbnail for a photo when asked. */
function fileLink(context: PageContext, file: PlannedFile & { volume: number }, thumbnail = false): string {
  const href = escapeHtml(relativeHref(file.path));
  const name = escapeHtml(displayName(context, file));
  if (thumbnail && mediaKind(file.path) === 'image') return `<a href="${href}"><img src="${href}" alt="${name}" loading="lazy"></a>`;
  const where = file.volume > 1 ? ` (${escapeHtml(context.texts.t('page.inVolume', { volume: file.volume }))})` : '';
  return `<a href="${href}">${name}</a>${where}`;
}

/** A value as HTML for people: words for codes, formatted dates, amounts and numbers, addresses as addresses, files as links. */
export function renderValue(context: PageContext, site: ValueSite, value: unknown): string {
  const leaf = site.path.slice(site.path.lastIndexOf('.') + 1);
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    return value.length === 0 ? '' : `<ul class="list">${value.map((item) => `<li>${renderValue(context, site, item)}</li>`).join('')}</ul>`;
  }
  if (typeof value === 'object') {
    const record = value as DataRecord;
    if (isAddress(record)) return renderAddress(context, site, record);
    const currency = currencyIn(site.store, record, site.currency);
    return `<ul class="kv">${Object.entries(record)
      .map(([key, item]) => {
        const path = `${site.path}.${key}`;
        return `<li><b>${escapeHtml(labelOf(context, site.store.id, path))}</b>: ${renderValue(context, { ...site, path, currency }, item)}</li>`;
      })
      .join('')}</ul>`;
  }
  if (typeof value === 'boolean') return escapeHtml(context.texts.t(value ? 'page.yes' : 'page.no'));
  if (typeof value === 'number') {
    if (site.currency && site.store.amounts?.minorUnitAttributes.includes(leaf)) return escapeHtml(context.format.money(value, site.currency));
    if (PERCENT_ATTRIBUTES.has(leaf)) return escapeHtml(context.format.percent(value));
    if (SCORE_ATTRIBUTES.has(leaf)) return escapeHtml(context.format.score(value));
    return escapeHtml(context.format.numberOf(value));
  }
  const text = String(value);
  const word = context.texts.word(site.store.id, site.path, text);
  if (word) return escapeHtml(word);
  const file = context.files.get(text);
  if (file) return fileLink(context, file);
  if (isIsoInstant(text)) return escapeHtml(context.format.dateTimeOf(text));
  if (COUNTRY_ATTRIBUTES.has(leaf) && /^[A-Z]{2}$/.test(text)) return escapeHtml(context.format.country(text));
  if (LANGUAGE_ATTRIBUTES.has(leaf)) return escapeHtml(context.format.language(text));
  return escapeHtml(text);
}

/** The Art. 15(1) information of a store, in the page's language. */
function aboutStore(context: PageContext, store: StoreDefinition): string {
  const { texts } = context;
  const about = texts.store(store.id as CustomerStoreId);
  const recipients = store.recipients
    .map((recipient) => {
      const translated = texts.catalog.recipient[recipient.id] ?? { name: recipient.name, location: recipient.location };
      return `<li>${escapeHtml(translated.name)} (${escapeHtml(texts.t(`role.${recipient.role}`))}; ${escapeHtml(translated.location)})</li>`;
    })
    .join('');
  return `<dl class="about">
<dt>${escapeHtml(texts.t('page.whatWeHold'))}</dt><dd>${escapeHtml(about.categories.join('; '))}</dd>
<dt>${escapeHtml(texts.t('page.purpose'))}</dt><dd>${escapeHtml(about.purpose)}</dd>
<dt>${escapeHtml(texts.t('page.legalBasis'))}</dt><dd>${escapeHtml(about.legalBasis)}</dd>
<dt>${escapeHtml(texts.t('page.recipients'))}</dt><dd><ul class="list">${recipients}</ul></dd>
<dt>${escapeHtml(texts.t('page.retention'))}</dt><dd>${escapeHtml(about.retention)}</dd>
<dt>${escapeHtml(texts.t('page.source'))}</dt><dd>${escapeHtml(about.source)}</dd>
</dl>${about.explanation ? `<h3>${escapeHtml(texts.t('page.howAutomated'))}</h3><p class="explanation">${escapeHtml(about.explanation)}</p>` : ''}`;
}

/** Rows of a tabular store: a label/value table for a single record, else one row per record. */
async function* tableRows(context: PageContext, source: TableSource, items: number): AsyncGenerator<string> {
  const store = getStore(source.store);
  const cell = (record: DataRecord, column: string) => renderValue(context, { store, path: column, currency: currencyIn(store, record) }, record[column]);
  const header = (column: string) => escapeHtml(labelOf(context, store.id, column));
  if (items === 1) {
    for await (const record of source.records()) {
      yield `<table class="record"><tbody>${source.columns.map((column) => `<tr><th scope="row">${header(column)}</th><td>${cell(record, column)}</td></tr>`).join('')}</tbody></table>`;
    }
    return;
  }
  yield `<div class="scroll"><table><thead><tr>${source.columns.map((column) => `<th>${header(column)}</th>`).join('')}</tr></thead><tbody>`;
  for await (const record of source.records()) {
    yield `<tr>${source.columns.map((column) => `<td>${cell(record, column)}</td>`).join('')}</tr>\n`;
  }
  yield '</tbody></table></div>';
}

/** Which stored name stands for which label, for reading the JSON and CSV files. */
function glossary(context: PageContext, source: TableSource): string {
  const entries = (source.csvColumns ?? source.columns).map((column) => `<dt><code>${escapeHtml(column)}</code></dt><dd>${escapeHtml(labelOf(context, source.store, column))}</dd>`).join('');
  return `<details><summary>${escapeHtml(context.texts.t('page.glossary'))}</summary><dl class="glossary">${entries}</dl></details>`;
}

/** A file's metadata (album, upload or recording date …) as labelled lines, in the page's words and formats. */
function fileMetadata(context: PageContext, file: PlannedFile): string {
  const store = getStore(file.store);
  return Object.entries(context.details.get(file.path)?.metadata ?? {})
    .map(([name, value]) => `<br>${escapeHtml(labelOf(context, store.id, name))}: ${renderValue(context, { store, path: name }, value)}`)
    .join('');
}

/** One file as a figure: an image thumbnail, an audio player, or a link; with its original name, size and metadata. */
function fileFigure(context: PageContext, file: PlannedFile, volume: number): string {
  const href = escapeHtml(relativeHref(file.path));
  const name = escapeHtml(displayName(context, file));
  const kind = mediaKind(file.path);
  const preview =
    kind === 'image'
      ? `<a href="${href}"><img src="${href}" alt="${name}" loading="lazy"></a>`
      : kind === 'audio'
        ? `<audio controls preload="none" src="${href}"></audio>`
        : '';
  const where = volume > 1 ? ` · ${escapeHtml(context.texts.t('page.inVolume', { volume }))}` : '';
  return `<figure>${preview}<figcaption><a href="${href}" title="${escapeHtml(file.path)}">${name}</a><br>${escapeHtml(context.format.bytes(file.size))}${where}${fileMetadata(context, file)}</figcaption></figure>`;
}

/** A smart-creation analysis of one photo, and an edit of a product, as the store holds them. */
type Analysis = DataRecord & { photoKey: string };
type Edit = DataRecord & { action: string };

/** Reads the smart-creation entries into products: each project's analyses and edits (a handful per product). */
async function productsOf(source: TableSource): Promise<Map<string, { analyses: Analysis[]; edits: Edit[] }>> {
  const products = new Map<string, { analyses: Analysis[]; edits: Edit[] }>();
  const productOf = (projectId: unknown) => {
    const id = typeof projectId === 'string' ? projectId : '';
    if (!products.has(id)) products.set(id, { analyses: [], edits: [] });
    return products.get(id)!;
  };
  for await (const record of source.records()) {
    if (typeof record.photoKey === 'string') productOf(record.projectId).analyses.push(record as Analysis);
    else if (typeof record.action === 'string') productOf(record.projectId).edits.push(record as Edit);
  }
  return products;
}

/** The ordered products (from the orders' lines) by project id: `Photo book A4, order AL-2024-…`. */
async function orderedProjects(source: TableSource | undefined): Promise<Map<string, { product: string; order: string }>> {
  const projects = new Map<string, { product: string; order: string }>();
  if (!source) return projects;
  for await (const order of source.records()) {
    if (!Array.isArray(order.lines)) continue;
    for (const line of order.lines as DataRecord[]) {
      if (typeof line.projectId === 'string') projects.set(line.projectId, { product: String(line.product ?? ''), order: String(order.orderNumber ?? '') });
    }
  }
  return projects;
}

/** One analysed photo: thumbnail linking to the file, the scores and labels, and whether and why it was selected. */
function analysedPhoto(context: PageContext, analysis: Analysis): string {
  const { texts, format } = context;
  const store = getStore('smart-creation');
  const file = context.files.get(analysis.photoKey);
  const preview = file ? `${fileLink(context, file, true)}<figcaption>${fileLink(context, file)}</figcaption>` : `<figcaption class="empty">${escapeHtml(texts.t('smart.missingPhoto'))}</figcaption>`;
  const scenes = (Array.isArray(analysis.sceneLabels) ? analysis.sceneLabels : []).map((label) => texts.word(store.id, 'sceneLabels', String(label)) ?? String(label));
  const reason = typeof analysis.selectionReason === 'string' ? texts.word(store.id, 'selectionReason', analysis.selectionReason) ?? analysis.selectionReason : undefined;
  const row = (label: string, value: string) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`;
  return `<figure class="${analysis.selected === true ? 'chosen' : 'passed'}">${preview}<dl>${[
    row(texts.t('smart.qualityScore'), typeof analysis.qualityScore === 'number' ? format.score(analysis.qualityScore) : ''),
    row(texts.t('smart.faces'), typeof analysis.faces === 'number' ? format.numberOf(analysis.faces) : ''),
    row(texts.t('smart.scenes'), scenes.join(', ')),
    row(texts.t(analysis.selected === true ? 'smart.selected' : 'smart.notSelected'), reason ? `${texts.t('smart.because')}: ${reason}` : ''),
  ].join('')}</dl></figure>`;
}

/** The Art. 15(1)(h) explanation of every automatically created product: its photos, the analysis, the choice and the customer's edits. */
async function* smartProducts(context: PageContext, source: TableSource, orders: TableSource | undefined): AsyncGenerator<string> {
  const { texts, format } = context;
  const products = await productsOf(source);
  if (products.size === 0) return;
  const ordered = await orderedProjects(orders);
  yield `<h3>${escapeHtml(texts.t('smart.heading'))}</h3><p>${escapeHtml(texts.t('smart.intro'))}</p><p>${escapeHtml(texts.t('smart.scoreNote'))}</p>`;
  for (const [projectId, { analyses, edits }] of [...products].sort(([left], [right]) => (left === '' ? 1 : right === '' ? -1 : left.localeCompare(right)))) {
    const order = ordered.get(projectId);
    const title = projectId === '' ? texts.t('smart.noProject') : order ? texts.t('smart.projectOrdered', order) : texts.t('smart.project', { project: projectId });
    yield `<article class="product"><h4>${escapeHtml(title)}</h4>`;
    if (analyses.length > 0) {
      // An analysis without a date reads as `undefined`, which is no instant either.
      const dates = analyses.map((analysis) => String(analysis.analysedAt)).filter(isIsoInstant).sort();
      const models = [...new Set(analyses.map((analysis) => String(analysis.model ?? '')))].filter(Boolean).join(', ');
      const selected = analyses.filter((analysis) => analysis.selected === true).length;
      const summary = texts.count('smart.summary', analyses.length, {
        model: models,
        date: dates[0] ? format.dateOf(dates[0]) : '',
        until: dates.at(-1) ? format.dateOf(dates.at(-1)!) : '',
        selected: format.numberOf(selected),
      });
      yield `<p>${escapeHtml(summary)}</p><div class="files">${analyses.map((analysis) => analysedPhoto(context, analysis)).join('')}</div>`;
    }
    if (projectId !== '') {
      yield `<h5>${escapeHtml(texts.t('smart.edits'))}</h5>`;
      const sorted = [...edits].sort((left, right) => String(left.at).localeCompare(String(right.at)));
      yield sorted.length === 0
        ? `<p class="empty">${escapeHtml(texts.t('smart.noEdits'))}</p>`
        : `<ol>${sorted
            .map((edit) => {
              const line = texts.t('smart.edit', {
                date: isIsoInstant(String(edit.at)) ? format.dateTimeOf(String(edit.at)) : String(edit.at ?? ''),
                action: texts.word('smart-creation', 'action', edit.action) ?? edit.action,
                page: typeof edit.page === 'number' ? format.numberOf(edit.page) : String(edit.page ?? ''),
              });
              return `<li>${escapeHtml(line)}</li>`;
            })
            .join('')}</ol>`;
    }
    yield '</article>';
  }
}

/** One authority with its contact details. */
function authorityBlock(context: PageContext, authority: Authority): string {
  const { texts } = context;
  const website = escapeHtml(authority.website);
  const contact = [authority.email ? `<a href="mailto:${escapeHtml(authority.email)}">${escapeHtml(authority.email)}</a>` : '', authority.phone ? escapeHtml(authority.phone) : '']
    .filter(Boolean)
    .join(' · ');
  return `<div class="authority"><b>${escapeHtml(authorityName(authority, context.locale.language))}</b><br>
${escapeHtml(texts.t('authority.website'))}: <a href="${website}">${website}</a><br>
${escapeHtml(texts.t('authority.address'))}:<address>${authority.address.map((line) => escapeHtml(line)).join('<br>')}</address>${contact}</div>`;
}

/** The data-subject rights. */
function rights(context: PageContext): string {
  const { texts } = context;
  const folder = `<code>${DATA_FOLDER}/</code>`;
  const items = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability', 'consent', 'automated'];
  return `<section id="rights"><h2>${escapeHtml(texts.t('rights.heading'))}</h2>
<p>${escapeHtml(texts.t('rights.intro'))}</p>
<ul>${items.map((item) => `<li>${texts.html(`rights.${item}`, { folder })}</li>`).join('')}</ul>
<p>${escapeHtml(texts.t('rights.exercise'))}</p></section>`;
}

/** Where to complain: the customer's national authority (Art. 77) and the group's lead authority (Art. 56). */
function complaints(context: PageContext): string {
  const { texts, format, country } = context;
  const national = AUTHORITIES[country];
  const intro = country === 'GB' ? texts.t('authority.introUk') : texts.t('authority.intro', { country: format.country(country) });
  const germany = country === 'DE' ? `<p>${escapeHtml(texts.t('authority.germany'))}</p>` : '';
  const lead = country === LEAD_AUTHORITY_COUNTRY ? '' : `<p>${escapeHtml(texts.t('authority.lead'))}</p>${authorityBlock(context, AUTHORITIES[LEAD_AUTHORITY_COUNTRY])}`;
  const leadNote = country === LEAD_AUTHORITY_COUNTRY ? `<p>${escapeHtml(texts.t('authority.leadSame'))}</p>` : '';
  return `<section id="authority"><h2>${escapeHtml(texts.t('authority.heading'))}</h2>
<p>${escapeHtml(intro)}</p>${authorityBlock(context, national)}${germany}${leadNote}${lead}</section>`;
}

/** The first record of a store's source (the profile), if any. */
async function firstRecord(source: TableSource | undefined): Promise<DataRecord | undefined> {
  if (!source) return undefined;
  for await (const record of source.records()) return record;
  return undefined;
}

/**
 * Yields `index.html` of an export in chunks. `tables` holds a source per tabular store of the plan;
 * `details` what each file's GetObject said, by archive path (a file without shows its archive name).
 */
export async function* renderIndexHtml(plan: ExportPlan, tables: Map<string, TableSource>, details: ReadonlyMap<string, FileDetails> = new Map()): AsyncGenerator<string> {
  const context = pageContext(plan, await firstRecord(tables.get('customer-profile')), details);
  const { texts, format } = context;
  const stores = Object.keys(plan.stores).map((id) => getStore(id));
  const volumeOf = new Map<string, number>();
  for (const volume of plan.volumes) for (const file of volume.files) volumeOf.set(file.path, volume.volume);
  const empty = Object.values(plan.stores).every((counts) => counts.items === 0);
  const title = escapeHtml(texts.t('page.title', { brand: plan.brand }));
  const zone = new Intl.DateTimeFormat(context.locale.tag, { timeZone: format.timeZone, timeZoneName: 'longGeneric' }).formatToParts(new Date(plan.generatedAt)).find((part) => part.type === 'timeZoneName')?.value ?? format.timeZone;
  yield `<!DOCTYPE html>
<html lang="${escapeHtml(context.locale.tag)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${STYLE}</style></head><body>
<header><h1>${title}</h1>
<p>${escapeHtml(texts.t('page.intro', { requestId: plan.requestId, date: format.dateTimeOf(plan.generatedAt) }))}</p></header>
<main>
<section id="about"><h2>${escapeHtml(texts.t('page.aboutHeading'))}</h2>
<p>${escapeHtml(texts.t('page.controller'))}</p>
<p>${escapeHtml(texts.t('page.aboutIntro'))}${empty ? ` <strong>${escapeHtml(texts.t('page.nothingHeld'))}</strong>` : ''}</p>
<p>${escapeHtml(texts.count('page.volumes', plan.volumes.length))} ${escapeHtml(texts.t('page.extract'))}</p>
<ul>${plan.volumes
    .map((volume) => `<li>${escapeHtml(texts.count('page.volumeLine', volume.files.length, { name: volume.fileName, manifest: volume.manifest }))}</li>`)
    .join('')}</ul>
<p>${texts.html('page.manifest', { manifest: `<code>${escapeHtml(manifestName(1))}</code>` })} ${texts.html('page.machineFiles', { folder: `<code>${DATA_FOLDER}/</code>` })}</p>
<p>${escapeHtml(texts.t('page.timeZone', { zone }))}</p>
<nav><h3>${escapeHtml(texts.t('page.contents'))}</h3><ol>${stores
    .map((store) => `<li><a href="#${escapeHtml(store.id)}">${escapeHtml(texts.store(store.id as CustomerStoreId).title)}</a> (${format.numberOf(plan.stores[store.id]!.items)})</li>`)
    .join('')}<li><a href="#rights">${escapeHtml(texts.t('rights.heading'))}</a></li><li><a href="#authority">${escapeHtml(texts.t('authority.heading'))}</a></li></ol></nav>
</section>\n`;
  for (const store of stores) {
    const items = plan.stores[store.id]!.items;
    const heading = texts.count(store.holdsFiles ? 'page.files' : 'page.records', items);
    yield `<section id="${escapeHtml(store.id)}"><h2>${escapeHtml(texts.store(store.id as CustomerStoreId).title)}</h2>${aboutStore(context, store)}<h3>${escapeHtml(heading)}</h3>`;
    const source = tables.get(store.id);
    // The data files build-volume writes: a listing for a file store, JSON and CSV for a tabular one.
    const links = store.holdsFiles ? dataLink(store.id, 'json') : source ? `${dataLink(store.id, 'json')}, ${dataLink(store.id, 'csv')}` : '';
    const machineReadable = links ? `<p>${texts.html('page.machineReadable', { links })}</p>` : '';
    if (items === 0) {
      yield `<p class="empty">${escapeHtml(texts.t('page.empty'))}</p>${machineReadable}`;
    } else if (store.holdsFiles) {
      yield `${machineReadable}<div class="files">`;
      for (const volume of plan.volumes) {
        for (const file of volume.files) if (file.store === store.id) yield fileFigure(context, file, volumeOf.get(file.path) ?? 1);
      }
      yield '</div>';
    } else if (source) {
      yield `${machineReadable}${glossary(context, source)}`;
      if (store.id === 'smart-creation') yield* smartProducts(context, source, tables.get('orders'));
      yield* tableRows(context, source, items);
    }
    yield '</section>\n';
  }
  yield `${rights(context)}\n${complaints(context)}\n</main></body></html>\n`;
}
