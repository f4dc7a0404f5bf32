// ASN enrichment of stored records: one place decides which records an ASN database can
// answer for and how its answer is stored.
import type { AsnLookup } from './lookup.js'
import type { PeerRecord, PeerStore } from '../store/types.js'

/** Address types an ASN database can answer for (cjdns and yggdrasil are IPv6 overlays with no AS). */
const ROUTABLE_TYPES = new Set<PeerRecord['type']>(['ipv4', 'ipv6'])

export function hasAsnAnswer (r: PeerRecord): boolean {
  return ROUTABLE_TYPES.has(r.type)
}

/** Records a lookup could still fill (no asn stored yet). */
export function lacksAsn (r: PeerRecord): boolean {
  return r.asn === undefined && hasAsnAnswer(r)
}

/**
 * Sets asn/asOrg from `lookup` (store.setAsn) on each routable record; with `onlyMissing`
 * records that already have an asn keep it.
 */
export function enrichAsn (store: PeerStore, networkId: string, records: readonly PeerRecord[], lookup: AsnLookup, options: { onlyMissing: boolean }): void {
  for (const r of records) {
    if (!hasAsnAnswer(r) || (options.onlyMissing && r.asn !== undefined)) continue
    const found = lookup.lookup(r.host)
    store.setAsn(networkId, r, found.asn, found.org)
  }
}
