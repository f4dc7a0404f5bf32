import { test } from 'node:test'
import assert from 'node:assert/strict'
import { computeStats } from '../src/stats/stats.js'
import { renderStats } from '../src/stats/render.js'
import type { PeerRecord } from '../src/store/types.js'
import { renderTable } from '../src/cli/table.js'

let counter = 0
/** A record; reachable unless told otherwise. */
function peer (fields: Partial<PeerRecord> & { reachable?: boolean } = {}): PeerRecord {
  const { reachable = true, ...rest } = fields
  counter++
  return {
    network: 'mainnet',
    host: `198.51.${counter >> 8}.${counter & 255}`,
    port: 8333,
    type: 'ipv4',
    firstSeen: '2024-10-24T00:00:00.000Z',
    lastAdvertised: '2024-10-24T00:00:00.000Z',
    lastTried: '2024-10-24T01:00:00.000Z',
    ...(reachable ? { lastSuccess: '2024-10-24T01:00:00.000Z' } : { lastFailure: 'refused' as const }),
    successes: reachable ? 1 : 0,
    failures: reachable ? 0 : 1,
    advertisements: 0,
    ...rest
  }
}

function many (n: number, fields: Partial<PeerRecord> & { reachable?: boolean }): PeerRecord[] {
  return Array.from({ length: n }, () => peer(fields))
}

test('AS counts are exact, unreachable peers do not count, and the concentration is the smallest AS set covering half', () => {
  // 20 reachable peers in ASes (5, 4, 4, 3, 2, 1, 1) and 2 with no AS: 22 reachable.
  // Half of 22 is 11: 5 + 4 = 9 falls short, 5 + 4 + 4 = 13 reaches it, so 3 ASes.
  const records = [
    ...many(5, { asn: 64505, asOrg: 'Five' }),
    ...many(4, { asn: 64504, asOrg: 'Four A' }),
    ...many(4, { asn: 64503, asOrg: 'Four B' }),
    ...many(3, { asn: 64502 }),
    ...many(2, { asn: 64501 }),
    ...many(1, { asn: 64500 }),
    ...many(1, { asn: 64499 }),
    ...many(2, {}),
    ...many(7, { asn: 64505, reachable: false })
  ]
  const s = computeStats('mainnet', records, { top: 3 })
  assert.equal(s.reachable, 22)
  assert.deepEqual(s.byAsn.top.map((r) => [r.asn, r.count]), [[64505, 5], [64503, 4], [64504, 4]], 'ties by lower AS number')
  assert.equal(s.byAsn.top[0].org, 'Five')
  assert.equal(s.byAsn.top[0].share, 5 * 100 / 22)
  assert.deepEqual(s.byAsn.rest, { groups: 4, count: 7, share: 7 * 100 / 22 })
  assert.equal(s.byAsn.distinct, 7)
  assert.equal(s.byAsn.unknown, 2)
  assert.equal(s.concentration.ases, 3)
  assert.equal(s.concentration.share, 13 * 100 / 22)
  assert.deepEqual(s.concentration.members.map((m) => m.asn), [64505, 64503, 64504])
})

test('concentration: exactly half is enough; unknowns can make it impossible; no peers gives null', () => {
  assert.equal(computeStats('n', [...many(2, { asn: 1 }), ...many(2, { asn: 2 })], { top: 5 }).concentration.ases, 1)
  const mostlyUnknown = computeStats('n', [...many(10, {}), ...many(1, { asn: 1 }), ...many(1, { asn: 2 })], { top: 5 })
  assert.equal(mostlyUnknown.concentration.ases, null)
  assert.equal(mostlyUnknown.concentration.share, 2 * 100 / 12)
  const empty = computeStats('n', many(3, { asn: 1, reachable: false }), { top: 5 })
  assert.equal(empty.reachable, 0)
  assert.equal(empty.concentration.ases, null)
})

test('types, user agents, versions and services are counted with names from the adapter', () => {
  const records = [
    ...many(3, { userAgent: '/Satoshi:27.0.0/', protocolVersion: 70016, services: '1033' }),
    ...many(2, { type: 'ipv6', host: '2001:db8::1', userAgent: '/Satoshi:26.0.0/', protocolVersion: 70016, services: '1' }),
    ...many(1, { type: 'onion', userAgent: '', services: '1033' }),
    ...many(4, { userAgent: '/btcd:0.24.0/', reachable: false })
  ]
  const names = (services: string): string[] => {
    const bits = BigInt(services)
    return [[1n, 'NETWORK'], [8n, 'WITNESS'], [1024n, 'NETWORK_LIMITED']].filter(([bit]) => (bits & (bit as bigint)) !== 0n).map(([, name]) => name as string)
  }
  const s = computeStats('mainnet', records, { top: 10, serviceNames: names })
  assert.deepEqual(s.byType.map((r) => [r.key, r.count]), [['ipv4', 3], ['ipv6', 2], ['onion', 1]])
  assert.deepEqual(s.byUserAgent.top.map((r) => [r.key, r.count]), [['/Satoshi:27.0.0/', 3], ['/Satoshi:26.0.0/', 2], ['(none)', 1]])
  assert.deepEqual(s.byProtocolVersion.map((r) => [r.key, r.count]), [['70016', 5], ['(none)', 1]])
  assert.deepEqual(s.byServices.top.map((r) => [r.key, r.hex, r.names.join('|'), r.count]), [
    ['1033', '0x409', 'NETWORK|WITNESS|NETWORK_LIMITED', 4],
    ['1', '0x1', 'NETWORK', 2]
  ])
  // Without an adapter's names: raw values only.
  assert.deepEqual(computeStats('mainnet', records, { top: 10 }).byServices.top[0].names, [])
})

test('render: bars on a TTY only, peer text cannot carry control characters', () => {
  const records = [...many(3, { asn: 64500, asOrg: 'Evil\u001b[2JCorp', userAgent: '/x\u0007/' }), ...many(1, { asn: 64501 })]
  const s = computeStats('mainnet', records, { top: 5 })
  const tty = renderStats(s, { tty: true })
  const pipe = renderStats(s, { tty: false })
  assert.match(tty, /AS64500 +Evil\?\[2JCorp +3 +75\.0% +█{24}$/m)
  assert.doesNotMatch(pipe, /█/)
  assert.match(pipe, /AS concentration: 1 AS host at least half of the reachable peers \(75\.0%\): AS64500/)
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(tty + pipe, /[\u0000-\u0009\u000b-\u001f]/)
})

test('renderTable: widths from every row, even for more rows than a spread argument list holds', () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), i === 123_456 ? 'the widest cell' : 'x'])
  const lines = renderTable([{ header: 'n', align: 'right' }, { header: 'text' }], rows).split('\n')
  assert.equal(lines[0], '     n  text')
  assert.equal(lines[123_457], '123456  the widest cell')
  assert.equal(lines[1], '     0  x')
})
