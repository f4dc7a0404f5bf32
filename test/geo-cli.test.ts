// Countries through the CLI: list --country, stats, json/csv exports (the txt export keeps its
// format), with the installed country database; the expected countries come from that
// database read directly with the `maxmind` package.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import maxmind from 'maxmind'
import type { Endpoint, SessionResult } from '../src/contract.js'
import { parseCsv } from '../src/asn/csv.js'
import { installedGeoDatabase } from '../src/geo/lookup.js'
import { openStore } from '../src/store/store.js'
import { runCli, type CliOutcome } from './helpers/cli.js'

const HOSTS = ['2.59.134.244', '88.99.71.213', '85.214.161.252', '8.8.8.8', '103.99.169.110', '2a01:4f8::1']
const ONION = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion'

function ep (host: string): Endpoint {
  return { host, port: 8333, type: host.endsWith('.onion') ? 'onion' : host.includes(':') ? 'ipv6' : 'ipv4' }
}

function peers (args: string[], cwd: string): Promise<CliOutcome> {
  return runCli(args, { cwd, env: { PEERS_ASN_DB: undefined, PEERS_DB: undefined, PEERS_GEO_DB: undefined } })
}

test('country in list (--country), stats and json/csv exports; the txt export is unchanged; onion peers have none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-geo-cli-'))
  const db = join(dir, 'peers.json')
  const store = await openStore(db, { mode: 'write' })
  for (const host of [...HOSTS, ONION]) {
    store.recordDiscovered('mainnet', ep(host), null)
    const result: SessionResult = { endpoint: ep(host), ok: true, connectMs: 20, peer: { userAgent: '/Satoshi:28.1.0/' }, learned: [], addressesReceived: 0 }
    store.recordResult('mainnet', result)
  }
  await store.close()
  const raw = await openRaw(installedGeoDatabase() as string)
  const want = new Map(HOSTS.map((h) => [h, raw.get(h)]))
  const de = HOSTS.filter((h) => want.get(h) === 'DE')
  assert.ok(de.length >= 2, `the fixture has German addresses: ${JSON.stringify([...want])}`)

  const listed = await peers(['list', '--db', db, '--country', 'de', '--json'], dir)
  assert.equal(listed.code, 0, listed.stderr)
  const rows = JSON.parse(listed.stdout) as Array<{ host: string, country?: string, countryName?: string }>
  assert.deepEqual(rows.map((r) => r.host).sort(), [...de].sort())
  assert.ok(rows.every((r) => r.country === 'DE' && r.countryName === 'Germany'))

  const table = await peers(['list', '--db', db], dir)
  assert.match(table.stdout, /^address +AS +organisation +country +user agent/m)
  assert.match(table.stdout, new RegExp(`^${ONION}:8333 +-- +/Satoshi`, 'm'), 'an onion peer shows no country')
  assert.match(table.stdout, /Country data: geo-whois-asn-country by ip-location-db/, 'attribution with the results')

  const bad = await peers(['list', '--db', db, '--country', 'Germany'], dir)
  assert.equal(bad.code, 2)
  assert.equal(bad.stderr.trim().split('\n').length, 1)
  assert.match(bad.stderr, /^peers: \[PEERS_USAGE\] --country Germany: expected a two-letter ISO 3166-1 code/)

  const stats = await peers(['stats', '--db', db, '--json'], dir)
  const [s] = JSON.parse(stats.stdout) as Array<{ byCountry: { top: Array<{ key: string, count: number }>, noCountry: number }, countryData: string }>
  assert.equal(s.byCountry.top.find((r) => r.key === 'DE')?.count, de.length)
  assert.equal(s.byCountry.noCountry, 1)
  assert.match(s.countryData, /CC0-1\.0/)

  const out = join(dir, 'out')
  const json = await peers(['export', '--db', db, '--format', 'json', '--out', out], dir)
  assert.equal(json.code, 0, json.stderr)
  const exported = JSON.parse(readFileSync(json.stdout.trim(), 'utf8')) as Array<{ host: string, country?: string }>
  for (const r of exported) assert.equal(r.country, r.host === ONION ? undefined : want.get(r.host), r.host)
  const csv = await peers(['export', '--db', db, '--format', 'csv', '--out', out], dir)
  const csvRows: string[][] = []
  parseCsv(readFileSync(csv.stdout.trim(), 'utf8'), (fields) => csvRows.push(fields))
  const [header, ...lines] = csvRows
  const column = header.indexOf('country')
  const nameColumn = header.indexOf('countryName')
  assert.ok(column > 0 && nameColumn > column)
  assert.ok(lines.some((l) => l[column] === 'DE' && l[nameColumn] === 'Germany'), 'country code, and its name in the countryName column')
  const txt = await peers(['export', '--db', db, '--out', out], dir)
  for (const line of readFileSync(txt.stdout.trim(), 'utf8').trimEnd().split('\n')) assert.match(line, /^\S+ \/ AS\? \/ unknown$/, 'txt: address / AS / organisation, nothing more')
})

/** The country database read directly with the `maxmind` package: the oracle. */
async function openRaw (path: string): Promise<{ get: (ip: string) => string | undefined }> {
  const reader = await maxmind.open(path)
  return { get: (ip) => (reader.get(ip) as { country_code?: string } | null)?.country_code }
}
