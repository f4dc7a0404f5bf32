import { Flags } from '@oclif/core'
import { adapters } from '../../adapters/index.js'
import { openAsnLookup } from '../asn/lookup.js'
import { PeersCommand } from '../cli/base-command.js'
import { adapterOfNetwork, asnDbFlag, geoDbFlag, readerFlags, selectNetworks } from '../cli/store-readers.js'
import { enrichAsn, lacksAsn } from '../asn/enrich.js'
import { enrichCountry, lacksCountry } from '../geo/enrich.js'
import { GEO_DB_ENV, GEO_DB_OFF, openGeoLookup } from '../geo/lookup.js'
import { writeReport } from '../report/write.js'
import { openStore, resolveStorePath } from '../store/store.js'
import { isReachable } from '../store/types.js'

export default class Report extends PeersCommand {
  static override summary = 'Write a self-contained HTML report with charts: reachable peers, world map, ASes, countries, software, services, heights, latency, runs, joins and leaves.'
  static override description = [
    'Writes <out>/<net>/<net>-report-<YYYYMMDDhhmmss>.html (UTC) per network (without --net, every network in the store) and prints its path.',
    'The file is one page with everything inlined (charts are SVG drawn here, no script, no web font): it opens from a file:// URL with no network.',
    'Countries come from the geo database (--geo-db; MaxMind GeoLite2-Country or -City, else the installed ip-location-db country database); without one, the report has no map and says why.',
    'Peers without stored AS or country data are looked up in memory; the store is opened read-only.'
  ].join('\n')

  static override examples = [
    '<%= config.bin %> report --net mainnet',
    '<%= config.bin %> report --net signet --out reports --json',
    '<%= config.bin %> report --net mainnet --geo-db /usr/share/GeoIP/GeoLite2-Country.mmdb'
  ]

  static override flags = {
    ...readerFlags,
    out: Flags.string({ default: 'output', summary: 'Directory the report goes under (one subdirectory per network).' }),
    'asn-db': asnDbFlag,
    'geo-db': geoDbFlag
  }

  async run (): Promise<{ report: string, reports: Array<{ network: string, path: string, bytes: number }> }> {
    const { flags } = await this.parse(Report)
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log })
    let networks = selectNetworks(store, flags.net)
    // An empty store still gets a report (it says "no peers yet"): the default network of the first adapter.
    if (networks.length === 0) networks = [adapters[0].networks.find((n) => n.name === adapters[0].defaultNetwork)?.id ?? adapters[0].networks[0].id]

    const reachable = networks.flatMap((id) => store.peers(id).filter(isReachable))
    const asn = reachable.length === 0 ? undefined : await openAsnLookup({ path: flags['asn-db'], log })
    const geoOff = (flags['geo-db'] ?? process.env[GEO_DB_ENV]) === GEO_DB_OFF
    const geo = reachable.length === 0 ? undefined : await openGeoLookup({ path: flags['geo-db'], log })
    for (const id of networks) {
      const needing = store.peers(id).filter(isReachable)
      if (asn !== undefined) enrichAsn(store, id, needing.filter(lacksAsn), asn, { onlyMissing: true })
      if (geo !== undefined) enrichCountry(store, id, needing.filter(lacksCountry), geo, { onlyMissing: true })
    }
    const geoNotice = geo !== undefined ? undefined : geoOff ? `country lookup is off (--geo-db ${GEO_DB_OFF})` : 'no geo database was found'

    const now = new Date()
    const reports: Array<{ network: string, path: string, bytes: number }> = []
    for (const network of networks) {
      const adapter = adapterOfNetwork(network)
      const written = await writeReport(network, store.peers(network), store.runs(network), {
        outDir: flags.out,
        now,
        serviceNames: adapter?.serviceNames?.bind(adapter),
        asnAttribution: asn?.attribution,
        geoAttribution: geo?.source.attribution,
        geoNotice,
        historyDir: store.historyDir(network)
      })
      log.info(`wrote ${written.path} (${(written.bytes / 1024).toFixed(0)} kB, ${written.data.stats.reachable} reachable peers)`)
      reports.push({ network, path: written.path, bytes: written.bytes })
    }
    if (!this.jsonEnabled()) for (const r of reports) this.log(r.path)
    return { report: reports[0].path, reports }
  }
}
