// One address order for list and export: IPv4 in numeric order, then IPv6 literals
// (ipv6, cjdns, yggdrasil) in numeric order, then overlay names (onion, i2p) by name;
// the port breaks ties.
import { ipv4ToNumber, ipv6ToBigInt } from '../net/ip.js'
import type { Endpoint } from '../contract.js'

/** A string whose plain comparison gives the address order. */
export function addressSortKey (e: Pick<Endpoint, 'host' | 'port'>): string {
  const port = String(e.port).padStart(5, '0')
  const v4 = ipv4ToNumber(e.host)
  if (v4 !== undefined) return `4${v4.toString(16).padStart(8, '0')}:${port}`
  const v6 = ipv6ToBigInt(e.host)
  if (v6 !== undefined) return `6${v6.toString(16).padStart(32, '0')}:${port}`
  return `9${e.host.toLowerCase()}:${port}`
}

/** Sorts a copy by address order. */
export function sortByAddress<T extends Pick<Endpoint, 'host' | 'port'>> (items: readonly T[]): T[] {
  const keyed = items.map((item) => ({ item, key: addressSortKey(item) }))
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return keyed.map((k) => k.item)
}
