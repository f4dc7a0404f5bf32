// IP bytes as AvalancheGo sends them (16 bytes, IPv4 mapped into IPv6; 4 accepted too)
// to and from the contract's Endpoint. IP text and bytes come from src/net/ip.ts.
import type { Endpoint } from '../../src/contract.js'
import { ipFromBytes16, ipToBytes16, ipv4FromBytes, isIPv4MappedBytes } from '../../src/net/ip.js'

export function endpointFromIpBytes (ip: Uint8Array, port: number): Endpoint | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined
  if (ip.length === 4) return { host: ipv4FromBytes(ip), port, type: 'ipv4' }
  if (ip.length !== 16) return undefined
  return { host: ipFromBytes16(ip), port, type: isIPv4MappedBytes(ip) ? 'ipv4' : 'ipv6' }
}

/** 16 bytes, IPv4 as ::ffff:a.b.c.d (netip.Addr.As16). */
export function ipBytesFromHost (host: string): Uint8Array {
  const ip = ipToBytes16(host)
  if (ip === undefined) throw new RangeError(`'${host}' is not an IPv4 or IPv6 address`)
  return ip
}
