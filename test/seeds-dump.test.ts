// `peers export --format seeds`: the DNS seeder dump that Bitcoin Core's makeseeds.py reads.
// Golden lines come from ../shared/seeds-format.md: §1's example line was checked there
// byte for byte against libc snprintf with sipa's format string; the others were printed
// with Python's %-formatting (C printf semantics) and the same format string. The "good"
// cases follow sipa's db.h IsGood (§3).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bitcoinAdapter } from '../adapters/bitcoin/index.js'
import { cleanAgent, formatSeedsRow, isGood, SEEDS_HEADER, seedsDump, seedsLine } from '../adapters/bitcoin/seeds-dump.js'
import type { Network, StoredPeer } from '../src/contract.js'
import { openStore } from '../src/store/store.js'
import { runCli } from './helpers/cli.js'

const MAINNET = bitcoinAdapter.networks.find((n) => n.id === 'mainnet') as Network
const SIGNET = bitcoinAdapter.networks.find((n) => n.id === 'signet') as Network
const LAST_SUCCESS = '2026-01-01T00:00:00.000Z' // 1767225600
const ONION = 'vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion'
const I2P = 'ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p'

function uptime (...reliabilities: number[]): StoredPeer['uptimeWindows'] {
  return reliabilities.map((reliability) => ({ weight: 1, count: 100, reliability }))
}

function peer (over: Partial<StoredPeer>): StoredPeer {
  return {
    host: '93.184.216.34', port: 8333, type: 'ipv4', lastSuccess: LAST_SUCCESS, successes: 40, failures: 2,
    services: String(0xc09), protocolVersion: 70016, userAgent: '/Satoshi:29.0.0/', startHeight: 930000,
    uptimeWindows: uptime(1, 1, 0.999, 0.995, 0.991),
    ...over
  }
}

describe('seeds dump format', () => {
  it('the header line is sipa\'s, verbatim', () => {
    assert.equal(SEEDS_HEADER, '# address                                        good  lastSuccess    %(2h)   %(8h)   %(1d)   %(7d)  %(30d)  blocks      svcs  version\n')
  })

  it('the specification\'s example line, byte for byte', () => {
    const line = formatSeedsRow({ address: '127.0.0.1:8333', good: true, lastSuccess: 1767225480, uptimes: [1, 1, 0.999, 0.995, 0.991], blocks: 930000, services: 0xc09n, version: 70016, agent: '/Satoshi:29.0.0/' })
    assert.equal(line, '127.0.0.1:8333                                      1   1767225480  100.00% 100.00%  99.90%  99.50%  99.10%  930000  00000c09  70016 "/Satoshi:29.0.0/"\n')
  })

  it('IPv6 in brackets', () => {
    const line = seedsLine(peer({ host: '2a01:4f8:c17:1234::1', type: 'ipv6', services: String(0x409), userAgent: '/Satoshi:28.1.0/', startHeight: 930001, uptimeWindows: uptime(1, 0.875, 0.6025, 0.4, 0.33333), lastSuccess: '2026-01-01T00:00:00.999Z' }), MAINNET)
    assert.equal(line, '[2a01:4f8:c17:1234::1]:8333                         1   1767225600  100.00%  87.50%  60.25%  40.00%  33.33%  930001  00000409  70016 "/Satoshi:28.1.0/"\n')
  })

  it('an onion name longer than the column is written whole', () => {
    const line = seedsLine(peer({ host: ONION, type: 'onion', uptimeWindows: uptime(1, 1, 1, 1, 1) }), MAINNET)
    assert.equal(line, `${ONION}:8333     1   1767225600  100.00% 100.00% 100.00% 100.00% 100.00%  930000  00000c09  70016 "/Satoshi:29.0.0/"\n`)
  })

  it('an I2P name on port 0, good; without stored uptime every window is 0.00%', () => {
    const line = seedsLine(peer({ host: I2P, type: 'i2p', port: 0, services: String(0x409), uptimeWindows: undefined, successes: 1, failures: 0 }), MAINNET)
    assert.equal(line, `${I2P}:0     1   1767225600    0.00%   0.00%   0.00%   0.00%   0.00%  930000  00000409  70016 "/Satoshi:29.0.0/"\n`)
  })

  it('an agent that needs cleaning keeps one quoted token (makeseeds splits on whitespace); a negative height is printed as is', () => {
    const line = seedsLine(peer({ userAgent: '/Satoshi:27.0.0(my node)/"\t\u0007é', services: '1', protocolVersion: 70015, startHeight: -1, uptimeWindows: uptime(0, 0, 0, 0, 0) }), MAINNET)
    assert.equal(line, '93.184.216.34:8333                                  0   1767225600    0.00%   0.00%   0.00%   0.00%   0.00%      -1  00000001  70015 "/Satoshi:27.0.0(mynode)/"\n')
    assert.equal(line.trimEnd().split(/\s+/).length, 12)
    assert.equal(cleanAgent('a b"c\nd'), 'abcd')
  })

  it('services wider than 32 bits print in full, lower case', () => {
    assert.match(seedsLine(peer({ services: (1n << 40n | 0xc09n).toString() }), MAINNET), / 10000000c09 {2}/)
  })

  describe('good (sipa IsGood)', () => {
    const cases: Array<[string, Partial<StoredPeer>, Network, boolean]> = [
      ['a good node', {}, MAINNET, true],
      ['another port than the network\'s', { port: 8334 }, MAINNET, false],
      ['the network\'s own default port (signet 38333)', { port: 38333, startHeight: 200_000 }, SIGNET, true],
      ['no NODE_NETWORK', { services: String(0x400) }, MAINNET, false],
      ['non-routable (private)', { host: '10.0.0.1' }, MAINNET, false],
      ['protocol below 70001', { protocolVersion: 70000 }, MAINNET, false],
      ['protocol 0 (unknown) passes', { protocolVersion: 0 }, MAINNET, true],
      ['mainnet height below 350,000', { startHeight: 349_999 }, MAINNET, false],
      ['height 0 (unknown) passes', { startHeight: 0 }, MAINNET, true],
      ['test networks have no minimum height', { port: 38333, startHeight: 5 }, SIGNET, true],
      ['few tries, half good', { uptimeWindows: undefined, successes: 2, failures: 1 }, MAINNET, true],
      ['few tries, mostly bad', { uptimeWindows: undefined, successes: 1, failures: 2 }, MAINNET, false],
      ['many tries, no window above its bar', { uptimeWindows: uptime(0.85, 0.7, 0.55, 0.45, 0.35) }, MAINNET, false],
      ['many tries, 30 d window above 35 % with count > 32', { uptimeWindows: uptime(0, 0, 0, 0, 0.36) }, MAINNET, true]
    ]
    for (const [name, over, network, good] of cases) {
      it(`${name}: ${good ? 1 : 0}`, () => assert.equal(isGood(peer(over), network), good))
    }
    it('count at the bar is not enough (2 h > 0.85 needs count > 2)', () => {
      const p = peer({ uptimeWindows: [{ weight: 1, count: 2, reliability: 0.9 }, ...uptime(0, 0, 0, 0) ?? []] })
      assert.equal(isGood(p, MAINNET), false)
    })
  })

  it('rows: only nodes with a success, in sipa\'s order (30 d uptime, 7 d, protocol version, all descending)', () => {
    const dump = seedsDump([
      peer({ host: '1.0.0.1', uptimeWindows: uptime(0, 0, 0, 0.5, 0.5), protocolVersion: 70015 }),
      peer({ host: '1.0.0.2', successes: 0, failures: 5 }),
      peer({ host: '1.0.0.3', uptimeWindows: uptime(0, 0, 0, 0.9, 0.9) }),
      peer({ host: '1.0.0.4', uptimeWindows: uptime(0, 0, 0, 0.5, 0.5), protocolVersion: 70016 }),
      peer({ host: '1.0.0.5', uptimeWindows: uptime(0, 0, 0, 0.6, 0.5) })
    ], MAINNET)
    const lines = dump.split('\n')
    assert.equal(lines[0] + '\n', SEEDS_HEADER)
    assert.deepEqual(lines.slice(1, -1).map((l) => l.split(/\s+/)[0]), ['1.0.0.3:8333', '1.0.0.5:8333', '1.0.0.4:8333', '1.0.0.1:8333'])
    assert.equal(lines.at(-1), '')
  })
})

describe('peers export --format seeds', { timeout: 60_000 }, () => {
  it('writes the dump from the store; a network whose adapter has no seeds format is one clear line', async () => {
    const work = await mkdtemp(join(tmpdir(), 'peers-seeds-'))
    try {
      const db = join(work, 'peers.json')
      const store = await openStore(db, { mode: 'write', now: () => new Date(LAST_SUCCESS) })
      const ok = (host: string, type: 'ipv4' | 'ipv6', userAgent: string): void => store.recordResult('mainnet', {
        endpoint: { host, port: 8333, type }, ok: true, peer: { services: '1033', protocolVersion: 70016, userAgent, startHeight: 930000 }, learned: [], addressesReceived: 0
      })
      ok('93.184.216.34', 'ipv4', '/Satoshi:29.0.0/')
      ok('2a01:4f8:c17:1234::1', 'ipv6', '/Satoshi:28.1.0/ "x"')
      store.recordResult('mainnet', { endpoint: { host: '93.184.216.35', port: 8333, type: 'ipv4' }, ok: false, reason: 'refused', learned: [], addressesReceived: 0 })
      store.recordResult('avax-fuji', { endpoint: { host: '93.184.216.36', port: 9651, type: 'ipv4' }, ok: true, learned: [], addressesReceived: 0 })
      await store.close()

      const out = await runCli(['export', '--db', db, '--net', 'mainnet', '--format', 'seeds', '--out', work])
      assert.equal(out.code, 0, out.stderr)
      const path = out.stdout.trim()
      assert.match(path, /mainnet-\d{14}\.seeds\.txt$/)
      const lines = (await readFile(path, 'utf8')).split('\n')
      assert.equal(`${lines[0]}\n`, SEEDS_HEADER)
      const rows = lines.slice(1, -1).map((l) => l.split(/\s+/))
      assert.deepEqual(rows.map((r) => r[0]).sort(), ['93.184.216.34:8333', '[2a01:4f8:c17:1234::1]:8333'])
      for (const r of rows) {
        assert.equal(r.length, 12)
        // One success in one try: good by sipa's "total <= 3 && success*2 >= total".
        assert.deepEqual([r[1], r[2], r[8], r[9], r[10]], ['1', '1767225600', '930000', '00000409', '70016'])
        for (const u of r.slice(3, 8)) assert.match(u, /^\d{1,3}\.\d\d%$/)
      }
      assert.deepEqual(rows.map((r) => r[11]).sort(), ['"/Satoshi:28.1.0/x"', '"/Satoshi:29.0.0/"'])

      const avax = await runCli(['export', '--db', db, '--net', 'avax-fuji', '--format', 'seeds', '--out', work])
      assert.equal(avax.code, 2)
      assert.equal(avax.stderr, 'peers: [PEERS_USAGE] --format seeds is not available for avax-fuji: the avax adapter has no such format\n')
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  })
})
