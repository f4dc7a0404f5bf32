// Bootstrap: DNS seeds through an injected resolver (never real DNS), fixed seeds as fallback.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BootstrapOptions } from '../../src/contract.js'
import { bootstrapBitcoin, MAX_ADDRESSES_PER_SEED, type DnsResolver } from '../../adapters/bitcoin/bootstrap.js'
import { bitcoinAdapter } from '../../adapters/bitcoin/index.js'
import { BITCOIN_NETWORKS, type BitcoinNetworkParams } from '../../adapters/bitcoin/params.js'

const mainnet = BITCOIN_NETWORKS.find((n) => n.id === 'mainnet')!
const regtest = BITCOIN_NETWORKS.find((n) => n.id === 'regtest')!
const twoSeeds: BitcoinNetworkParams = { ...mainnet, dnsSeeds: ['seed-a.example', 'seed-b.example'] }

function capture (): { options: BootstrapOptions, warnings: string[] } {
  const warnings: string[] = []
  const log = { debug () {}, info () {}, warn (m: string) { warnings.push(m) }, error () {} }
  return { options: { signal: new AbortController().signal, dnsTimeoutMs: 100, log }, warnings }
}

/** A resolver answering from a table; names not in it fail as a real one does. */
function fakeResolver (table: Record<string, { a?: string[], aaaa?: string[] } | 'hang'>): DnsResolver & { queries: string[] } {
  const queries: string[] = []
  const lookup = (name: string, field: 'a' | 'aaaa'): Promise<string[]> => {
    queries.push(`${name} ${field}`)
    const entry = table[name]
    if (entry === 'hang') return new Promise(() => {})
    const found = entry?.[field]
    if (found === undefined) return Promise.reject(Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' }))
    return Promise.resolve(found)
  }
  return { queries, resolve4: (n) => lookup(n, 'a'), resolve6: (n) => lookup(n, 'aaaa') }
}

/** Lets DNS through the dial guard for one test: the resolver is fake, nothing is queried. */
async function withDnsAllowed<T> (run: () => Promise<T>): Promise<T> {
  const saved = process.env.PEERS_LOOPBACK_ONLY
  process.env.PEERS_LOOPBACK_ONLY = '0'
  try {
    return await run()
  } finally {
    process.env.PEERS_LOOPBACK_ONLY = saved
  }
}

describe('bootstrap', () => {
  it('takes A and AAAA records of every seed on the default port, deduplicated', async () => {
    const resolver = fakeResolver({
      'seed-a.example': { a: ['1.2.3.4', '5.6.7.8'], aaaa: ['2001:DB8:0:0::1'] },
      'seed-b.example': { a: ['5.6.7.8', '9.9.9.9'] }
    })
    const { options } = capture()
    const seeds = await withDnsAllowed(() => bootstrapBitcoin(twoSeeds, options, resolver))
    assert.deepEqual(seeds, [
      { host: '1.2.3.4', port: 8333, type: 'ipv4' },
      { host: '2001:db8::1', port: 8333, type: 'ipv6' },
      { host: '5.6.7.8', port: 8333, type: 'ipv4' },
      { host: '9.9.9.9', port: 8333, type: 'ipv4' }
    ])
    assert.deepEqual(resolver.queries.sort(), ['seed-a.example a', 'seed-a.example aaaa', 'seed-b.example a', 'seed-b.example aaaa'])
  })

  it(`keeps at most ${MAX_ADDRESSES_PER_SEED} addresses per seed, of both families`, async () => {
    const a = Array.from({ length: 40 }, (_, i) => `10.0.0.${i + 1}`)
    const aaaa = Array.from({ length: 40 }, (_, i) => `2001:db8::${i + 1}`)
    const { options } = capture()
    const seeds = await withDnsAllowed(() => bootstrapBitcoin({ ...mainnet, dnsSeeds: ['s.example'] }, options, fakeResolver({ 's.example': { a, aaaa } })))
    assert.equal(seeds.length, MAX_ADDRESSES_PER_SEED)
    assert.equal(seeds.filter((s) => s.type === 'ipv6').length, MAX_ADDRESSES_PER_SEED / 2)
  })

  it('falls back to the fixed seeds when DNS yields nothing (failures, timeouts)', async () => {
    const { options, warnings } = capture()
    const started = Date.now()
    const seeds = await withDnsAllowed(() => bootstrapBitcoin(twoSeeds, options, fakeResolver({ 'seed-a.example': 'hang' })))
    assert.deepEqual(seeds, [...mainnet.fixedSeeds])
    assert.ok(mainnet.fixedSeeds.length > 0)
    assert.ok(Date.now() - started < 1000, 'the per-query timeout bounds a hanging resolver')
    assert.equal(warnings.filter((w) => /no answer within 100 ms/.test(w)).length, 2)
  })

  it('never queries DNS under PEERS_LOOPBACK_ONLY: a warning, then the fixed seeds', async () => {
    assert.equal(process.env.PEERS_LOOPBACK_ONLY, '1')
    const resolver = fakeResolver({ 'seed-a.example': { a: ['1.2.3.4'] } })
    const { options, warnings } = capture()
    const seeds = await bootstrapBitcoin(twoSeeds, options, resolver)
    assert.deepEqual(resolver.queries, [])
    assert.deepEqual(seeds, [...mainnet.fixedSeeds])
    assert.equal(warnings.length, 2)
    assert.match(warnings[0], /PEERS_DIAL_FORBIDDEN/)
    // The adapter, with node's real resolver, is stopped by the same guard.
    assert.deepEqual(await bitcoinAdapter.bootstrap(mainnet, options), [...mainnet.fixedSeeds])
  })

  it('regtest has no seeds at all', async () => {
    const { options } = capture()
    assert.deepEqual(await bitcoinAdapter.bootstrap(regtest, options), [])
  })
})

describe('bitcoinAdapter', () => {
  it('keys and parses endpoints', () => {
    assert.equal(bitcoinAdapter.key({ host: '::FFFF:1.2.3.4', port: 8333, type: 'ipv6' }), '1.2.3.4:8333')
    assert.deepEqual(bitcoinAdapter.parseEndpoint('127.1.0.1', regtest), { host: '127.1.0.1', port: 18444, type: 'ipv4' })
    assert.deepEqual(bitcoinAdapter.parseEndpoint('[2001:DB8::1]:8334', mainnet), { host: '2001:db8::1', port: 8334, type: 'ipv6' })
    assert.throws(() => bitcoinAdapter.parseEndpoint('seed.bitcoin.sipa.be', mainnet), /not an address/)
    assert.equal(bitcoinAdapter.defaultNetwork, 'mainnet')
    assert.deepEqual(bitcoinAdapter.networks.map((n) => n.id), ['mainnet', 'testnet3', 'testnet4', 'signet', 'regtest'])
    assert.equal(bitcoinAdapter.simulation.adapter, bitcoinAdapter)
  })
})
