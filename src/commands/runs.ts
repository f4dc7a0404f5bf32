import { PeersCommand } from '../cli/base-command.js'
import { readerFlags, selectNetworks } from '../cli/store-readers.js'
import { renderTable } from '../cli/table.js'
import { openStore, resolveStorePath } from '../store/store.js'
import type { RunRecord } from '../store/types.js'

export default class Runs extends PeersCommand {
  static override summary = 'List the crawl runs of the store, oldest first, with their counts.'
  static override description = 'A run is one `peers crawl` (one --continuous crawl is one run, however long). The id column is the start of the run id; `peers diff` accepts it.'
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs --net mainnet --json',
    '<%= config.bin %> runs --db crawl.json'
  ]

  static override flags = { ...readerFlags }

  async run (): Promise<RunRecord[]> {
    const { flags } = await this.parse(Runs)
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log, loadState: false })
    const networks = new Set(selectNetworks(store, flags.net))
    const runs = store.runs().filter((r) => networks.has(r.network))
    if (!this.jsonEnabled()) {
      if (runs.length === 0) this.log('no runs')
      else {
        const count = (r: RunRecord, key: string): string => { const v = r.counts?.[key]; return typeof v === 'number' ? String(v) : '' }
        this.log(renderTable(
          [{ header: 'id' }, { header: 'network' }, { header: 'status' }, { header: 'started (UTC)' }, { header: 'duration', align: 'right' }, { header: 'tried', align: 'right' }, { header: 'reachable', align: 'right' }, { header: 'new', align: 'right' }],
          runs.map((r) => [r.id.slice(0, 8), r.network, r.status, r.startedAt.slice(0, 19).replace('T', ' '), duration(r), count(r, 'tried'), count(r, 'reachable'), count(r, 'new')])
        ).trimEnd())
      }
    }
    return runs
  }
}

function duration (r: RunRecord): string {
  if (r.endedAt === undefined) return ''
  const s = Math.max(0, (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000)
  return s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`
}
