// `peers report`: the figures it computes, the page it writes, bad input, and the page opened
// offline in headless Chromium.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import maxmind from 'maxmind'
import { installedGeoDatabase } from '../src/geo/lookup.js'
import type { Endpoint, SessionResult } from '../src/contract.js'
import { computeChurn, computeReportData } from '../src/report/data.js'
import { renderReportHtml } from '../src/report/html.js'
import { churnPerRun, diffWindows, runWindow } from '../src/store/queries.js'
import { openStore } from '../src/store/store.js'
import type { PeerRecord } from '../src/store/types.js'
import { openOffline } from './helpers/chromium.js'
import { runCli, type CliOutcome } from './helpers/cli.js'
import { seedReportStore } from './helpers/report-store.js'
import { encodeUptime } from '../src/store/uptime.js'

let counter = 0
function peer (fields: Partial<PeerRecord>): PeerRecord {
  counter++
  return {
    network: 'mainnet', host: `198.51.100.${counter & 255}`, port: 8333, type: 'ipv4', firstSeen: '2026-11-01T00:00:00.000Z',
    lastTried: '2026-11-01T01:00:00.000Z', lastSuccess: '2026-11-01T01:00:00.000Z', successes: 1, failures: 0, advertisements: 0, ...fields
  }
}

function peers (args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<CliOutcome> {
  return runCli(args, { cwd, env: { PEERS_ASN_DB: undefined, PEERS_DB: undefined, PEERS_GEO_DB: undefined, ...env } })
}

test('report figures: the tip is the highest height two peers agree on; latency and service flags counted exactly', () => {
  const records = [
    peer({ startHeight: 900_000, connectMs: 10, services: '1033' }), // NETWORK | WITNESS | NETWORK_LIMITED
    peer({ startHeight: 900_000, connectMs: 30, services: '1' }), // NETWORK
    peer({ startHeight: 899_999, connectMs: 30 }),
    peer({ startHeight: 899_000, connectMs: 5000 }),
    peer({ startHeight: 950_000 }), // alone: not the tip, counted as ahead
    peer({ startHeight: 900_000, lastSuccess: undefined, lastFailure: 'refused' }) // unreachable: not counted
  ]
  const names = (services: string): string[] => {
    const bits = BigInt(services)
    return [[1n, 'NETWORK'], [8n, 'WITNESS'], [1024n, 'NETWORK_LIMITED']].filter(([bit]) => (bits & (bit as bigint)) !== 0n).map(([, name]) => name as string)
  }
  const d = computeReportData('mainnet', records, [], { serviceNames: names, now: new Date('2026-11-02T00:00:00Z') })
  assert.equal(d.heights.tip, 900_000)
  assert.deepEqual(d.heights.buckets.filter((b) => b.count > 0).map((b) => [b.label.replace('\n', ' '), b.count]), [['ahead of the tip', 1], ['at the tip', 2], ['1 behind', 1], ['145–1008 (≤ 1 week)', 1]])
  assert.deepEqual(d.latency.buckets.filter((b) => b.count > 0).map((b) => [b.label, b.count]), [['0–25', 1], ['25–50', 2], ['≥ 3200', 1]])
  assert.deepEqual(d.serviceBits.map((r) => [r.key, r.count]), [['NETWORK', 2], ['NETWORK_LIMITED', 1], ['WITNESS', 1]])
  assert.deepEqual(d.headline.map((h) => h.count), [5, 0, 0, 0, 0])
  assert.equal(d.dataAsOf, '2026-11-01T01:00:00.000Z')
})

test('report uptime: normalised 30-day uptime (reliability ÷ weight) in tenths', () => {
  // 30-day window: weight 0.5, reliability 0.45 -> 90 %; weight 0.2, reliability 0.05 -> 25 %.
  const compact = (weight: number, reliability: number): PeerRecord['uptime'] => encodeUptime({ lastTry: 0, stats: [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, weight, 1, reliability] })
  const records = [peer({ uptime: compact(0.5, 0.45) }), peer({ uptime: compact(0.2, 0.05) }), peer({})]
  const u = computeReportData('mainnet', records, []).uptime
  assert.equal(u.withUptime, 2)
  assert.deepEqual(u.buckets.filter((b) => b.count > 0).map((b) => [b.label, b.count]), [['20–30 %', 1], ['90–100 %', 1]])
})

test('report churn: joins and leaves per pair of finished runs, counted by hand and equal to peers diff between them', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'peers-report-churn-')), 'peers.json')
  let t = Date.parse('2026-11-01T00:00:00.000Z')
  const store = await openStore(path, { mode: 'write', now: () => new Date(t) })
  const ep = (name: string): Endpoint => ({ host: `192.0.2.${name.charCodeAt(0)}`, port: 8333, type: 'ipv4' })
  const result = (name: string, ok: boolean): SessionResult => ok
    ? { endpoint: ep(name), ok: true, connectMs: 10, handshakeMs: 20, peer: { protocolVersion: 70016, userAgent: '/Satoshi:28.0.0/', startHeight: 1, services: '1' }, learned: [], addressesReceived: 0 }
    : { endpoint: ep(name), ok: false, reason: 'refused', learned: [], addressesReceived: 0 }
  const run = (status: 'finished' | 'interrupted', tries: Array<[string, boolean]>): void => {
    const r = store.beginRun('bitcoin', 'mainnet')
    for (const [name, ok] of tries) { t += 1000; store.recordResult('mainnet', result(name, ok)) }
    t += 1000
    store.finishRun(r, status, { tried: tries.length, reachable: tries.filter(([, ok]) => ok).length })
    t += 3600_000
  }
  run('finished', [['A', true], ['B', true], ['C', true], ['D', false]]) // up: A B C
  const single = await computeChurn(store.historyDir('mainnet'), 'mainnet', store.runs())
  assert.ok('notice' in single && /Fewer than two finished runs/.test(single.notice), 'one finished run: a notice')
  run('finished', [['A', true], ['B', true], ['C', false], ['D', true], ['E', true]]) // up: A B D E -> joined D E, left C
  run('interrupted', [['B', true], ['C', true]]) // not a finished run: skipped
  run('finished', [['A', false], ['A', true], ['B', false], ['C', true], ['E', true], ['E', false]]) // up: A C -> joined C, left B D E
  await store.close()

  const reader = await openStore(path, { mode: 'read' })
  const dir = reader.historyDir('mainnet')
  assert.ok(dir !== undefined)
  const churn = await computeChurn(dir, 'mainnet', reader.runs())
  assert.ok('pairs' in churn)
  assert.deepEqual(churn.pairs.map((p) => [p.joined, p.left]), [[2, 1], [1, 3]])
  const [r1, r2, , r4] = reader.runs('mainnet')
  assert.deepEqual(churn.pairs.map((p) => [p.from, p.to, p.endedAt]), [[r1.id, r2.id, r2.endedAt], [r2.id, r4.id, r4.endedAt]])
  // The same counts as `peers diff A B` between each pair (its own function).
  for (const [i, [a, b]] of [[r1, r2], [r2, r4]].entries()) {
    const diff = await diffWindows(dir, runWindow(a), runWindow(b))
    assert.deepEqual([churn.pairs[i].joined, churn.pairs[i].left], [diff.joined.length, diff.left.length])
  }
  assert.deepEqual((await churnPerRun(dir, reader.runs('mainnet'), 2)).map((p) => [p.from.id, p.to.id]), [[r2.id, r4.id]], 'only the last runs')

  const page = renderReportHtml(computeReportData('mainnet', reader.peers('mainnet'), reader.runs(), { churn }), {})
  assert.match(page, /data-chart="churn"><figcaption><h3>Joins and leaves per run<\/h3><p class="meta">[^<]*2 pairs of runs ending 2026-11-01 \d\d:\d\d UTC to 2026-11-01 \d\d:\d\d UTC<\/p><\/figcaption><svg/)
  // No history (a store read from schema 1): a notice, not an error.
  const noHistory = await computeChurn(undefined, 'mainnet', reader.runs())
  assert.match(renderReportHtml(computeReportData('mainnet', reader.peers('mainnet'), reader.runs(), { churn: noHistory }), {}), /data-notice="churn">No per-peer history/)
  assert.doesNotMatch(page, /need the per-peer history/)
})

test('report page: peer text is escaped; no geo database gives a notice and no map; an empty store says no peers yet', () => {
  const records = [peer({ userAgent: '/<script>alert(1)</script>/', country: 'DE', asn: 64500, asOrg: 'Evil <b>Org</b>' })]
  const withGeo = renderReportHtml(computeReportData('mainnet', records, []), { geoAttribution: 'Country data: test' })
  assert.doesNotMatch(withGeo, /<script|<b>/i)
  assert.match(withGeo, /data-country="DE" data-peers="1"/)
  const noGeo = renderReportHtml(computeReportData('mainnet', records, []), { geoNotice: 'no geo database was found' })
  assert.match(noGeo, /data-notice="no-geo"[^>]*>No map: no geo database was found/)
  assert.doesNotMatch(noGeo, /data-chart="world-map"/)
  const empty = renderReportHtml(computeReportData('mainnet', [], []), {})
  assert.match(empty, /No peers yet/)
  assert.doesNotMatch(empty, /<svg/)
})

test('peers report: writes <out>/<net>/<net>-report-<stamp>.html; empty store, no geo, unwritable --out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-report-'))
  const db = join(dir, 'peers.json')
  const empty = await openStore(db, { mode: 'write' })
  await empty.close()
  const out = join(dir, 'out')
  const first = await peers(['report', '--db', db, '--net', 'mainnet', '--out', out, '--json'], dir)
  assert.equal(first.code, 0, first.stderr)
  const { report } = JSON.parse(first.stdout) as { report: string }
  assert.match(report, new RegExp(`^${out}/mainnet/mainnet-report-\\d{14}\\.html$`))
  assert.match(readFileSync(report, 'utf8'), /No peers yet/)

  const dbWithPeers = join(dir, 'seeded.json')
  await seedReportStore(dbWithPeers, { peers: 200, seed: 7, runs: 2 })
  const noGeo = await peers(['report', '--db', dbWithPeers, '--net', 'mainnet', '--out', out, '--geo-db', 'off'], dir)
  assert.equal(noGeo.code, 0, noGeo.stderr)
  const page = readFileSync(noGeo.stdout.trim(), 'utf8')
  assert.match(page, /No map: country lookup is off/)
  assert.doesNotMatch(page, /data-chart="world-map"/)

  writeFileSync(join(dir, 'a-file'), '')
  const blocked = await peers(['report', '--db', dbWithPeers, '--net', 'mainnet', '--out', join(dir, 'a-file', 'sub'), '--quiet'], dir)
  assert.equal(blocked.code, 1)
  assert.equal(blocked.stdout, '')
  assert.equal(blocked.stderr.trim().split('\n').length, 1, blocked.stderr)
  assert.match(blocked.stderr, /^peers: \[PEERS_OUTPUT_IO\] cannot create the report directory .*a-file\/sub\/mainnet: a part of the path is a file, not a directory$/m)
})

// Never skipped: test/run.js installs chromium when missing (as root) and names it in PEERS_TEST_CHROMIUM; without it this fails in one line.
test('the report opens offline in Chromium: no request, no console error, every section drawn, countries shaded or listed', async () => {
  const seed = Number(process.env.PEERS_TEST_SEED ?? 20261130)
  console.log(`seed ${seed}`)
  const dir = mkdtempSync(join(tmpdir(), 'peers-report-chromium-'))
  const db = join(dir, 'peers.json')
  const seeded = await seedReportStore(db, { peers: 3000, seed, runs: 6 })
  const made = await peers(['report', '--db', db, '--net', 'mainnet', '--out', join(dir, 'out'), '--json'], dir)
  assert.equal(made.code, 0, made.stderr)
  const { report } = JSON.parse(made.stdout) as { report: string }
  assert.ok(existsSync(report))

  // The countries the page must show, from the country database read directly.
  const raw = await openRaw(installedGeoDatabase() as string)
  const expected = new Map<string, number>()
  // Only IP hosts: the raw reader would read an onion name as some address and answer for it.
  for (const host of seeded.hosts.filter((h) => isIP(h) !== 0)) {
    const code = raw.get(host)
    if (code !== undefined) expected.set(code, (expected.get(code) ?? 0) + 1)
  }
  // Shapes in world-atlas' 110m set, by ISO numeric code: Singapore (702), Hong Kong (344) and Malta (470) have none.
  const atlas = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('world-atlas/countries-110m.json'), 'utf8')) as { objects: { countries: { geometries: Array<{ id?: string }> } } }
  const ids = new Set(atlas.objects.countries.geometries.map((g) => g.id))
  for (const id of ['702', '344', '470']) assert.ok(!ids.has(id))

  const opened = await openOffline(pathToFileURL(report).href)
  try {
    const { page } = opened
    const sections = await page.$$eval('[data-section]', (els) => els.map((el) => ({
      id: el.getAttribute('data-section'),
      svgs: [...el.querySelectorAll('svg')].map((svg) => ({ shapes: svg.querySelectorAll('path, rect, text').length, width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height }))
    })))
    assert.deepEqual(sections.map((s) => s.id), ['headline', 'map', 'hosting', 'software', 'services', 'heights', 'latency', 'over-time', 'attribution'])
    for (const s of sections.filter((x) => x.id !== 'attribution')) {
      assert.ok(s.svgs.length > 0, `${s.id} has a chart`)
      for (const svg of s.svgs) assert.ok(svg.shapes > 5 && svg.width > 100 && svg.height > 100, `${s.id}: drawn ${JSON.stringify(svg)}`)
    }
    // Every chart has a title and a line with its units or date.
    const figures = await page.$$eval('figure.chart', (els) => els.map((f) => ({ id: f.getAttribute('data-chart'), title: f.querySelector('h3')?.textContent ?? '', meta: f.querySelector('.meta')?.textContent ?? '', svg: f.querySelector('svg') !== null, note: f.querySelector('.note')?.textContent ?? '' })))
    for (const f of figures) {
      assert.ok(f.title.length > 0 && /\d{4}-\d\d-\d\d/.test(f.meta), `${f.id}: title and date (${f.meta})`)
      assert.ok(f.svg || (f.id === 'uptime' && /No uptime recorded/.test(f.note)), `${f.id}: drawn, or says what is missing`)
    }
    assert.ok(figures.some((f) => f.id === 'churn' && f.svg), 'joins and leaves per run drawn (the seeded runs have history)')

    const shaded = await page.$$eval('path[data-country]', (els) => els.map((el) => ({ code: el.getAttribute('data-country') ?? '', peers: Number(el.getAttribute('data-peers')), fill: el.getAttribute('fill') })))
    const onMap = new Set(shaded.map((s) => s.code).filter((c) => c !== ''))
    const listed = new Map(await page.$$eval('table.small-countries tr[data-country]', (rows) => rows.map((r) => [r.getAttribute('data-country') ?? '', Number(r.querySelector('td.n')?.textContent?.replace(/,/g, ''))] as [string, number])))
    for (const [code, count] of expected) {
      if (onMap.has(code)) {
        const shape = shaded.find((s) => s.code === code)
        assert.equal(shape?.peers, count, `${code} on the map`)
        assert.notEqual(shape?.fill, '#eef0f3', `${code} is shaded`)
      } else {
        assert.equal(listed.get(code), count, `${code} is listed beside the map`)
      }
    }
    for (const s of shaded) if (s.peers > 0) assert.ok(expected.has(s.code), `${s.code} shaded only with peers`)
    for (const code of ['SG', 'HK', 'MT']) if (expected.has(code)) assert.ok(listed.has(code), `${code} listed`)
    assert.ok(['SG', 'HK', 'MT'].some((c) => listed.has(c)), 'the seed puts peers in a country too small for the map')

    assert.deepEqual(opened.blocked, [], 'the page requested nothing outside file://')
    assert.deepEqual(opened.errors, [], 'no console errors')
  } finally {
    await opened.close()
  }
})

/** The country database read directly with the `maxmind` package: the oracle. */
async function openRaw (path: string): Promise<{ get: (ip: string) => string | undefined }> {
  const reader = await maxmind.open(path)
  return { get: (ip) => (reader.get(ip) as { country_code?: string } | null)?.country_code }
}
