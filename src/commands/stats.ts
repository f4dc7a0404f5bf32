import { PeersCommand } from '../cli/base-command.js'
import { renderStats } from '../stats/render.js'
import { computeStats, type NetworkStats } from '../stats/stats.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../cli/number-flags.js'
import { adapterOfNetwork, asnDbFlag, fillMissingAsn, fillMissingCountry, geoDbFlag, readerFlags, selectNetworks } from '../cli/store-readers.js'
import { openStore, resolveStorePath } from '../store/store.js'

// Parsed after oclif's parse (src/cli/number-flags.ts): a bad number is one line.
const NUMBER_FLAGS = {
  top: { summary: 'Rows in the AS, country, user agent and services tables.', integer: true, min: 1, default: 10 }
} satisfies Record<string, NumberSpec>

export default class Stats extends PeersCommand {
  static override summary = 'Who hosts the network: reachable peers by address type, AS, country, user agent, version and services.'
  static override description = [
    'Counts over the reachable peers of each network (without --net, every network in the store).',
    'The AS concentration is the smallest number of ASes that together host at least half of all reachable peers; peers with no known AS count in the total but never as an AS, so the figure is null when the known ASes host less than half.',
    'The country concentration is the same figure for countries. Onion, I2P and CJDNS peers have no country; they count in the total and are shown apart.',
    'Peers without stored AS or country data are looked up in the ASN and geo databases (in memory; the store is not changed).',
    'On a terminal each table has a bar column; piped output and --json have none.'
  ].join('\n')

  static override examples = [
    '<%= config.bin %> stats --net mainnet',
    '<%= config.bin %> stats --net signet --top 20',
    '<%= config.bin %> stats --json --db crawl.json'
  ]

  static override flags = {
    ...readerFlags,
    ...numberFlags(NUMBER_FLAGS),
    'asn-db': asnDbFlag,
    'geo-db': geoDbFlag
  }

  async run (): Promise<Array<NetworkStats & { countryData?: string }>> {
    const { flags } = await this.parse(Stats)
    const n = parseNumberFlags(NUMBER_FLAGS, flags)
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log })
    const networks = selectNetworks(store, flags.net)
    await fillMissingAsn(store, networks, flags['asn-db'], log)
    const geo = await fillMissingCountry(store, networks, flags['geo-db'], log)
    const reports = networks.map((network) => {
      const adapter = adapterOfNetwork(network)
      const serviceNames = adapter?.serviceNames?.bind(adapter)
      return { ...computeStats(network, store.peers(network), { top: n.top, serviceNames }), ...(geo === undefined ? {} : { countryData: geo.source.attribution }) }
    })
    if (!this.jsonEnabled()) {
      const attribution = geo === undefined || reports.length === 0 ? '' : `\n${geo.source.attribution}\n`
      const text = reports.length === 0 ? `store ${store.path} has no peers yet\n` : reports.map((r) => renderStats(r, { tty: process.stdout.isTTY === true })).join('\n') + attribution
      this.log(text.trimEnd())
    }
    return reports
  }
}
