import { PeersCommand } from '../cli/base-command.js'
import { renderStats } from '../stats/render.js'
import { computeStats, type NetworkStats } from '../stats/stats.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../cli/number-flags.js'
import { adapterOfNetwork, asnDbFlag, fillMissingAsn, readerFlags, selectNetworks } from '../cli/store-readers.js'
import { openStore, resolveStorePath } from '../store/store.js'

// Parsed after oclif's parse (src/cli/number-flags.ts): a bad number is one line.
const NUMBER_FLAGS = {
  top: { summary: 'Rows in the AS, user agent and services tables.', integer: true, min: 1, default: 10 }
} satisfies Record<string, NumberSpec>

export default class Stats extends PeersCommand {
  static override summary = 'Who hosts the network: reachable peers by address type, AS, user agent, version and services.'
  static override description = [
    'Counts over the reachable peers of each network (without --net, every network in the store).',
    'The AS concentration is the smallest number of ASes that together host at least half of all reachable peers; peers with no known AS count in the total but never as an AS, so the figure is null when the known ASes host less than half.',
    'Peers without stored AS data are looked up in the ASN database (in memory; the store is not changed).'
  ].join('\n')

  static override examples = [
    '<%= config.bin %> stats --net mainnet',
    '<%= config.bin %> stats --net signet --top 20',
    '<%= config.bin %> stats --json --db crawl.json'
  ]

  static override flags = {
    ...readerFlags,
    ...numberFlags(NUMBER_FLAGS),
    'asn-db': asnDbFlag
  }

  async run (): Promise<NetworkStats[]> {
    const { flags } = await this.parse(Stats)
    const n = parseNumberFlags(NUMBER_FLAGS, flags)
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log })
    const networks = selectNetworks(store, flags.net)
    await fillMissingAsn(store, networks, flags['asn-db'], log)
    const reports = networks.map((network) => {
      const adapter = adapterOfNetwork(network)
      const serviceNames = adapter?.serviceNames?.bind(adapter)
      return computeStats(network, store.peers(network), { top: n.top, serviceNames })
    })
    if (!this.jsonEnabled()) {
      const text = reports.length === 0 ? `store ${store.path} has no peers yet\n` : reports.map((r) => renderStats(r, { tty: process.stdout.isTTY === true })).join('\n')
      this.log(text.trimEnd())
    }
    return reports
  }
}
