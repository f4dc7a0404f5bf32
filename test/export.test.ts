import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Endpoint, SessionResult } from '../src/contract.js'
import { CSV_COLUMNS, csvField, exportNetwork, txtLine } from '../src/export/export.js'
import { openStore } from '../src/store/store.js'
import type { PeerStore } from '../src/store/types.js'
import { uptimeValues } from '../src/store/uptime.js'

const NET = 'testnet4'
const NOW = new Date('2024-10-24T21:07:05.123Z')

function ep (host: string, port = 48333): Endpoint {
  return { host, port, type: host.endsWith('.onion') ? 'onion' : host.includes(':') ? 'ipv6' : 'ipv4' }
}

function reached (endpoint: Endpoint, userAgent = '/Satoshi:28.0.0/'): SessionResult {
  return { endpoint, ok: true, connectMs: 10, handshakeMs: 20, peer: { userAgent, services: '1033', protocolVersion: 70016, startHeight: 60000 }, learned: [], addressesReceived: 3 }
}

const ONION = 'vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion'

/** Reachable peers in a deliberately shuffled order, plus one unreachable. */
async function filledStore (): Promise<PeerStore> {
  const store = await openStore(join(mkdtempSync(join(tmpdir(), 'peers-export-')), 'peers.json'), { mode: 'write' })
  for (const host of [ONION, '2001:df6:7280::92:204', '10.0.0.1', '2001:df6:7280::92:1f', '2.59.134.244', '9.255.0.1']) {
    store.recordDiscovered(NET, ep(host), null)
    store.recordResult(NET, reached(ep(host)))
  }
  store.recordResult(NET, reached(ep('2.59.134.244', 8333)))
  store.recordResult(NET, { endpoint: ep('1.1.1.1'), ok: false, reason: 'refused', learned: [], addressesReceived: 0 })
  store.setAsn(NET, ep('2.59.134.244'), 58212, 'dataforest GmbH')
  store.setAsn(NET, ep('2.59.134.244', 8333), 58212, 'dataforest GmbH')
  return store
}

test('txt: the original format, reachable peers in numeric address order, IPv4 before IPv6 before overlay names', async () => {
  const store = await filledStore()
  const outDir = mkdtempSync(join(tmpdir(), 'peers-out-'))
  const path = await exportNetwork(store, NET, { format: 'txt', outDir, now: NOW })
  assert.equal(path, join(outDir, NET, `${NET}-20241024210705.txt`))
  assert.equal(readFileSync(path, 'utf8'), [
    '2.59.134.244:8333 / AS58212 / dataforest GmbH',
    '2.59.134.244:48333 / AS58212 / dataforest GmbH',
    '9.255.0.1:48333 / AS? / unknown',
    '10.0.0.1:48333 / AS? / unknown',
    '[2001:df6:7280::92:1f]:48333 / AS? / unknown',
    '[2001:df6:7280::92:204]:48333 / AS? / unknown',
    `${ONION}:48333 / AS? / unknown`,
    ''
  ].join('\n'))
  await store.close()
})

test('an ASN lookup fills asn/org on the store records before writing; overlays are not looked up', async () => {
  const store = await filledStore()
  const asked: string[] = []
  const asn = {
    path: 'fake.mmdb',
    attribution: 'ASN data: a test double',
    lookup (ip: string) {
      asked.push(ip)
      return ip === '10.0.0.1' ? { asn: 64500, org: 'Example, "Quoted" Org' } : {}
    }
  }
  const outDir = mkdtempSync(join(tmpdir(), 'peers-out-'))
  const path = await exportNetwork(store, NET, { format: 'txt', outDir, now: NOW, asn })
  assert.ok(!asked.includes(ONION))
  assert.equal(store.get(NET, ep('10.0.0.1'))?.asn, 64500)
  assert.equal(store.get(NET, ep('2.59.134.244'))?.asn, undefined, 'the lookup is authoritative at export time')
  assert.match(readFileSync(path, 'utf8'), /^10\.0\.0\.1:48333 \/ AS64500 \/ Example, "Quoted" Org$/m)
  await store.close()
})

/** An RFC 4180 reader written independently of the exporter. */
function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(field); field = '' } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++ } else field += c
  }
  return rows
}

test('csv: every stored field, RFC 4180 quoting round-trips hostile text; --all adds unreachable peers', async () => {
  const store = await filledStore()
  const userAgent = '/evil,"agent"\r\nnext line/'
  store.recordResult(NET, reached(ep('10.0.0.1'), userAgent))
  store.setAsn(NET, ep('10.0.0.1'), 64500, 'Org, Inc.')
  const outDir = mkdtempSync(join(tmpdir(), 'peers-out-'))
  const rows = parseCsv(readFileSync(await exportNetwork(store, NET, { format: 'csv', outDir, now: NOW }), 'utf8'))
  const [header, ...data] = rows
  assert.deepEqual(header, [...CSV_COLUMNS])
  assert.equal(data.length, 7)
  const record = store.get(NET, ep('10.0.0.1'))
  assert.ok(record !== undefined)
  const row = Object.fromEntries(header.map((h, i) => [h, data[3][i]]))
  // Objects (answer, extra) as JSON, as csvField writes them; uptime as its numbers (the store keeps it as text); a field a record declares but has not set is empty.
  for (const [key, value] of Object.entries(record)) assert.equal(row[key], key === 'uptime' ? JSON.stringify(uptimeValues(value as string)) : value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value), key)
  // Reached once, at its first try (sipa's start: age 1000 s): 100·(1 - e^(-1000/τ)) for τ = 2 h.
  assert.equal(row.uptime_2h, (100 * (1 - Math.exp(-1000 / 7200))).toFixed(2))
  assert.equal(row.uptime_share_2h, '100.00')
  assert.equal(row.reachable, 'true')
  assert.equal(row.userAgent, userAgent)

  const all = parseCsv(readFileSync(await exportNetwork(store, NET, { format: 'csv', outDir, now: NOW, all: true }), 'utf8'))
  assert.equal(all.length, 1 + 8)
  assert.ok(all.some((r) => r[header.indexOf('host')] === '1.1.1.1' && r[header.indexOf('reachable')] === 'false'))
  await store.close()
})

test('json: the records with every stored field, sorted by address', async () => {
  const store = await filledStore()
  store.recordResult(NET, { ...reached(ep('9.255.0.1')), peer: { userAgent: '/x/', extra: { nodeId: 'abc', weight: 3 } } })
  const outDir = mkdtempSync(join(tmpdir(), 'peers-out-'))
  const path = await exportNetwork(store, NET, { format: 'json', outDir, now: NOW })
  assert.equal(path, join(outDir, NET, `${NET}-20241024210705.json`))
  const exported = JSON.parse(readFileSync(path, 'utf8')) as Array<Record<string, unknown>>
  assert.deepEqual(exported.map((r) => `${r.host}:${r.port}`), [
    '2.59.134.244:8333', '2.59.134.244:48333', '9.255.0.1:48333', '10.0.0.1:48333',
    '2001:df6:7280::92:1f:48333', '2001:df6:7280::92:204:48333', `${ONION}:48333`
  ])
  const { uptimePercent, uptimeShare, ...stored } = exported[2]
  const record = store.get(NET, ep('9.255.0.1'))
  assert.ok(record?.uptime !== undefined)
  // As JSON has it (fields declared but unset are left out), uptime as its numbers.
  assert.deepEqual(stored, JSON.parse(JSON.stringify({ reachable: true, ...record, uptime: uptimeValues(record.uptime) })))
  // Reached at every try so far: sipa's figure is below 100 % (unobserved time counts as down), the share is 100 %.
  assert.equal((uptimePercent as Record<string, number>)['2h'], Math.round(10000 * (1 - Math.exp(-1000 / 7200))) / 100)
  assert.equal((uptimeShare as Record<string, number>)['30d'], 100)
  await store.close()
})

test('txt lines always split into three fields; csv fields quote only when needed', () => {
  const base = { network: NET, host: '2001:db8::1', port: 8333, type: 'ipv6' as const, firstSeen: '', successes: 1, failures: 0, advertisements: 0 }
  assert.equal(txtLine({ ...base, asn: 64500 }), '[2001:db8::1]:8333 / AS64500 / unknown')
  assert.equal(txtLine({ ...base, asOrg: 'Org without a number' }), '[2001:db8::1]:8333 / AS? / unknown')
  assert.equal(txtLine({ ...base, asn: 64500, asOrg: 'Two\r\nlines' }), '[2001:db8::1]:8333 / AS64500 / Two lines')
  assert.equal(csvField('plain'), 'plain')
  assert.equal(csvField(undefined), '')
  assert.equal(csvField(false), 'false')
  assert.equal(csvField('a "b"'), '"a ""b"""')
  assert.equal(csvField('line\nbreak'), '"line\nbreak"')
  assert.equal(csvField({ nodeId: 'x,y' }), '"{""nodeId"":""x,y""}"')
})
