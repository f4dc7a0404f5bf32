import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressType, Endpoint } from '../src/contract.js'
import { UsageError } from '../src/errors.js'
import { addressTypeOf, ipv6ToBigInt, NON_ROUTABLE, parseCidr } from '../src/net/ip.js'
import { AddressPolicy } from '../src/net/policy.js'
import { parseHostPort } from '../src/net/endpoint.js'

const IP: readonly AddressType[] = ['ipv4', 'ipv6']
const ALL: readonly AddressType[] = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns']

function ep (host: string, type?: AddressType): Endpoint {
  return { host, port: 8333, type: type ?? (host.includes(':') ? 'ipv6' : 'ipv4') }
}

function verdict (policy: AddressPolicy, host: string, type?: AddressType, dialable = ALL): string {
  const c = policy.classify(ep(host, type), dialable)
  return c.dial ? 'dial' : c.reason
}

// First address, last address, and the neighbours just outside, of every default range.
const EDGES: Array<[cidr: string, inside: string[], outside: string[]]> = [
  ['0.0.0.0/8', ['0.0.0.0', '0.255.255.255'], ['1.0.0.0']],
  ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255'], ['9.255.255.255', '11.0.0.0']],
  ['100.64.0.0/10', ['100.64.0.0', '100.127.255.255'], ['100.63.255.255', '100.128.0.0']],
  ['127.0.0.0/8', ['127.0.0.1', '127.255.255.255'], ['126.255.255.255', '128.0.0.0']],
  ['169.254.0.0/16', ['169.254.0.0', '169.254.255.255'], ['169.253.255.255', '169.255.0.0']],
  ['172.16.0.0/12', ['172.16.0.0', '172.31.255.255'], ['172.15.255.255', '172.32.0.0']],
  ['192.0.2.0/24', ['192.0.2.0', '192.0.2.255'], ['192.0.1.255', '192.0.3.0']],
  ['192.168.0.0/16', ['192.168.0.0', '192.168.255.255'], ['192.167.255.255', '192.169.0.0']],
  ['198.18.0.0/15', ['198.18.0.0', '198.19.255.255'], ['198.17.255.255', '198.20.0.0']],
  ['198.51.100.0/24', ['198.51.100.0', '198.51.100.255'], ['198.51.99.255', '198.51.101.0']],
  ['203.0.113.0/24', ['203.0.113.0', '203.0.113.255'], ['203.0.112.255', '203.0.114.0']],
  ['224.0.0.0/4', ['224.0.0.0', '239.255.255.255'], ['223.255.255.255']],
  ['240.0.0.0/4', ['240.0.0.0', '255.255.255.254'], []],
  ['255.255.255.255/32', ['255.255.255.255'], []],
  ['::/128', ['::'], ['::2']],
  ['::1/128', ['::1', '0:0:0:0:0:0:0:1'], []],
  ['::ffff:0:0/96', ['::ffff:0.0.0.0', '::ffff:8.8.8.8', '::ffff:ffff:ffff'], ['::fffe:ffff:ffff', '::1:0:0:0']],
  ['2001:10::/28', ['2001:10::', '2001:1f:ffff:ffff:ffff:ffff:ffff:ffff'], ['2001:f:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['2001:20::/28', ['2001:20::', '2001:2f:ffff:ffff:ffff:ffff:ffff:ffff'], ['2001:30::']],
  ['2001:db8::/32', ['2001:db8::', '2001:DB8:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF'], ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::']],
  ['3fff::/20', ['3fff::', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff'], ['3fff:1000::', '3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['fc00::/7', ['fc00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe00::']],
  ['fe80::/64', ['fe80::', 'fe80::ffff:ffff:ffff:ffff'], ['fe80:0:0:1::', 'fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['fec0::/10', ['fec0::', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], []],
  ['ff00::/8', ['ff00::', 'ff02::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], []]
]

test('every default range refuses its first and last address and not its neighbours', () => {
  const policy = new AddressPolicy()
  assert.deepEqual(EDGES.map((e) => e[0]).sort(), NON_ROUTABLE.map((r) => r.cidr).sort(), 'the table covers every default range')
  for (const [cidr, inside, outside] of EDGES) {
    for (const host of inside) assert.equal(verdict(policy, host), 'non-routable', `${host} in ${cidr}`)
    for (const host of outside) {
      // A neighbour may fall in the next default range; only check those that are public.
      if (NON_ROUTABLE.some((r) => new AddressPolicy({ only: [r.cidr] }).classify(ep(host), IP).dial)) continue
      assert.equal(verdict(policy, host), 'dial', `${host} next to ${cidr}`)
    }
  }
})

test('public addresses are dialed', () => {
  const policy = new AddressPolicy()
  for (const host of ['8.8.8.8', '1.1.1.1', '203.0.114.5', '2a01:4f8::1', '2001:4860:4860::8888', '2001:db9::1']) {
    assert.equal(verdict(policy, host), 'dial', host)
  }
})

test('types the adapter cannot dial are skipped before any range check', () => {
  const policy = new AddressPolicy({ allow: ['10.0.0.0/8'] })
  const onion = 'a'.repeat(56) + '.onion'
  assert.equal(verdict(policy, onion, 'onion', IP), 'not-dialable-type')
  assert.equal(verdict(policy, onion, 'onion', ALL), 'dial')
  assert.equal(verdict(policy, '10.0.0.1', 'ipv4', ['ipv6']), 'not-dialable-type')
})

test('CJDNS addresses are not refused as RFC 4193 unique-local IPv6', () => {
  const policy = new AddressPolicy()
  assert.equal(verdict(policy, 'fc12::1', 'cjdns'), 'dial')
  assert.equal(verdict(policy, 'fc12::1', 'ipv6'), 'non-routable')
  assert.equal(verdict(new AddressPolicy({ deny: ['fc00::/8'] }), 'fc12::1', 'cjdns'), 'denied')
})

test('allow permits a refused range, deny wins over allow, only restricts everything', () => {
  const allow = new AddressPolicy({ allow: ['127.0.0.0/8', '::1'] })
  assert.equal(verdict(allow, '127.1.0.1'), 'dial')
  assert.equal(verdict(allow, '::1'), 'dial')
  assert.equal(verdict(allow, '10.0.0.1'), 'non-routable')

  const both = new AddressPolicy({ allow: ['127.0.0.0/8'], deny: ['127.9.0.0/16'] })
  assert.equal(verdict(both, '127.9.0.1'), 'denied')
  assert.equal(verdict(both, '127.8.0.1'), 'dial')

  const deny = new AddressPolicy({ deny: ['8.8.8.0/24', '2a01::/16'] })
  assert.equal(verdict(deny, '8.8.8.8'), 'denied')
  assert.equal(verdict(deny, '2a01:4f8::1'), 'denied')
  assert.equal(verdict(deny, '8.8.4.4'), 'dial')

  const only = new AddressPolicy({ allow: ['127.0.0.0/8'], only: ['127.0.0.0/8'] })
  assert.equal(verdict(only, '127.0.0.5'), 'dial')
  assert.equal(verdict(only, '8.8.8.8'), 'outside-only')
  assert.equal(verdict(only, '2a01:4f8::1'), 'outside-only')
  assert.equal(verdict(only, 'a'.repeat(56) + '.onion', 'onion'), 'outside-only')
  // only does not imply allow: a non-routable range inside it still needs --allow-cidr.
  assert.equal(verdict(new AddressPolicy({ only: ['127.0.0.0/8'] }), '127.0.0.5'), 'non-routable')
  assert.equal(verdict(new AddressPolicy({ allow: ['127.0.0.0/8'], deny: ['127.0.0.5'], only: ['127.0.0.0/8'] }), '127.0.0.5'), 'denied')
})

test('bad CIDR input is a UsageError naming the flag', () => {
  const cases: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /--allow-cidr '10\.0\.0\.0\/33' has an invalid prefix length: expected 0-32/],
    ['fc00::/129', /expected 0-128/],
    ['10.0.0/8', /is not a CIDR range/],
    ['example.com/8', /is not a CIDR range/],
    ['10.0.0.0/', /invalid prefix length/],
    ['10.0.0.0/-1', /invalid prefix length/],
    ['10.1.0.0/8', /did you mean 10\.0\.0\.0\/8\?/],
    ['fc00::1/7', /did you mean fc00::\/7\?/],
    ['', /is not a CIDR range/]
  ]
  for (const [input, message] of cases) {
    assert.throws(() => new AddressPolicy({ allow: [input] }), (err: unknown) => err instanceof UsageError && message.test(err.message), input)
  }
  assert.throws(() => new AddressPolicy({ deny: ['x'] }), /--deny-cidr 'x'/)
  assert.throws(() => new AddressPolicy({ only: ['x'] }), /--only-cidr 'x'/)
})

test('CIDR parsing normalises text and accepts bare addresses and every IPv6 form', () => {
  assert.equal(parseCidr('10.0.0.0/8').text, '10.0.0.0/8')
  assert.equal(parseCidr('FC00:0000::/7').text, 'fc00::/7')
  assert.equal(parseCidr('1.2.3.4').text, '1.2.3.4/32')
  assert.equal(parseCidr('::1').text, '::1/128')
  assert.equal(parseCidr('0.0.0.0/0').last, 0xffffffff)
  assert.equal(parseCidr('::/0').last, (1n << 128n) - 1n)
  assert.equal(ipv6ToBigInt('::ffff:1.2.3.4'), ipv6ToBigInt('::ffff:102:304'))
  assert.equal(ipv6ToBigInt('2001:db8:0:0:0:0:0:1'), ipv6ToBigInt('2001:db8::1'))
  assert.equal(ipv6ToBigInt('1::'), 1n << 112n)
  assert.equal(ipv6ToBigInt('fe80::1%eth0'), ipv6ToBigInt('fe80::1'))
  const policy = new AddressPolicy({ only: ['2a01:4f8::/32'] })
  assert.equal(verdict(policy, '2a01:04f8:0000:0000:0000:0000:0000:0001'), 'dial')
  assert.equal(verdict(policy, '2a01:4f9::1'), 'outside-only')
})

test('explain says which --allow-cidr would permit a non-routable seed', () => {
  const policy = new AddressPolicy({ deny: ['8.8.8.0/24'], only: ['8.0.0.0/8'] })
  assert.equal(policy.explain(ep('127.1.0.1'), 'non-routable', IP), '127.1.0.1:8333 is non-routable (127.0.0.0/8, loopback): pass --allow-cidr 127.0.0.0/8 to dial it')
  assert.equal(policy.explain(ep('fe80::1'), 'non-routable', IP), '[fe80::1]:8333 is non-routable (fe80::/64, link-local, RFC 4862): pass --allow-cidr fe80::/64 to dial it')
  assert.equal(policy.explain(ep('8.8.8.8'), 'denied', IP), '8.8.8.8:8333 is excluded by --deny-cidr 8.8.8.0/24')
  assert.equal(policy.explain(ep('9.9.9.9'), 'outside-only', IP), '9.9.9.9:8333 is outside every --only-cidr range (8.0.0.0/8)')
})

test('CJDNS is fc00::/8 only: a first group of fewer than four digits is plain IPv6', () => {
  assert.equal(addressTypeOf('fc00::1'), 'cjdns')
  assert.equal(addressTypeOf('FCAB:1::2'), 'cjdns')
  assert.equal(addressTypeOf('fc::1'), 'ipv6', '00fc::1')
  assert.equal(addressTypeOf('fcd::1'), 'ipv6', '0fcd::1')
  assert.equal(addressTypeOf('fd00::1'), 'ipv6')
  assert.equal(parseHostPort('[fc::1]:8333', 1).type, 'ipv6')
})

test('a seed with an IPv6 zone id is a UsageError, not a crash', () => {
  for (const text of ['[fe80::1%eth0]:8333', 'fe80::1%eth0']) {
    assert.throws(() => parseHostPort(text, 8333), (err: unknown) => err instanceof UsageError && /zone id/.test(err.message), text)
  }
  assert.deepEqual(parseHostPort('[2A01:4F8:0::1]:8333', 1), { host: '2a01:4f8::1', port: 8333, type: 'ipv6' })
})
