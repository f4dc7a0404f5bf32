import { Args } from '@oclif/core'
import { PeersCommand } from '../cli/base-command.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../cli/number-flags.js'
import { readerFlags, selectOneNetwork } from '../cli/store-readers.js'
import { UsageError } from '../errors.js'
import { sortByAddress } from '../store/address-order.js'
import { diffWindows, lastTwoFinished, resolveWindow, runWindow, type PeerDiff } from '../store/queries.js'
import { openStore, resolveStorePath } from '../store/store.js'

// Parsed after oclif's parse (src/cli/number-flags.ts): a bad number is one line.
const NUMBER_FLAGS = {
  limit: { summary: 'Print at most this many joined and left peers each (the counts stay whole).', integer: true, min: 0 }
} satisfies Record<string, NumberSpec>

export default class Diff extends PeersCommand {
  static override summary = 'Peers that joined or left between two runs or two dates.'
  static override description = [
    'A peer counts as reachable in a run (or on a date) when its last observation there succeeded.',
    'A and B are run ids (or their first characters, as `peers runs` shows them), dates (YYYY-MM-DD, that UTC day), or times (YYYY-MM-DDThh:mm:ssZ: the run under way then, else the 24 hours before).',
    'Without arguments: the network\'s last two finished runs. Reads the history only (not the per-peer state).'
  ].join('\n')

  static override examples = [
    '<%= config.bin %> diff --net mainnet',
    '<%= config.bin %> diff 3f2a9c1e 8b0d44a7 --net signet',
    '<%= config.bin %> diff 2026-11-01 2026-11-02 --net mainnet --json',
    '<%= config.bin %> diff --net signet --limit 20'
  ]

  static override args = {
    a: Args.string({ description: 'The earlier run id, date or time.' }),
    b: Args.string({ description: 'The later run id, date or time.' })
  }

  static override flags = {
    ...readerFlags,
    ...numberFlags(NUMBER_FLAGS)
  }

  async run (): Promise<PeerDiff & { network: string }> {
    const { args, flags } = await this.parse(Diff)
    const { limit } = parseNumberFlags(NUMBER_FLAGS, flags)
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log, loadState: false })
    const network = selectOneNetwork(store, flags.net)
    const runs = store.runs(network)
    if ((args.a === undefined) !== (args.b === undefined)) throw new UsageError('give two runs or dates (A B), or none for the last two finished runs')
    let a, b
    if (args.a === undefined || args.b === undefined) {
      const last = lastTwoFinished(runs)
      if (last === undefined) throw new UsageError(`${network} has fewer than two finished runs in ${store.path}; name two dates instead (peers diff YYYY-MM-DD YYYY-MM-DD)`)
      a = runWindow(last[0])
      b = runWindow(last[1])
    } else {
      a = resolveWindow(args.a, runs)
      b = resolveWindow(args.b, runs)
    }
    const dir = store.historyDir(network)
    if (dir === undefined) throw new UsageError(`store ${store.path} has no history yet (schema 1 stores kept none); crawl once to start it`)
    const diff = await diffWindows(dir, a, b)
    const sorted = (keys: string[]): string[] => sortByAddress(keys.map((k) => ({ k, ...splitKey(k) }))).map((x) => x.k)
    const result = { network, ...diff, joined: sorted(diff.joined), left: sorted(diff.left) }
    if (!this.jsonEnabled()) {
      const cut = (list: string[]): string[] => (limit === undefined ? list : list.slice(0, limit))
      const lines = [
        `${network}: A = ${diff.a.label} (${diff.a.from.slice(0, 19)} .. ${diff.a.to.slice(0, 19)}), ${diff.a.reachable} reachable`,
        `${' '.repeat(network.length)}  B = ${diff.b.label} (${diff.b.from.slice(0, 19)} .. ${diff.b.to.slice(0, 19)}), ${diff.b.reachable} reachable`,
        `joined ${result.joined.length}, left ${result.left.length}, stayed ${diff.stayed}`,
        ...cut(result.joined).map((e) => `+ ${e}`),
        ...cut(result.left).map((e) => `- ${e}`)
      ]
      this.log(lines.join('\n'))
    }
    return result
  }
}

/** host and port of a history key (host:port, [v6]:port). */
function splitKey (key: string): { host: string, port: number } {
  const colon = key.lastIndexOf(':')
  const host = key.slice(0, colon)
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(key.slice(colon + 1)) }
}
