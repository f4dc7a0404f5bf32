import { adapters } from '../../adapters/index.js'
import { PeersCommand } from '../cli/base-command.js'
import type { Adapter } from '../contract.js'
import { NotImplementedError } from '../errors.js'
import { renderTable } from '../cli/table.js'

export interface AdapterListing {
  name: string
  description: string
  status: 'complete' | 'stub'
  /** What is missing, from the adapter's own assertCrawlable; only for stubs. */
  missing?: string
  defaultNetwork: string
  dialableTypes: string[]
  networks: Array<{ id: string, name: string, defaultPort: number, description: string }>
}

/** The line a stub gives when asked to crawl its default network. */
function missingPart (adapter: Adapter): string | undefined {
  const network = adapter.networks.find((n) => n.name === adapter.defaultNetwork)
  if (network === undefined) return undefined
  try {
    adapter.assertCrawlable(network)
  } catch (err) {
    if (err instanceof NotImplementedError) return err.message
    throw err
  }
  return undefined
}

export function listAdapters (): AdapterListing[] {
  return adapters.map((a) => {
    const listing: AdapterListing = {
      name: a.name,
      description: a.description,
      status: a.status,
      defaultNetwork: a.defaultNetwork,
      dialableTypes: [...a.dialableTypes],
      networks: a.networks.map((n) => ({ id: n.id, name: n.name, defaultPort: n.defaultPort, description: n.description }))
    }
    const missing = a.status === 'stub' ? missingPart(a) : undefined
    if (missing !== undefined) listing.missing = missing
    return listing
  })
}

export default class Adapters extends PeersCommand {
  static override summary = 'List the networks peers can map, adapter by adapter.'
  static override description = [
    'One line per network: the adapter (the word after `peers crawl`), whether it is complete or a stub, the network name `--net` takes, the id the store, list, export and stats use, and the default port. Each adapter\'s default network is marked with *.',
    'A stub adapter has a declared part that is not implemented yet; what is missing is printed below the table. It runs against simulated peers only.'
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> adapters',
    '<%= config.bin %> adapters --json'
  ]

  async run (): Promise<{ adapters: AdapterListing[] }> {
    await this.parse(Adapters)
    const listing = listAdapters()
    if (!this.jsonEnabled()) {
      const rows = listing.flatMap((a) => a.networks.map((n) => [
        a.name, a.status, n.name === a.defaultNetwork ? `${n.name}*` : n.name, n.id, String(n.defaultPort), n.description
      ]))
      this.log(renderTable([
        { header: 'ADAPTER' }, { header: 'STATUS' }, { header: 'NETWORK' }, { header: 'ID' }, { header: 'PORT', align: 'right' }, { header: 'DESCRIPTION', maxWidth: 60 }
      ], rows).trimEnd())
      for (const a of listing) if (a.missing !== undefined) this.log(`\n${a.name} is a stub: ${a.missing}`)
    }
    return { adapters: listing }
  }
}
