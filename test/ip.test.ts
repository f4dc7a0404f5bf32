// src/net/ip.ts: address kinds, mapped IPv4, the 16-byte form, and the dial guard's test allow-list.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DialForbiddenError, UsageError } from '../src/errors.js'
import { assertDialAllowed, testAllowList } from '../src/net/dial-guard.js'
import { addressTypeOf, ipFromBytes16, ipToBytes16, ipv4FromMapped, isLoopback, onionFromPubkey, unmapIPv4 } from '../src/net/ip.js'

test('address kinds: CJDNS is fc00::/8, Yggdrasil 0200::/7, onion names need a valid Tor v3 checksum', () => {
  assert.equal(addressTypeOf('1.2.3.4'), 'ipv4')
  assert.equal(addressTypeOf('2a01:4f8::1'), 'ipv6')
  assert.equal(addressTypeOf('fcab::1'), 'cjdns')
  assert.equal(addressTypeOf('fd00::1'), 'ipv6')
  // Yggdrasil's 0200::/7 is dialed as IPv6, as Core does (only BIP155 id 7 entries are typed yggdrasil).
  assert.equal(addressTypeOf('200::1'), 'ipv6')
  assert.equal(addressTypeOf('3ff:ffff::1'), 'ipv6')
  assert.equal(addressTypeOf('400::1'), 'ipv6')
  assert.equal(addressTypeOf('1ff:ffff::1'), 'ipv6')
  const onion = onionFromPubkey(new Uint8Array(32).fill(7))
  assert.equal(addressTypeOf(onion), 'onion')
  assert.equal(addressTypeOf(onion.toUpperCase()), 'onion')
  assert.equal(addressTypeOf('a'.repeat(56) + '.onion'), undefined, 'bad checksum')
  assert.equal(addressTypeOf('a'.repeat(52) + '.b32.i2p'), 'i2p')
  for (const bad of ['example.com', '01.2.3.4', 'fe80::1%eth0', '']) assert.equal(addressTypeOf(bad), undefined, bad)
})

test('IPv4-mapped IPv6 in every text form, and the 16-byte form both adapters send', () => {
  assert.equal(ipv4FromMapped('0:0:0:0:0:FFFF:7f00:1'), '127.0.0.1')
  assert.equal(unmapIPv4('::ffff:7f00:1'), '127.0.0.1')
  assert.equal(unmapIPv4('::1'), '::1')
  assert.equal(unmapIPv4('ffff::1'), 'ffff::1')
  assert.deepEqual(ipToBytes16('1.2.3.4'), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4))
  assert.equal(ipFromBytes16(ipToBytes16('1.2.3.4') as Uint8Array), '1.2.3.4')
  assert.equal(ipFromBytes16(ipToBytes16('2001:DB8:0::1') as Uint8Array), '2001:db8::1')
  assert.equal(ipToBytes16('fe80::1%eth0'), undefined)
  assert.equal(ipToBytes16('x'), undefined)
})

test('loopback is 127.0.0.0/8, ::1 and mapped 127.0.0.0/8, nothing else', () => {
  for (const h of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:2']) assert.ok(isLoopback(h), h)
  for (const h of ['128.0.0.1', '::2', '::ffff:10.0.0.1', 'fc00::1', 'localhost', '']) assert.ok(!isLoopback(h), h)
})

test('PEERS_TEST_ALLOW admits ranges inside fc00::/8 and refuses anything else', () => {
  assert.ok(testAllowList('fc00::/8').has('fc12::1'))
  assert.ok(testAllowList('fc00:1::/32, fc00:2::/32').has('fc00:2::9'))
  assert.ok(!testAllowList('fc00:1::/32').has('fc00:3::1'))
  for (const bad of ['fd00::/8', '::/0', '10.0.0.0/8', 'fc00::/7', '2001:db8::/32']) {
    assert.throws(() => testAllowList(bad), (err: unknown) => err instanceof UsageError && /outside fc00::\/8/.test(err.message), bad)
  }
  const saved = { only: process.env.PEERS_LOOPBACK_ONLY, allow: process.env.PEERS_TEST_ALLOW }
  try {
    process.env.PEERS_LOOPBACK_ONLY = '1'
    delete process.env.PEERS_TEST_ALLOW
    assert.throws(() => assertDialAllowed('fc00::1'), DialForbiddenError)
    assertDialAllowed('127.0.0.1')
    process.env.PEERS_TEST_ALLOW = 'fc00::/8'
    assertDialAllowed('fc00::1')
    assert.throws(() => assertDialAllowed('fd00::1'), DialForbiddenError)
    assert.throws(() => assertDialAllowed('8.8.8.8'), DialForbiddenError)
  } finally {
    for (const [k, v] of [['PEERS_LOOPBACK_ONLY', saved.only], ['PEERS_TEST_ALLOW', saved.allow]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
})
