// Network addresses on the wire: the 26-byte form in version, the 30-byte addr entry and the
// BIP155 addrv2 entry, with the text forms the rest of the toolkit uses (dotted IPv4, RFC 5952
// IPv6, '<56>.onion', '<52>.b32.i2p'). Validity rules follow Core's netaddress.cpp.
import { isIPv4, isIPv6 } from 'node:net'
import { sha3_256 } from '@noble/hashes/sha3.js'
import type { AddressType } from '../../../src/contract.js'
import { DecodeError } from '../../../src/errors.js'
import { MAX_ADDRV2_ADDR_BYTES } from '../params.js'
import type { Reader, Writer } from './codec.js'

/** version's addr_recv / addr_from: no time, always the 16-byte legacy IP form. */
export interface ServiceAddress { services: bigint, host: string, port: number }

/** An addr or addrv2 entry. */
export interface NetAddress { time: number, services: bigint, type: AddressType, host: string, port: number }

/** BIP155 network ids. */
export const BIP155 = { ipv4: 1, ipv6: 2, torv2: 3, torv3: 4, i2p: 5, cjdns: 6, yggdrasil: 7 } as const

/**
 * Lengths of the networks Core knows (SetNetFromBIP155Network): another length drops the whole
 * message. TORv2 (3) and Yggdrasil (7) are not among them: Core skips them like any unknown id,
 * whatever their length, and reads on.
 */
const BIP155_LENGTHS: Record<number, number> = { 1: 4, 2: 16, 4: 32, 5: 32, 6: 16 }
const YGGDRASIL_BYTES = 16

/** Types a 16-byte legacy (addr v1) address can carry. */
export const ADDR_V1_TYPES: readonly AddressType[] = ['ipv4', 'ipv6', 'cjdns']

const IPV4_MAPPED_PREFIX = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff)
const ONIONCAT_PREFIX = Uint8Array.of(0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43) // TORv2 in IPv6
const INTERNAL_PREFIX = Uint8Array.of(0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24) // Core's internal names

/** A plain loop: this runs for every advertised IPv6 address. */
function hasPrefix (bytes: Uint8Array, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

// --- IP text <-> bytes ---

export function formatIPv4 (bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
}

/** RFC 5952: lower-case hex, no leading zeros, the first longest run (>= 2) of zero groups as '::'. */
export function formatIPv6 (bytes: Uint8Array): string {
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

export function parseIPv4 (text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined
  return Uint8Array.from(text.split('.').map(Number))
}

export function parseIPv6 (text: string): Uint8Array | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined
  let s = text
  const tail = s.slice(s.lastIndexOf(':') + 1)
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail)
    if (v4 === undefined) return undefined
    s = `${s.slice(0, s.length - tail.length)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`
  }
  const halves = s.split('::')
  const left = halves[0] === '' ? [] : halves[0].split(':')
  const right = halves.length === 1 || halves[1] === '' ? [] : halves[1].split(':')
  const groups = halves.length === 1 ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right]
  const bytes = new Uint8Array(16)
  groups.forEach((g, i) => {
    const v = parseInt(g, 16)
    bytes[2 * i] = v >> 8
    bytes[2 * i + 1] = v & 0xff
  })
  return bytes
}

// --- Overlay names ---

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

/** First 2 bytes of SHA3-256(".onion checksum" || pubkey || 0x03) (Tor rend-spec-v3). */
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

export function hashFromI2p (host: string): Uint8Array | undefined {
  const m = /^([a-z2-7]{52})\.b32\.i2p$/i.exec(host)
  return m === null ? undefined : base32Decode(m[1])
}

// --- The 16-byte legacy IP field ---

/** Text of a legacy 16-byte IP: dotted for ::ffff:0:0/96, RFC 5952 otherwise. */
export function formatLegacyIp (ip: Uint8Array): string {
  return hasPrefix(ip, IPV4_MAPPED_PREFIX) ? formatIPv4(ip.subarray(12)) : formatIPv6(ip)
}

export function legacyIpBytes (host: string): Uint8Array {
  const v4 = parseIPv4(host)
  if (v4 !== undefined) {
    const ip = new Uint8Array(16)
    ip.set(IPV4_MAPPED_PREFIX)
    ip.set(v4, 12)
    return ip
  }
  const v6 = parseIPv6(host)
  if (v6 === undefined) throw new RangeError(`'${host}' is not an IPv4 or IPv6 address`)
  return v6
}

/**
 * What a legacy IP is, or undefined when Core holds it invalid (TORv2-in-IPv6, its internal
 * names). fc00::/8 counts as CJDNS, as in src/net/endpoint.ts and as Core flips it when CJDNS
 * is reachable: it is not public IPv6 (RFC 4193) in any case.
 */
function classifyLegacyIp (ip: Uint8Array): { type: AddressType, host: string } | undefined {
  if (hasPrefix(ip, IPV4_MAPPED_PREFIX)) return { type: 'ipv4', host: formatIPv4(ip.subarray(12)) }
  if (hasPrefix(ip, ONIONCAT_PREFIX) || hasPrefix(ip, INTERNAL_PREFIX)) return undefined
  return { type: ip[0] === 0xfc ? 'cjdns' : 'ipv6', host: formatIPv6(ip) }
}

// --- version's addresses: services u64 | ip[16] | port u16 BE ---

export function readServiceAddress (r: Reader, what: string): ServiceAddress {
  const services = r.u64le(what)
  const host = formatLegacyIp(r.bytes(16, what))
  return { services, host, port: r.u16be(what) }
}

export function writeServiceAddress (w: Writer, a: ServiceAddress): void {
  w.u64le(a.services).bytes(legacyIpBytes(a.host)).u16be(a.port)
}

// --- addr entries: time u32 | services u64 | ip[16] | port u16 BE ---

export const ADDR_V1_ENTRY_BYTES = 30

/** undefined for an entry Core would hold invalid. */
export function readAddrV1 (r: Reader): NetAddress | undefined {
  const time = r.u32le('addr time')
  const services = r.u64le('addr services')
  const ip = classifyLegacyIp(r.bytes(16, 'addr ip'))
  const port = r.u16be('addr port')
  return ip === undefined ? undefined : { time, services, ...ip, port }
}

export function writeAddrV1 (w: Writer, a: NetAddress): void {
  if (!ADDR_V1_TYPES.includes(a.type)) throw new RangeError(`a ${a.type} address has no addr (v1) form; use addrv2`)
  w.u32le(a.time).u64le(a.services).bytes(legacyIpBytes(a.host)).u16be(a.port)
}

// --- addrv2 entries: time u32 | services CompactSize | net u8 | addr var_bytes | port u16 BE ---

/** time + 1-byte services + net id + 1-byte length + port: the shortest possible entry. */
export const ADDR_V2_MIN_ENTRY_BYTES = 9

/**
 * One addrv2 entry. Malformed entries (over 512 bytes, a network Core knows with the wrong
 * length) throw, dropping the whole message as Core does; undefined means an unknown network
 * (of any length up to 512) or an address Core holds invalid, to be skipped while reading on.
 */
export function readAddrV2 (r: Reader): NetAddress | undefined {
  const time = r.u32le('addrv2 time')
  const services = r.compactSize('addrv2 services')
  const network = r.u8('addrv2 network id')
  // Checked as Core does: the limit, then the network's length, only then the bytes left.
  const length = r.length('addrv2 address length', MAX_ADDRV2_ADDR_BYTES, 'address-too-long', 0)
  const expected = BIP155_LENGTHS[network]
  if (expected !== undefined && length !== expected) {
    throw new DecodeError('bad-address-length', `addrv2 network ${network} address of ${length} bytes (expected ${expected})`)
  }
  const addr = r.bytes(length, 'addrv2 address')
  const port = r.u16be('addrv2 port')
  // Built in one object literal per case: this runs for every advertised address.
  switch (network) {
    case BIP155.ipv4: return { time, services, type: 'ipv4', host: formatIPv4(addr), port }
    case BIP155.ipv6: {
      // IPv4-mapped, TORv2-in-IPv6 and internal prefixes are not real IPv6 (BIP155, Core).
      if (hasPrefix(addr, IPV4_MAPPED_PREFIX)) return undefined
      const ip = classifyLegacyIp(addr)
      return ip === undefined ? undefined : { time, services, type: ip.type, host: ip.host, port }
    }
    case BIP155.torv3: return { time, services, type: 'onion', host: onionFromPubkey(addr), port }
    case BIP155.i2p: return { time, services, type: 'i2p', host: i2pFromHash(addr), port }
    case BIP155.cjdns: return addr[0] === 0xfc ? { time, services, type: 'cjdns', host: formatIPv6(addr), port } : undefined
    // Not a network Core knows; recorded when it has BIP155's length, skipped otherwise.
    case BIP155.yggdrasil: return length === YGGDRASIL_BYTES ? { time, services, type: 'yggdrasil', host: formatIPv6(addr), port } : undefined
    default: return undefined // TORv2 (dead) and networks nobody knows
  }
}

export function writeAddrV2 (w: Writer, a: NetAddress): void {
  const [network, addr] = addrV2Body(a)
  w.u32le(a.time).compactSize(a.services).u8(network).varBytes(addr).u16be(a.port)
}

function addrV2Body (a: NetAddress): [number, Uint8Array] {
  const fail = (): never => { throw new RangeError(`'${a.host}' is not a valid ${a.type} address`) }
  switch (a.type) {
    case 'ipv4': return [BIP155.ipv4, parseIPv4(a.host) ?? fail()]
    case 'ipv6': return [BIP155.ipv6, parseIPv6(a.host) ?? fail()]
    case 'cjdns': return [BIP155.cjdns, parseIPv6(a.host) ?? fail()]
    case 'yggdrasil': return [BIP155.yggdrasil, parseIPv6(a.host) ?? fail()]
    case 'onion': return [BIP155.torv3, pubkeyFromOnion(a.host) ?? fail()]
    case 'i2p': return [BIP155.i2p, hashFromI2p(a.host) ?? fail()]
  }
}
