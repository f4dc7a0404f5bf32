// One address order for list and export: IPv4 in numeric order, then IPv6 literals
// (ipv6, cjdns, yggdrasil) in numeric order, then overlay names (onion, i2p) by name;
// the port breaks ties.
import { isIPv4, isIPv6 } from 'node:net'
import { ipv4ToNumber, ipv6ToBigInt } from '../net/ip.js'
import type { Endpoint } from '../contract.js'

/** A string whose plain comparison gives the address order. */
export function addressSortKey (e: Pick<Endpoint, 'host' | 'port'>): string {
  const port = String(e.port).padStart(5, '0')
  if (isIPv4(e.host)) return `4${ipv4Hex(e.host)}:${port}`
  if (isIPv6(e.host)) return `6${ipv6Hex(e.host)}:${port}`
  return `9${e.host.toLowerCase()}:${port}`
}

/** Sorts a copy by address order. */
export function sortByAddress<T extends Pick<Endpoint, 'host' | 'port'>> (items: readonly T[]): T[] {
  const keyed = items.map((item) => ({ item, key: addressSortKey(item) }))
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return keyed.map((k) => k.item)
}

function ipv4Hex (host: string): string {
  return (ipv4ToNumber(host) ?? 0).toString(16).padStart(8, '0')
}

function ipv6Hex (host: string): string {
  return (ipv6ToBigInt(host) ?? 0n).toString(16).padStart(32, '0')
}
