// Country enrichment of stored records: which records a geo database can answer for, and how
// its answer is stored. Onion, I2P, CJDNS and Yggdrasil peers get no country, ever.
import type { PeerRecord, PeerStore } from '../store/types.js'
import { hasCountryAnswer } from './countries.js'
import type { GeoLookup } from './lookup.js'

/** Records a lookup could still fill (no country stored yet). */
export function lacksCountry (r: PeerRecord): boolean {
  return r.country === undefined && hasCountryAnswer(r.type)
}

/** Sets `country` from `geo` (store.setCountry) on each IP record; with `onlyMissing`, stored countries stay. */
export function enrichCountry (store: PeerStore, networkId: string, records: readonly PeerRecord[], geo: GeoLookup, options: { onlyMissing: boolean }): void {
  for (const r of records) {
    if (!hasCountryAnswer(r.type) || (options.onlyMissing && r.country !== undefined)) continue
    store.setCountry(networkId, r, geo.country(r.host))
  }
}
