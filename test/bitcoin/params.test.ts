// Network parameters against Core's chainparams (bitcoin-p2p.md section 1), and the fixed
// seeds checked for shape: a typo or an invented .onion name fails its checksum.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addressTypeOf, canonicalIPv6, hashFromI2p, pubkeyFromOnion } from '../../src/net/ip.js'
import {
  BITCOIN_NETWORKS, MAX_ADDR_ENTRIES, MAX_ADDRV2_ADDR_BYTES, MAX_PAYLOAD, MAX_USER_AGENT, MIN_PEER_PROTO_VERSION, PROTOCOL_VERSION, serviceNames
} from '../../adapters/bitcoin/params.js'
import { decodePayload, encodePayload } from '../../adapters/bitcoin/wire/index.js'

const byId = (id: string) => {
  const net = BITCOIN_NETWORKS.find((n) => n.id === id)
  assert.ok(net, id)
  return net
}

test('five networks: ids, names, ports and magic as in Core', () => {
  const expected: Array<[string, number, string]> = [
    ['mainnet', 8333, 'f9beb4d9'], ['testnet3', 18333, '0b110907'], ['testnet4', 48333, '1c163f28'],
    ['signet', 38333, '0a03cf40'], ['regtest', 18444, 'fabfb5da']
  ]
  assert.deepEqual(BITCOIN_NETWORKS.map((n) => [n.id, n.defaultPort, Buffer.from(n.magic).toString('hex')]), expected)
  for (const n of BITCOIN_NETWORKS) {
    assert.equal(n.name, n.id)
    assert.ok(n.description.length > 0 && !n.description.includes('\n'))
  }
})

test('protocol constants', () => {
  assert.deepEqual(
    [PROTOCOL_VERSION, MIN_PEER_PROTO_VERSION, MAX_PAYLOAD, MAX_ADDR_ENTRIES, MAX_ADDRV2_ADDR_BYTES, MAX_USER_AGENT],
    [70016, 31800, 4_000_000, 1000, 512, 256])
})

test('DNS seeds: hostnames, none for regtest', () => {
  assert.equal(byId('mainnet').dnsSeeds.length, 8)
  assert.ok(byId('mainnet').dnsSeeds.includes('seed.bitcoin.sipa.be'))
  assert.deepEqual(byId('regtest').dnsSeeds, [])
  for (const n of BITCOIN_NETWORKS) {
    for (const name of n.dnsSeeds) assert.match(name, /^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
  }
})

for (const id of ['mainnet', 'testnet4', 'signet']) {
  test(`${id} fixed seeds: a few dozen well-formed endpoints of every type`, () => {
    const net = byId(id)
    assert.ok(net.fixedSeeds.length >= 30, `${net.fixedSeeds.length} seeds`)
    assert.equal(new Set(net.fixedSeeds.map((e) => `${e.type} ${e.host}`)).size, net.fixedSeeds.length, 'no duplicates')
    assert.deepEqual(new Set(net.fixedSeeds.map((e) => e.type)), new Set(['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns']))
    for (const e of net.fixedSeeds) {
      assert.equal(addressTypeOf(e.host), e.type, e.host)
      assert.equal(e.port, e.type === 'i2p' ? 0 : net.defaultPort, e.host)
      if (e.type === 'ipv6' || e.type === 'cjdns') assert.equal(canonicalIPv6(e.host), e.host)
      if (e.type === 'onion') assert.ok(pubkeyFromOnion(e.host), `${e.host}: bad TorV3 checksum`)
      if (e.type === 'i2p') assert.equal(hashFromI2p(e.host)?.length, 32, e.host)
    }
    // Every seed goes through addrv2 unchanged.
    const msg = { command: 'addrv2' as const, skipped: 0, addresses: net.fixedSeeds.map((e) => ({ time: 0, services: 9n, ...e })) }
    assert.deepEqual(decodePayload('addrv2', encodePayload(msg)), msg)
  })
}

test('regtest and testnet3 have no fixed seeds (no upstream list with live addresses)', () => {
  assert.deepEqual(byId('regtest').fixedSeeds, [])
  assert.deepEqual(byId('testnet3').fixedSeeds, [])
})

test('service names: the bits Core defines, unknown bits by number', () => {
  assert.deepEqual(serviceNames('1033'), ['NETWORK', 'WITNESS', 'NETWORK_LIMITED']) // 0x409
  assert.deepEqual(serviceNames(String(1 | 4 | 64 | 2048)), ['NETWORK', 'BLOOM', 'COMPACT_FILTERS', 'P2P_V2'])
  assert.deepEqual(serviceNames(String(2n ** 63n + 2n)), ['bit1', 'bit63'])
  assert.deepEqual(serviceNames('0'), [])
  assert.deepEqual(serviceNames('not a number'), [])
})
