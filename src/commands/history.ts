import { Args, Flags } from '@oclif/core'
import { findNetworkById } from '../../adapters/index.js'
import { PeersCommand } from '../cli/base-command.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../cli/number-flags.js'
import { adapterOfNetwork, readerFlags } from '../cli/store-readers.js'
import { renderTable } from '../cli/table.js'
import { UsageError } from '../errors.js'
import { formatEndpoint } from '../net/endpoint.js'
import { readTimeline, type Observation } from '../store/history.js'
import { resolveWindow } from '../store/queries.js'
import { openStore, resolveStorePath } from '../store/store.js'

export interface PeerHistory {
  network: string
  endpoint: string
  observations: Observation[]
  /** Observations that succeeded, over all. */
  up: number
}

// Parsed after oclif's parse (src/cli/number-flags.ts): a bad number is one line.
const NUMBER_FLAGS = {
  limit: { summary: 'Only the last this many observations.', integer: true, min: 1 }
} satisfies Record<string, NumberSpec>

export default class History extends PeersCommand {
  static override summary = 'One peer\'s timeline: every time we tried it, reachable or why not.'
  static override description = 'Reads the history files of the store (one per network and day). Each line is one session: its time, the outcome (up, or the failure reason), the connect latency and the height it announced; version and user agent appear when they changed.'
  static override examples = [
    '<%= config.bin %> history 203.0.113.5:8333 --net mainnet',
    '<%= config.bin %> history [2001:db8::1]:38333 --net signet --since 2026-11-01 --json',
    '<%= config.bin %> history 127.0.0.1:18444 --db crawl.json --limit 50'
  ]

  static override args = {
    endpoint: Args.string({ required: true, description: 'HOST:PORT of the peer ([v6]:port for IPv6).' })
  }

  static override flags = {
    ...readerFlags,
    since: Flags.string({ summary: 'Only from this date or time on (YYYY-MM-DD or ISO 8601).' }),
    ...numberFlags(NUMBER_FLAGS)
  }

  async run (): Promise<PeerHistory[]> {
    const { args, flags } = await this.parse(History)
    const { limit } = parseNumberFlags(NUMBER_FLAGS, flags)
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log, loadState: false })
    const networks = flags.net === undefined ? store.networks() : [findNetworkById(flags.net).network.id]
    const fromMs = flags.since === undefined ? -Infinity : resolveWindow(flags.since, []).fromMs
    const out: PeerHistory[] = []
    for (const network of networks) {
      const dir = store.historyDir(network)
      if (dir === undefined) continue
      const key = endpointKey(args.endpoint, network)
      let observations = await readTimeline(dir, key, fromMs)
      if (observations.length === 0) continue
      if (limit !== undefined) observations = observations.slice(-limit)
      out.push({ network, endpoint: key, observations, up: observations.filter((o) => o.ok).length })
    }
    if (out.length === 0) throw new UsageError(`no observations of ${args.endpoint} in ${store.path}${flags.net === undefined ? '' : ` for ${flags.net}`}${flags.since === undefined ? '' : ` since ${flags.since}`}`)
    if (!this.jsonEnabled()) {
      this.log(out.map((h) => [
        `${h.network} ${h.endpoint}: ${h.observations.length} observations, up in ${h.up} (${(100 * h.up / h.observations.length).toFixed(1)} %)`,
        renderTable(
          [{ header: 'time (UTC)' }, { header: 'outcome' }, { header: 'latency', align: 'right' }, { header: 'height', align: 'right' }, { header: 'version', align: 'right' }, { header: 'user agent', maxWidth: 40 }],
          h.observations.map((o) => [new Date(o.t).toISOString().slice(0, 19).replace('T', ' '), o.ok ? 'up' : (o.r ?? 'failed'), o.ms === undefined ? '' : `${o.ms} ms`, o.h === undefined ? '' : String(o.h), o.v === undefined ? '' : String(o.v), o.ua ?? ''])
        ).trimEnd()
      ].join('\n')).join('\n\n'))
    }
    return out
  }
}

/** The key the history uses (formatEndpoint) for what the user typed, parsed by the network's adapter when known. */
function endpointKey (text: string, network: string): string {
  const adapter = adapterOfNetwork(network)
  if (adapter === undefined) return text
  try {
    return formatEndpoint(adapter.parseEndpoint(text, findNetworkById(network).network))
  } catch {
    throw new UsageError(`'${text}' is not a HOST:PORT of ${network}`)
  }
}
