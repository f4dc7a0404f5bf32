// The report page: one self-contained HTML file (inline CSS and SVG, no script, no external
// request), readable from a file:// URL with no network.
import { columns, concentrationCurve, groupedColumns, horizontalBars, timeLine } from './charts.js'
import type { ReportData } from './data.js'
import { escapeHtml as h } from './escape.js'
import { mappedCountries, worldMap } from './map.js'

export interface ReportContext {
  /** Attribution line of the ASN data, when some ASN database was found. */
  asnAttribution?: string
  /** Attribution line of the country data; undefined: no geo database. */
  geoAttribution?: string
  /** Why there is no country data (shown instead of the map). */
  geoNotice?: string
}

const CSS = `
:root { color-scheme: light; --text: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: #f8fafc; }
main { max-width: 1360px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header p, .meta, .note { color: var(--muted); margin: 2px 0; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px; margin: 18px 0; }
section > h2 { font-size: 19px; margin: 0 0 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .n { font-size: 28px; font-weight: 650; }
.card.total .n { color: var(--accent); }
.card .t { color: var(--muted); font-size: 13px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(600px, 1fr)); gap: 18px; }
figure { margin: 0; min-width: 0; }
figcaption h3 { font-size: 15px; margin: 0; }
figure svg { max-width: 100%; height: auto; display: block; }
.mapwrap { display: grid; grid-template-columns: minmax(0, 3fr) minmax(260px, 1fr); gap: 18px; align-items: start; }
aside { max-height: 620px; overflow: auto; }
aside h3 { font-size: 15px; margin: 0 0 6px; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(620px, 1fr)); gap: 0 18px; }
.map { width: 100%; height: auto; }
.legend { color: var(--muted); font-size: 12px; margin-top: 6px; }
.swatch { display: inline-block; width: 14px; height: 10px; margin: 0 3px 0 8px; border: 1px solid #cbd5e1; vertical-align: middle; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
td, th { padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.notice { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; padding: 10px 14px; }
.empty { font-size: 20px; padding: 40px 0; text-align: center; color: var(--muted); }
footer { color: var(--muted); font-size: 13px; }
footer li { margin: 3px 0; }
@media (max-width: 900px) { .mapwrap { grid-template-columns: 1fr; } .grid { grid-template-columns: 1fr; } }
`

function utc (iso: string | undefined): string {
  return iso === undefined ? 'unknown' : `${iso.slice(0, 16).replace('T', ' ')} UTC`
}

function figure (id: string, title: string, meta: string, body: string): string {
  return `<figure class="chart" data-chart="${id}"><figcaption><h3>${h(title)}</h3><p class="meta">${h(meta)}</p></figcaption>${body}</figure>`
}

function noData (text: string): string {
  return `<p class="note">${h(text)}</p>`
}

const n = (x: number): string => x.toLocaleString('en-US')
const pct = (x: number): string => `${x.toFixed(1)} %`

export function renderReportHtml (d: ReportData, context: ReportContext): string {
  const title = `peers report: ${d.network}`
  const dataDate = d.dataAsOf === undefined ? 'no data' : d.dataFrom !== undefined && d.dataFrom.slice(0, 16) !== d.dataAsOf.slice(0, 16) ? `handshakes ${utc(d.dataFrom)} to ${utc(d.dataAsOf)}` : `handshakes of ${utc(d.dataAsOf)}`
  const head = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${h(title)}</title><style>${CSS}</style></head><body><main>`
  const header = `<header><h1>${h(title)}</h1><p>Generated ${h(utc(d.generatedAt))} by peers. Data: reachable peers (last attempt completed a handshake), ${h(dataDate)}.</p></header>`
  const footer = renderFooter(context)
  if (d.stats.reachable === 0) {
    return `${head}${header}<section id="headline" data-section="headline"><h2>Reachable peers</h2><p class="empty">No peers yet: this store has no reachable peer on ${h(d.network)}. Run <code>peers crawl</code> first.</p></section>${footer}</main></body></html>\n`
  }
  const on = `${dataDate}`
  const sections = [
    renderHeadline(d),
    renderMap(d, context, on),
    renderHosting(d, on),
    renderSoftware(d, on),
    renderServices(d, on),
    `<div class="pair">${renderHeights(d, on)}${renderLatency(d, on)}</div>`,
    renderOverTime(d)
  ]
  return `${head}${header}${sections.join('')}${footer}</main></body></html>\n`
}

function renderHeadline (d: ReportData): string {
  const cards = [`<div class="card total"><div class="n">${n(d.stats.reachable)}</div><div class="t">reachable peers</div></div>`,
    ...d.headline.map((t) => `<div class="card" data-type="${t.type}"><div class="n">${n(t.count)}</div><div class="t">${h(t.label)} · ${pct(d.stats.reachable === 0 ? 0 : (t.count * 100) / d.stats.reachable)}</div></div>`)]
  const chart = horizontalBars(d.headline.map((t) => t.label), d.headline.map((t) => t.count), { valueName: 'reachable peers', labelWidth: 120 })
  return `<section id="headline" data-section="headline"><h2>Reachable peers by network type</h2><div class="cards">${cards.join('')}</div>${figure('by-type', 'Reachable peers by network type', `peers · ${d.network} · as of ${utc(d.dataAsOf)}`, chart)}</section>`
}

function renderMap (d: ReportData, context: ReportContext, on: string): string {
  if (context.geoAttribution === undefined) {
    return `<section id="map" data-section="map"><h2>Where the peers are</h2><p class="notice" data-notice="no-geo">No map: ${h(context.geoNotice ?? 'no geo database was found')}. Pass <code>--geo-db</code> (GeoLite2-Country or -City) or reinstall peers, which ships a country database.</p></section>`
  }
  const counts = new Map(d.countries.map((c) => [c.code, c.count]))
  const { svg, legend } = worldMap(counts)
  const onMap = mappedCountries()
  const small = d.countries.filter((c) => !onMap.has(c.code))
  const b = d.stats.byCountry
  const rows = small.map((c) => `<tr data-country="${h(c.code)}"><td>${h(c.code)}</td><td>${h(c.name)}</td><td class="n">${n(c.count)}</td></tr>`).join('')
  const side = [
    `<h3>Too small for the map</h3>`,
    small.length === 0 ? '<p class="note">None: every located country has a shape.</p>' : `<table class="small-countries"><thead><tr><th>code</th><th>country</th><th class="n">peers</th></tr></thead><tbody>${rows}</tbody></table>`,
    `<h3 style="margin-top:14px">Not on any map</h3><table class="not-mapped"><tbody>`,
    `<tr><td>Onion, I2P, CJDNS: no country exists</td><td class="n" data-count="no-country">${n(b.noCountry)}</td></tr>`,
    `<tr><td>IP addresses the geo database does not place</td><td class="n" data-count="unknown-country">${n(b.unknown)}</td></tr></tbody></table>`,
    `<p class="note">${n(b.distinct)} countries in all.</p>`
  ].join('')
  const mapFigure = figure('world-map', 'Reachable peers by country', `peers per country (colour: log scale) · ${on}`, `${svg}<div class="legend">${legend}</div>`)
  return `<section id="map" data-section="map"><h2>Where the peers are</h2><div class="mapwrap">${mapFigure}<aside>${side}</aside></div></section>`
}

function renderHosting (d: ReportData, on: string): string {
  const a = d.stats.byAsn
  const c = d.stats.concentration
  const asTop = a.top.length === 0
    ? noData('No AS data: run `peers asn build` or pass --asn-db.')
    : horizontalBars(a.top.map((r) => `AS${r.asn} ${r.org ?? ''}`.trim()), a.top.map((r) => r.count), { valueName: 'reachable peers' })
  const asSummary = c.ases === null
    ? `The known ASes host ${pct(c.share)} of the reachable peers, less than half (${n(a.unknown)} have no known AS).`
    : `${c.ases} AS${c.ases === 1 ? '' : 'es'} host at least half of the reachable peers (${pct(c.share)}): ${c.members.slice(0, 12).map((m) => `AS${m.asn}${m.org === undefined ? '' : ` ${m.org}`}`).join(', ')}${c.members.length > 12 ? ', …' : ''}.`
  const asCurve = d.asCurve.length === 0 ? noData('No AS data.') : concentrationCurve(d.asCurve, c.ases, { groupName: 'ASes' })
  const k = d.stats.byCountry
  const cc = d.stats.countryConcentration
  const countryTop = k.top.length === 0 ? noData('No country data.') : horizontalBars(k.top.map((r) => `${r.key} ${r.name}`), k.top.map((r) => r.count), { valueName: 'reachable peers', color: '#0f766e' })
  const countryCurve = d.countryCurve.length === 0 ? noData('No country data.') : concentrationCurve(d.countryCurve, cc.groups, { groupName: 'countries' })
  const ccSummary = k.distinct === 0 ? '' : cc.groups === null
    ? `Located peers are ${pct(cc.share)} of the reachable ones, less than half.`
    : `${cc.groups} countr${cc.groups === 1 ? 'y hosts' : 'ies host'} at least half of the reachable peers (${pct(cc.share)}): ${cc.members.map((m) => m.name).join(', ')}.`
  return `<section id="hosting" data-section="hosting"><h2>Who hosts the network</h2>` +
    `<p data-summary="as-concentration"><strong>AS concentration:</strong> ${h(asSummary)}</p><p data-summary="country-concentration"><strong>Country concentration:</strong> ${h(ccSummary)}</p><div class="grid">` +
    figure('as-top', `Top ${a.top.length} autonomous systems of ${n(a.distinct)}`, `reachable peers per AS · ${on}`, asTop) +
    figure('as-curve', 'AS concentration curve', `cumulative % of reachable peers against the number of ASes · ${on}`, asCurve) +
    figure('country-top', `Top ${k.top.length} countries of ${n(k.distinct)}`, `reachable peers per country · ${on}`, countryTop) +
    figure('country-curve', 'Country concentration curve', `cumulative % of reachable peers against the number of countries · ${on}`, countryCurve) +
    '</div></section>'
}

function renderSoftware (d: ReportData, on: string): string {
  const ua = d.stats.byUserAgent
  const uaRest = ua.rest.groups > 0 ? ` Other ${n(ua.rest.groups)} user agents: ${n(ua.rest.count)} peers.` : ''
  const versions = d.stats.byProtocolVersion.slice(0, 15)
  return `<section id="software" data-section="software"><h2>Software</h2><div class="grid">` +
    figure('user-agents', `Top ${ua.top.length} user agents`, `reachable peers per user agent · ${on}.${uaRest}`, horizontalBars(ua.top.map((r) => r.key), ua.top.map((r) => r.count), { valueName: 'reachable peers', color: '#7c3aed', labelWidth: 240 })) +
    figure('protocol-versions', 'Protocol versions', `reachable peers per protocol version · ${on}`, horizontalBars(versions.map((r) => r.key), versions.map((r) => r.count), { valueName: 'reachable peers', color: '#7c3aed', labelWidth: 120 })) +
    '</div></section>'
}

function renderServices (d: ReportData, on: string): string {
  const body = d.serviceBits.length === 0
    ? noData('The adapter names no service bits, or no peer announced any.')
    : horizontalBars(d.serviceBits.map((r) => r.key), d.serviceBits.map((r) => r.count), { valueName: 'reachable peers announcing the flag', color: '#b45309', labelWidth: 200, width: 900 })
  return `<section id="services" data-section="services"><h2>Services</h2>${figure('service-flags', 'Service flags by name', `reachable peers announcing each flag (a peer counts once per flag) · ${on}`, body)}</section>`
}

function renderHeights (d: ReportData, on: string): string {
  const x = d.heights
  const behind = x.buckets.filter((b) => b.label !== 'at the tip' && !b.label.startsWith('ahead')).reduce((s, b) => s + b.count, 0)
  const body = x.buckets.length === 0 ? noData('No peer announced a height.') : columns(x.buckets.map((b) => b.label), x.buckets.map((b) => b.count), { categoryName: 'blocks behind the tip', valueName: 'reachable peers', color: '#0891b2' })
  const meta = x.tip === undefined ? on : `tip ${n(x.tip)} (the highest height at least two peers announced); ${n(behind)} of ${n(x.reporting)} peers behind it · heights as announced at each handshake · ${on}`
  return `<section id="heights" data-section="heights"><h2>Block heights</h2>${figure('heights', 'How far behind the tip', meta, body)}</section>`
}

function renderLatency (d: ReportData, on: string): string {
  const l = d.latency
  const body = l.buckets.length === 0 ? noData('No connect latency measured.') : columns(l.buckets.map((b) => b.label), l.buckets.map((b) => b.count), { categoryName: 'TCP connect latency, ms', valueName: 'reachable peers', color: '#4d7c0f' })
  const meta = `${n(l.measured)} peers${l.medianMs === undefined ? '' : `, median ${Math.round(l.medianMs)} ms`} · time from dial to an open stream, from this crawler's host · ${on}`
  return `<section id="latency" data-section="latency"><h2>Connect latency</h2>${figure('latency', 'Connect-latency distribution', meta, body)}</section>`
}

function renderOverTime (d: ReportData): string {
  const runs = d.runs
  const first = runs[0]?.endedAt
  const last = runs[runs.length - 1]?.endedAt
  const runChart = runs.length === 0
    ? noData('No finished run is recorded for this network.')
    : timeLine([
      { name: 'reachable', points: runs.map((r) => [r.endedAt, r.reachable]), color: '#2563eb' },
      { name: 'tried', points: runs.map((r) => [r.endedAt, r.tried]), color: '#9ca3af' }
    ], { valueName: 'peers' })
  const u = d.uptime
  const uptimeChart = u.withUptime === 0
    ? noData('No uptime recorded yet (the store keeps it from schema 2 on).')
    : columns(u.buckets.map((b) => b.label), u.buckets.map((b) => b.count), { categoryName: '30-day uptime (reliability ÷ weight)', valueName: 'reachable peers', color: '#be185d' })
  return `<section id="over-time" data-section="over-time"><h2>Over time</h2><div class="grid">` +
    figure('runs', 'Reachable peers per run', `peers at the end of each crawl run · ${runs.length} run${runs.length === 1 ? '' : 's'}${first === undefined ? '' : `, ${utc(first)} to ${utc(last)}`}`, runChart) +
    renderChurn(d) +
    figure('uptime', 'Uptime distribution', `reachable peers by normalised 30-day uptime, % · ${n(u.withUptime)} peers with uptime data · as of ${utc(d.dataAsOf)}`, uptimeChart) +
    '</div></section>'
}

function renderChurn (d: ReportData): string {
  const c = d.churn
  if ('notice' in c) return figure('churn', 'Joins and leaves per run', `peers per pair of consecutive finished runs · report made ${utc(d.generatedAt)}`, `<p class="note" data-notice="churn">${h(c.notice)}</p>`)
  const pairs = c.pairs
  const label = (iso: string): string => `${iso.slice(5, 10)}\n${iso.slice(11, 16)}`
  const chart = groupedColumns(pairs.map((p) => label(p.endedAt)), [
    { name: 'joined', values: pairs.map((p) => p.joined), color: '#16a34a' },
    { name: 'left', values: pairs.map((p) => p.left), color: '#dc2626' }
  ], { categoryName: 'run end (UTC), against the finished run before it', valueName: 'peers' })
  const meta = `peers reachable in a run and not in the one before (joined), or the reverse (left), as peers diff counts them · ${pairs.length} pair${pairs.length === 1 ? '' : 's'} of runs ending ${utc(pairs[0].endedAt)} to ${utc(pairs[pairs.length - 1].endedAt)}`
  return figure('churn', 'Joins and leaves per run', meta, chart)
}

function renderFooter (context: ReportContext): string {
  const items = [
    context.asnAttribution ?? 'ASN data: as stored at crawl time; no ASN database is at hand now to name its source (run `peers asn build`).',
    context.geoAttribution ?? `Country data: none (${context.geoNotice ?? 'no geo database'}).`,
    'Map shapes: world-atlas 110m (ISC licence, Mike Bostock) from Natural Earth (public domain, naturalearthdata.com).',
    'Charts drawn at build time with Apache ECharts (Apache License 2.0) and d3-geo (ISC licence); this page loads nothing from the network.',
    'Country names: Unicode CLDR (Unicode licence), through Node.js Intl.'
  ]
  return `<footer id="attribution" data-section="attribution"><h2>Data sources and licences</h2><ul>${items.map((i) => `<li>${h(i)}</li>`).join('')}</ul></footer>`
}
