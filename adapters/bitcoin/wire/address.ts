// Network addresses on the wire: the 26-byte form in version, the 30-byte addr entry and the
// BIP155 addrv2 entry. Their text forms (dotted IPv4, RFC 5952 IPv6, '<56>.onion',
// '<52>.b32.i2p') come from src/net/ip.ts. Validity rules follow Core's netaddress.cpp.
import type { AddressType } from '../../../src/contract.js'
import { DecodeError } from '../../../src/errors.js'
import {
  hashFromI2p, i2pFromHash, ipFromBytes16, ipToBytes16, ipv4FromBytes, ipv4ToBytes, ipv6FromBytes, ipv6ToBytes,
  isCjdnsBytes, isIPv4MappedBytes, onionFromPubkey, pubkeyFromOnion
} from '../../../src/net/ip.js'
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

const ONIONCAT_PREFIX = Uint8Array.of(0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43) // TORv2 in IPv6
const INTERNAL_PREFIX = Uint8Array.of(0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24) // Core's internal names

/** A plain loop: this runs for every advertised IPv6 address. */
function hasPrefix (bytes: Uint8Array, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

// --- The 16-byte legacy IP field ---

function legacyIpBytes (host: string): Uint8Array {
  const ip = ipToBytes16(host)
  if (ip === undefined) throw new RangeError(`'${host}' is not an IPv4 or IPv6 address`)
  return ip
}

/**
 * What a legacy IP is, or undefined when Core holds it invalid (TORv2-in-IPv6, its internal
 * names). fc00::/8 counts as CJDNS, as src/net/ip.ts classifies text and as Core flips it when
 * CJDNS is reachable: it is not public IPv6 (RFC 4193) in any case.
 */
function classifyLegacyIp (ip: Uint8Array): { type: AddressType, host: string } | undefined {
  if (isIPv4MappedBytes(ip)) return { type: 'ipv4', host: ipv4FromBytes(ip.subarray(12)) }
  if (hasPrefix(ip, ONIONCAT_PREFIX) || hasPrefix(ip, INTERNAL_PREFIX)) return undefined
  return { type: isCjdnsBytes(ip) ? 'cjdns' : 'ipv6', host: ipv6FromBytes(ip) }
}

// --- version's addresses: services u64 | ip[16] | port u16 BE ---

export function readServiceAddress (r: Reader, what: string): ServiceAddress {
  const services = r.u64le(what)
  const host = ipFromBytes16(r.bytes(16, what))
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
    case BIP155.ipv4: return { time, services, type: 'ipv4', host: ipv4FromBytes(addr), port }
    case BIP155.ipv6: {
      // IPv4-mapped, TORv2-in-IPv6 and internal prefixes are not real IPv6 (BIP155, Core).
      if (isIPv4MappedBytes(addr)) return undefined
      const ip = classifyLegacyIp(addr)
      return ip === undefined ? undefined : { time, services, type: ip.type, host: ip.host, port }
    }
    case BIP155.torv3: return { time, services, type: 'onion', host: onionFromPubkey(addr), port }
    case BIP155.i2p: return { time, services, type: 'i2p', host: i2pFromHash(addr), port }
    case BIP155.cjdns: return isCjdnsBytes(addr) ? { time, services, type: 'cjdns', host: ipv6FromBytes(addr), port } : undefined
    // Not a network Core knows; recorded when it has BIP155's length, skipped otherwise.
    case BIP155.yggdrasil: return length === YGGDRASIL_BYTES ? { time, services, type: 'yggdrasil', host: ipv6FromBytes(addr), port } : undefined
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
    case 'ipv4': return [BIP155.ipv4, ipv4ToBytes(a.host) ?? fail()]
    case 'ipv6': return [BIP155.ipv6, ipv6ToBytes(a.host) ?? fail()]
    case 'cjdns': return [BIP155.cjdns, ipv6ToBytes(a.host) ?? fail()]
    case 'yggdrasil': return [BIP155.yggdrasil, ipv6ToBytes(a.host) ?? fail()]
    case 'onion': return [BIP155.torv3, pubkeyFromOnion(a.host) ?? fail()]
    case 'i2p': return [BIP155.i2p, hashFromI2p(a.host) ?? fail()]
  }
}
