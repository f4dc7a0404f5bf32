// The one place for IP addresses: text <-> numbers and bytes, IPv4-mapped IPv6, RFC 5952 text,
// CIDR ranges, the ranges no public peer lives in, and which kind of address a host is
// (IPv4, IPv6, CJDNS, Yggdrasil, Tor v3 onion, I2P b32). Chain adapters encode these on their
// wires; they do not parse or format IP text themselves.
//
// node:net's isIPv4/isIPv6 decide what is an address (RFC 4291 text forms, no leading zeros in
// a dotted quad); the conversions below only split text those have accepted. ipaddr.js does
// the same job but parses into objects: the per-address policy check, which runs for every
// address a peer advertises, took 0.6 us per address with this code against 1.1 us with
// ipaddr.js and 1.7 us with node:net's BlockList (test/bench/ip-policy.ts, 25% IPv6).
import { isIPv4, isIPv6 } from 'node:net'
import { sha3_256 } from '@noble/hashes/sha3.js'
import type { AddressType } from '../contract.js'
import { UsageError } from '../errors.js'

// --- IPv4 ---

/** A dotted quad as an unsigned 32-bit number; undefined if not one (leading zeros refused). */
export function ipv4ToNumber (text: string): number | undefined {
  if (!isIPv4(text)) return undefined
  const p = text.split('.')
  return ((Number(p[0]) * 256 + Number(p[1])) * 256 + Number(p[2])) * 256 + Number(p[3])
}

export function ipv4FromNumber (value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`
}

/** The 4 bytes of a dotted quad; undefined if not one. */
export function ipv4ToBytes (text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined
  return Uint8Array.from(text.split('.'), Number)
}

/** The dotted quad of 4 bytes (the first 4 of `bytes`). */
export function ipv4FromBytes (bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
}

// --- IPv6 ---

/**
 * An IPv6 literal (any RFC 4291 text form, a trailing dotted quad included) as a 128-bit
 * bigint; undefined if not one. A zone (`fe80::1%eth0`) is ignored: it names an interface of
 * this machine, not part of the address. The only IPv6 text parser in the toolkit.
 */
export function ipv6ToBigInt (text: string): bigint | undefined {
  if (!isIPv6(text)) return undefined
  let s = text
  const zone = s.indexOf('%')
  if (zone !== -1) s = s.slice(0, zone)
  // A trailing dotted quad stands for the last two groups.
  const lastColon = s.lastIndexOf(':')
  const tail = s.slice(lastColon + 1)
  if (tail.includes('.')) {
    const v4 = ipv4ToNumber(tail) as number
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const [head, rest] = s.split('::') as [string, string | undefined]
  const headGroups = head === '' ? [] : head.split(':')
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':')
  const groups = rest === undefined
    ? headGroups
    : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups]
  let value = 0n
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16))
  return value
}

/** The 16 bytes of an IPv6 literal; undefined if not one or if it has a zone (no wire carries one). */
export function ipv6ToBytes (text: string): Uint8Array | undefined {
  if (text.includes('%')) return undefined
  const value = ipv6ToBigInt(text)
  return value === undefined ? undefined : bigIntToBytes(value)
}

function bigIntToBytes (value: bigint): Uint8Array {
  const bytes = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    const group = Number((value >> BigInt(112 - 16 * i)) & 0xffffn)
    bytes[2 * i] = group >> 8
    bytes[2 * i + 1] = group & 0xff
  }
  return bytes
}

/**
 * RFC 5952 text of 16 bytes: lower-case hex, no leading zeros, the first longest run (>= 2)
 * of zero groups as '::'. Hand-written because it runs for every IPv6 address a peer
 * advertises, and the WHATWG URL parser (which agrees with it) costs a parse per call.
 */
export function ipv6FromBytes (bytes: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1])
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) { bestStart = i; bestLength = j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart === -1) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

export function ipv6FromBigInt (value: bigint): string {
  return ipv6FromBytes(bigIntToBytes(value))
}

/** RFC 5952 text for an IPv6 literal; throws RangeError if `text` is not one. */
export function canonicalIPv6 (text: string): string {
  const bytes = ipv6ToBytes(text)
  if (bytes === undefined) throw new RangeError(`'${text}' is not an IPv6 address`)
  return ipv6FromBytes(bytes)
}

// --- IPv4-mapped IPv6 (::ffff:0:0/96) and the 16-byte form wires carry ---

const IPV4_MAPPED_PREFIX = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff)

export function isIPv4MappedBytes (bytes: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (bytes[i] !== IPV4_MAPPED_PREFIX[i]) return false
  return true
}

/** `::ffff:1.2.3.4`, `::ffff:102:304` or any other form of a mapped address -> `1.2.3.4`; else undefined. */
export function ipv4FromMapped (text: string): string | undefined {
  // Cheap rejection first: peer keys call this for every IPv6 address advertised.
  if (!/ffff/i.test(text)) return undefined
  const value = ipv6ToBigInt(text)
  if (value === undefined || value >> 32n !== 0xffffn) return undefined
  return ipv4FromNumber(Number(value & 0xffffffffn))
}

/** The IPv4 address a mapped IPv6 text stands for; any other text unchanged. */
export function unmapIPv4 (text: string): string {
  return ipv4FromMapped(text) ?? text
}

/** 16 bytes, IPv4 as ::ffff:a.b.c.d (Bitcoin's legacy field, Go's netip.Addr.As16); undefined if not an IP. */
export function ipToBytes16 (text: string): Uint8Array | undefined {
  const v4 = ipv4ToBytes(text)
  if (v4 === undefined) return ipv6ToBytes(text)
  const bytes = new Uint8Array(16)
  bytes.set(IPV4_MAPPED_PREFIX)
  bytes.set(v4, 12)
  return bytes
}

/** Text of 16 bytes: dotted for ::ffff:0:0/96, RFC 5952 otherwise. */
export function ipFromBytes16 (bytes: Uint8Array): string {
  return isIPv4MappedBytes(bytes) ? ipv4FromBytes(bytes.subarray(12)) : ipv6FromBytes(bytes)
}

// --- Overlay names: Tor v3 onion and I2P b32 ---

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/** RFC 4648 base32, lower case, no padding (as Tor and I2P write names). */
export function base32Encode (bytes: Uint8Array): string {
  let out = ''
  let acc = 0
  let bits = 0
  for (const b of bytes) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32_ALPHABET[(acc >> bits) & 31]
    }
    acc &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32_ALPHABET[(acc << (5 - bits)) & 31]
  return out
}

/** Inverse of base32Encode; undefined for foreign characters or non-zero leftover bits. */
export function base32Decode (text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor(text.length * 5 / 8))
  let acc = 0
  let bits = 0
  let n = 0
  for (const c of text.toLowerCase()) {
    const v = BASE32_ALPHABET.indexOf(c)
    if (v === -1) return undefined
    acc = ((acc << 5) | v) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[n++] = (acc >> bits) & 0xff
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined
  return out
}

const TORV3_VERSION = 0x03
const TORV3_CHECKSUM_PREFIX = new TextEncoder().encode('.onion checksum')

/** First 2 bytes of SHA3-256(".onion checksum" || pubkey || 0x03) (Tor rend-spec-v3, section 6). */
export function torV3Checksum (pubkey: Uint8Array): Uint8Array {
  const input = new Uint8Array(TORV3_CHECKSUM_PREFIX.length + 33)
  input.set(TORV3_CHECKSUM_PREFIX)
  input.set(pubkey, TORV3_CHECKSUM_PREFIX.length)
  input[input.length - 1] = TORV3_VERSION
  return sha3_256(input).subarray(0, 2)
}

export function onionFromPubkey (pubkey: Uint8Array): string {
  const raw = new Uint8Array(35)
  raw.set(pubkey)
  raw.set(torV3Checksum(pubkey), 32)
  raw[34] = TORV3_VERSION
  return `${base32Encode(raw)}.onion`
}

/** The 32-byte key of a v3 '.onion' name, or undefined when the name, version or checksum is wrong. */
export function pubkeyFromOnion (host: string): Uint8Array | undefined {
  const m = /^([a-z2-7]{56})\.onion$/i.exec(host)
  const raw = m === null ? undefined : base32Decode(m[1])
  if (raw === undefined || raw[34] !== TORV3_VERSION) return undefined
  const pubkey = raw.subarray(0, 32)
  const sum = torV3Checksum(pubkey)
  return sum[0] === raw[32] && sum[1] === raw[33] ? pubkey.slice() : undefined
}

export function i2pFromHash (hash: Uint8Array): string {
  return `${base32Encode(hash)}.b32.i2p`
}

/** The 32-byte destination hash of a '.b32.i2p' name; undefined if not one. */
export function hashFromI2p (host: string): Uint8Array | undefined {
  const m = /^([a-z2-7]{52})\.b32\.i2p$/i.exec(host)
  return m === null ? undefined : base32Decode(m[1])
}

// --- Which kind of address a host is ---

/** CJDNS addresses are fc00::/8 (github.com/cjdelisle/cjdns, doc/Whitepaper.md). */
export function isCjdnsBytes (bytes: Uint8Array): boolean {
  return bytes[0] === 0xfc
}

/** Yggdrasil addresses and subnets are 0200::/7 (yggdrasil-network.github.io, "Address ranges"). */
export function isYggdrasilBytes (bytes: Uint8Array): boolean {
  return (bytes[0] & 0xfe) === 0x02
}

/**
 * The kind of address `host` is; undefined for anything else (hostnames, zones, onion names
 * with a bad Tor v3 checksum). IPv6 in fc00::/8 is CJDNS, not the public IPv6 internet.
 * Yggdrasil's 0200::/7 stays 'ipv6': such addresses reach a crawler as ordinary IPv6 (BIP155
 * network id 2) and Core treats them as routable, so they are dialed as IPv6; only addrv2
 * entries with network id 7, which Core skips, are typed 'yggdrasil' (by the wire decoder).
 */
export function addressTypeOf (host: string): AddressType | undefined {
  if (isIPv4(host)) return 'ipv4'
  if (isIPv6(host)) {
    const bytes = ipv6ToBytes(host)
    if (bytes === undefined) return undefined
    return isCjdnsBytes(bytes) ? 'cjdns' : 'ipv6'
  }
  if (host.length === 62 && pubkeyFromOnion(host) !== undefined) return 'onion'
  if (hashFromI2p(host) !== undefined) return 'i2p'
  return undefined
}

// --- CIDR ranges ---

export interface CidrRange {
  /** As written, normalised: `10.0.0.0/8`, `fe80::/64`. */
  text: string
  family: 4 | 6
  /** Inclusive bounds; number for IPv4, bigint for IPv6. */
  first: number | bigint
  last: number | bigint
}

/**
 * Parse `a.b.c.d/len`, `ipv6/len`, or a bare address (a single-address range). Bits set
 * beyond the prefix are refused rather than silently masked: `10.1.0.0/8` is usually a typo.
 * `flag` names the option in the error message.
 */
export function parseCidr (input: string, flag = 'CIDR'): CidrRange {
  const text = input.trim()
  const slash = text.indexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  const lenText = slash === -1 ? undefined : text.slice(slash + 1)
  const v4 = ipv4ToNumber(addr)
  const v6 = v4 === undefined && !addr.includes('%') ? ipv6ToBigInt(addr) : undefined
  if (v4 === undefined && v6 === undefined) {
    throw new UsageError(`${flag} '${input}' is not a CIDR range: expected e.g. 10.0.0.0/8 or fc00::/7`)
  }
  const bits = v4 !== undefined ? 32 : 128
  let len = bits
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) {
      throw new UsageError(`${flag} '${input}' has an invalid prefix length: expected 0-${bits}`)
    }
    len = Number(lenText)
  }
  if (v4 !== undefined) {
    const size = 2 ** (32 - len)
    const first = v4 - (v4 % size)
    if (first !== v4) throw new UsageError(`${flag} '${input}' has bits set beyond the /${len} prefix: did you mean ${ipv4FromNumber(first)}/${len}?`)
    return { text: `${ipv4FromNumber(first)}/${len}`, family: 4, first, last: first + size - 1 }
  }
  const hostMask = (1n << BigInt(128 - len)) - 1n
  const first = (v6 as bigint) & ~hostMask
  if (first !== v6) throw new UsageError(`${flag} '${input}' has bits set beyond the /${len} prefix: did you mean ${ipv6FromBigInt(first)}/${len}?`)
  return { text: `${ipv6FromBigInt(first)}/${len}`, family: 6, first, last: first | hostMask }
}

/**
 * A set of ranges as numeric intervals, matched against a host's numeric form: two
 * comparisons per range, no allocation (node:net's BlockList re-parses the text on every check).
 */
export class CidrSet {
  readonly ranges: readonly CidrRange[]
  private readonly v4First: Float64Array
  private readonly v4Last: Float64Array
  private readonly v6: Array<{ first: bigint, last: bigint }>

  constructor (ranges: readonly CidrRange[]) {
    this.ranges = ranges
    const v4 = ranges.filter((r) => r.family === 4)
    this.v4First = Float64Array.from(v4, (r) => r.first as number)
    this.v4Last = Float64Array.from(v4, (r) => r.last as number)
    this.v6 = ranges.filter((r) => r.family === 6).map((r) => ({ first: r.first as bigint, last: r.last as bigint }))
  }

  get size (): number { return this.ranges.length }

  /** Whether an IPv4 address, as a number, is in any range. */
  matchV4 (value: number): boolean {
    for (let i = 0; i < this.v4First.length; i++) {
      if (value >= this.v4First[i] && value <= this.v4Last[i]) return true
    }
    return false
  }

  /** Whether an IPv6 address, as a bigint, is in any range. */
  matchV6 (value: bigint): boolean {
    for (const r of this.v6) {
      if (value >= r.first && value <= r.last) return true
    }
    return false
  }

  /** Whether an IPv4 or IPv6 literal is in any range (not the hot path: it parses). */
  has (host: string): boolean {
    return this.find(host) !== undefined
  }

  /** The first range holding `host` (for messages; not the hot path). */
  find (host: string): CidrRange | undefined {
    const v4 = ipv4ToNumber(host)
    const v6 = v4 === undefined ? ipv6ToBigInt(host) : undefined
    return this.ranges.find((r) => v4 !== undefined
      ? r.family === 4 && v4 >= (r.first as number) && v4 <= (r.last as number)
      : v6 !== undefined && r.family === 6 && v6 >= (r.first as bigint) && v6 <= (r.last as bigint))
  }
}

/**
 * Ranges no public peer can live in, each with why. Bitcoin Core's CNetAddr::IsRoutable and
 * IsValid (src/netaddress.cpp) refuse most of them (RFC 1918, 2544, 3927, 4193, 4843, 7343,
 * 3849, 6598, 5737, loopback, multicast, unspecified); the rest (broadcast, 240/4, 3fff::/20,
 * site-local) Core does not name but no public peer can use either.
 */
export const NON_ROUTABLE: ReadonlyArray<{ cidr: string, why: string }> = [
  { cidr: '0.0.0.0/8', why: '"this network", RFC 1122' },
  { cidr: '10.0.0.0/8', why: 'private, RFC 1918' },
  { cidr: '100.64.0.0/10', why: 'carrier-grade NAT, RFC 6598' },
  { cidr: '127.0.0.0/8', why: 'loopback' },
  { cidr: '169.254.0.0/16', why: 'link-local, RFC 3927' },
  { cidr: '172.16.0.0/12', why: 'private, RFC 1918' },
  { cidr: '192.0.2.0/24', why: 'documentation, RFC 5737' },
  { cidr: '192.168.0.0/16', why: 'private, RFC 1918' },
  { cidr: '198.18.0.0/15', why: 'benchmarking, RFC 2544' },
  { cidr: '198.51.100.0/24', why: 'documentation, RFC 5737' },
  { cidr: '203.0.113.0/24', why: 'documentation, RFC 5737' },
  { cidr: '224.0.0.0/4', why: 'multicast' },
  { cidr: '255.255.255.255/32', why: 'broadcast' },
  { cidr: '240.0.0.0/4', why: 'reserved, RFC 1112' },
  { cidr: '::/128', why: 'unspecified' },
  { cidr: '::1/128', why: 'loopback' },
  // Adapters normalise IPv4-mapped addresses to IPv4; one still mapped here is malformed.
  { cidr: '::ffff:0:0/96', why: 'IPv4-mapped' },
  { cidr: '2001:10::/28', why: 'ORCHID, RFC 4843' },
  { cidr: '2001:20::/28', why: 'ORCHIDv2, RFC 7343' },
  { cidr: '2001:db8::/32', why: 'documentation, RFC 3849' },
  { cidr: '3fff::/20', why: 'documentation, RFC 9637' },
  { cidr: 'fc00::/7', why: 'unique local, RFC 4193' },
  { cidr: 'fe80::/64', why: 'link-local, RFC 4862' },
  { cidr: 'fec0::/10', why: 'site-local, deprecated' },
  { cidr: 'ff00::/8', why: 'multicast' }
]

/** Why `range` (one of NON_ROUTABLE, parsed) is non-routable. */
export function nonRoutableWhy (range: CidrRange): string {
  return NON_ROUTABLE.find((r) => parseCidr(r.cidr).text === range.text)?.why ?? 'reserved'
}

const LOOPBACK = new CidrSet([parseCidr('127.0.0.0/8'), parseCidr('::1/128'), parseCidr('::ffff:127.0.0.0/104')])

/** 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6. */
export function isLoopback (host: string): boolean {
  return LOOPBACK.has(host)
}
