// What the reading commands (list, export, stats, report) share: the --db, --net, --asn-db
// and --geo-db flags, choosing networks, and filling missing ASN and country data in memory.
import { Flags } from '@oclif/core'
import { adapters, findNetworkById } from '../../adapters/index.js'
import { openAsnLookup } from '../asn/lookup.js'
import type { Adapter, Logger } from '../contract.js'
import { enrichAsn, lacksAsn } from '../asn/enrich.js'
import { enrichCountry, lacksCountry } from '../geo/enrich.js'
import { openGeoLookup, type GeoLookup } from '../geo/lookup.js'
import { isReachable, type PeerStore } from '../store/types.js'

export const readerFlags = {
  db: Flags.string({ summary: 'Store file (default: $PEERS_DB, else output/peers.json).' }),
  net: Flags.string({ summary: 'Network id or --net name (e.g. mainnet, signet, avax-fuji); default: every network in the store.' })
}

export { asnDbFlag } from './asn-flags.js'
export { geoDbFlag } from './geo-flags.js'

/** `--net` as a store network id (an unknown name is a usage error), or every network in the store. */
export function selectNetworks (store: PeerStore, net: string | undefined): string[] {
  return net === undefined ? store.networks() : [findNetworkById(net).network.id]
}

/** The adapter owning a network id; undefined for ids no adapter declares (old or foreign stores). */
export function adapterOfNetwork (networkId: string): Adapter | undefined {
  return adapters.find((a) => a.networks.some((n) => n.id === networkId))
}

/**
 * Reachable records without an AS get one from the ASN database, in memory only (readers
 * never write the store). The database is opened only when some record needs it.
 */
export async function fillMissingAsn (store: PeerStore, networkIds: readonly string[], asnDbPath: string | undefined, log: Logger): Promise<void> {
  const needing = networkIds.map((id) => ({ id, records: store.peers(id).filter((p) => isReachable(p) && lacksAsn(p)) }))
  if (needing.every((n) => n.records.length === 0)) return
  const lookup = await openAsnLookup({ path: asnDbPath, log })
  if (lookup === undefined) return
  for (const { id, records } of needing) enrichAsn(store, id, records, lookup, { onlyMissing: true })
}

/**
 * Reachable IP records without a country get one from the geo database, in memory only.
 * Returns the lookup (its attribution goes with the results), undefined when there is none.
 */
export async function fillMissingCountry (store: PeerStore, networkIds: readonly string[], geoDbPath: string | undefined, log: Logger): Promise<GeoLookup | undefined> {
  const geo = await openGeoLookup({ path: geoDbPath, log })
  if (geo === undefined) return undefined
  for (const id of networkIds) enrichCountry(store, id, store.peers(id).filter((p) => isReachable(p) && lacksCountry(p)), geo, { onlyMissing: true })
  return geo
}
