// Countries: the geo database's resolution order and errors, lookups checked against the
// database read directly with the `maxmind` package, ISO codes against ISO 3166-1, and the
// country figures of `peers stats`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import maxmind from 'maxmind'
import type { Logger } from '../src/contract.js'
import { GeoDatabaseError } from '../src/errors.js'
import { alpha2OfNumeric, countryName, hasCountryAnswer } from '../src/geo/countries.js'
import { GEO_PACKAGE, installedGeoDatabase, openGeoLookup } from '../src/geo/lookup.js'
import { computeStats } from '../src/stats/stats.js'
import { renderStats } from '../src/stats/render.js'
import type { PeerRecord } from '../src/store/types.js'

function recordingLogger (): Logger & { lines: string[] } {
  const lines: string[] = []
  return { lines, debug: () => {}, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) }
}

test('ISO 3166-1 numeric codes (world-atlas shape ids) become the alpha-2 codes the standard gives', () => {
  // ISO 3166-1: 276 Germany DE, 840 United States US, 643 Russian Federation RU, 156 China CN,
  // 392 Japan JP, 076 Brazil BR, 250 France FR, 826 United Kingdom GB, 710 South Africa ZA, 036 Australia AU.
  const iso: Array<[string, string]> = [['276', 'DE'], ['840', 'US'], ['643', 'RU'], ['156', 'CN'], ['392', 'JP'], ['076', 'BR'], ['250', 'FR'], ['826', 'GB'], ['710', 'ZA'], ['036', 'AU']]
  for (const [numeric, alpha2] of iso) assert.equal(alpha2OfNumeric(numeric), alpha2, numeric)
  assert.equal(alpha2OfNumeric('999'), undefined)
  assert.equal(alpha2OfNumeric('DE'), undefined)
  // Every shape of the map with an id has a distinct code.
  const file = createRequire(import.meta.url).resolve('world-atlas/countries-110m.json')
  const shapes = (JSON.parse(readFileSync(file, 'utf8')) as { objects: { countries: { geometries: Array<{ id?: string }> } } }).objects.countries.geometries
  const codes = shapes.filter((g) => g.id !== undefined).map((g) => alpha2OfNumeric(g.id as string))
  assert.ok(codes.every((c) => c !== undefined && /^[A-Z]{2}$/.test(c)), JSON.stringify(codes))
  assert.equal(new Set(codes).size, codes.length)
  assert.equal(countryName('DE'), 'Germany')
  assert.equal(countryName('not a code'), 'not a code')
  for (const type of ['onion', 'i2p', 'cjdns', 'yggdrasil'] as const) assert.equal(hasCountryAnswer(type), false, type)
})

test('the installed country database answers as the database itself does; overlays and private addresses get none', async () => {
  const path = installedGeoDatabase()
  assert.ok(path !== undefined, `${GEO_PACKAGE} is installed`)
  const log = recordingLogger()
  const geo = await openGeoLookup({ log, env: {}, cwd: mkdtempSync(join(tmpdir(), 'peers-geo-')) })
  assert.ok(geo)
  assert.equal(geo.source.path, path, 'found with no flag, no variable, nothing in the usual places')
  assert.match(geo.source.attribution, /ip-location-db.*CC0-1\.0.*NRO/)
  assert.match(geo.source.builtOn, /^\d{4}-\d\d-\d\d$/)
  const raw = await openRaw(path)
  const ips = ['1.1.1.1', '8.8.8.8', '2.59.134.244', '88.99.71.213', '103.99.169.110', '2001:4860:4860::8888', '2a01:4f8::1']
  for (const ip of ips) {
    const want = raw.get(ip)
    assert.ok(want !== undefined, `the database places ${ip}`)
    assert.equal(geo.country(ip), want, ip)
  }
  assert.equal(geo.country('::ffff:8.8.8.8'), raw.get('8.8.8.8'), 'IPv4-mapped IPv6 asks for the IPv4 address')
  for (const host of ['10.0.0.1', 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion', 'x.b32.i2p', 'not an ip']) assert.equal(geo.country(host), undefined, host)
  assert.deepEqual(log.lines.filter((l) => l.startsWith('warn')), [])
})

test('openGeoLookup: --geo-db > PEERS_GEO_DB > usual places; off is quiet; a missing named database is one line; a bad usual one is skipped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-geo-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const installed = installedGeoDatabase() as string
  const log = recordingLogger()
  assert.equal((await openGeoLookup({ path: installed, log, env: { PEERS_GEO_DB: join(dir, 'nope.mmdb') } }))?.source.path, installed, 'the flag wins over the variable')
  assert.equal((await openGeoLookup({ log, env: { PEERS_GEO_DB: installed } }))?.source.path, installed)
  assert.equal(await openGeoLookup({ path: 'off', log, env: {} }), undefined)
  assert.equal(await openGeoLookup({ log, env: { PEERS_GEO_DB: 'off' } }), undefined)
  assert.deepEqual(log.lines, [], 'off says nothing')

  const oneLine = (pattern: RegExp) => (err: unknown): boolean => err instanceof GeoDatabaseError && err.code === 'PEERS_GEO_DB' && !err.message.includes('\n') && pattern.test(err.message)
  await assert.rejects(openGeoLookup({ path: join(dir, 'missing.mmdb'), log, env: {} }), oneLine(/missing\.mmdb \(from --geo-db\) does not exist/))
  await assert.rejects(openGeoLookup({ log, env: { PEERS_GEO_DB: join(dir, 'missing.mmdb') } }), oneLine(/from PEERS_GEO_DB\) does not exist/))
  writeFileSync(join(dir, 'junk.mmdb'), 'not a database')
  await assert.rejects(openGeoLookup({ path: join(dir, 'junk.mmdb'), log, env: {} }), oneLine(/not a readable MaxMind DB/))

  const skipping = recordingLogger()
  assert.equal(await openGeoLookup({ log: skipping, env: {}, cwd: dir, places: ['junk.mmdb', 'absent.mmdb'] }), undefined)
  assert.equal(skipping.lines.length, 2)
  assert.match(skipping.lines[0], /^warn .*junk\.mmdb.*trying the next place$/)
  assert.match(skipping.lines[1], /^warn no usable geo database found/)
})

let counter = 0
function peer (fields: Partial<PeerRecord>): PeerRecord {
  counter++
  return {
    network: 'mainnet', host: `198.51.100.${counter & 255}`, port: 8333, type: 'ipv4', firstSeen: '2026-11-01T00:00:00.000Z',
    lastTried: '2026-11-01T01:00:00.000Z', lastSuccess: '2026-11-01T01:00:00.000Z', successes: 1, failures: 0, advertisements: 0, ...fields
  }
}

test('stats by country: exact counts, overlays apart, unplaced IPs as unknown, concentration over all reachable peers', () => {
  // 12 reachable: DE 4, US 3, SG 1, 2 IPs without a country, 2 onion; 1 unreachable DE.
  // Half of 12 is 6: DE 4 falls short, DE + US = 7 reaches it: 2 countries.
  const records = [
    ...Array.from({ length: 4 }, () => peer({ country: 'DE' })),
    ...Array.from({ length: 3 }, () => peer({ country: 'US' })),
    peer({ country: 'SG' }),
    peer({}), peer({}),
    peer({ type: 'onion', host: 'a.onion' }), peer({ type: 'onion', host: 'b.onion' }),
    peer({ country: 'DE', lastSuccess: undefined, lastFailure: 'refused' })
  ]
  const s = computeStats('mainnet', records, { top: 2 })
  assert.equal(s.reachable, 12)
  assert.deepEqual(s.byCountry.top.map((r) => [r.key, r.name, r.count]), [['DE', 'Germany', 4], ['US', 'United States', 3]])
  assert.deepEqual(s.byCountry.rest, { groups: 1, count: 1, share: 100 / 12 })
  assert.equal(s.byCountry.distinct, 3)
  assert.equal(s.byCountry.unknown, 2)
  assert.equal(s.byCountry.noCountry, 2)
  assert.equal(s.countryConcentration.groups, 2)
  assert.deepEqual(s.countryConcentration.members.map((m) => m.key), ['DE', 'US'])
  const text = renderStats(s, { tty: false })
  assert.match(text, /^DE +Germany +4 +33\.3%$/m)
  assert.match(text, /^-- +none \(onion, I2P, CJDNS: no country\) +2 +16\.7%$/m)
  assert.match(text, /Country concentration: 2 countries host at least half of the reachable peers \(58\.3%\): DE, US/)
})

/** The country database read directly with the `maxmind` package: the oracle. */
async function openRaw (path: string): Promise<{ get: (ip: string) => string | undefined }> {
  const reader = await maxmind.open(path)
  return { get: (ip) => (reader.get(ip) as { country_code?: string } | null)?.country_code }
}
