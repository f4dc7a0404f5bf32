import { Args, Flags } from '@oclif/core'
import { adapters, getAdapter, getNetwork } from '../../adapters/index.js'
import { PeersCommand } from '../cli/base-command.js'
import { parseSimulationFlags, simulationFlags } from '../cli/simulation-flags.js'
import { UsageError } from '../errors.js'
import { formatEndpoint } from '../net/endpoint.js'

export interface SimnetSummary {
  network: string
  /** host:port of the nodes a crawl starts from. */
  seeds: string[]
  /** Reachable nodes a perfect crawl from the seeds finds. */
  reachable: number
  nodes: Record<string, number>
  crawlCommand: string
  /** Adapter-specific facts (RunningSimulation.details), when the simulation has any. */
  details?: Record<string, unknown>
}

const simulated = adapters.filter((a) => a.simulation.network !== undefined)
const SIMULATION_FLAGS = simulationFlags(adapters)

export default class SimnetCommand extends PeersCommand {
  static override summary = 'Run a simulated network on loopback addresses, to crawl without the internet.'

  static override description = [
    'Starts the simulated network of ADAPTER (default bitcoin): nodes of its protocol, each on a loopback address, and prints the seed endpoints and the crawl command to run against them, then runs until Ctrl-C or SIGTERM.',
    ...simulated.flatMap((a) => a.simulation.network?.description ?? [])
  ].join('\n')

  static override examples = [
    '<%= config.bin %> simnet --nodes 50 --json',
    ...simulated.flatMap((a) => (a.simulation.network?.examples ?? []).map((e) => `<%= config.bin %> simnet ${a.name} ${e}`))
  ]

  static override args = {
    adapter: Args.string({ description: `The adapter whose network to simulate: ${simulated.map((a) => a.name).join(', ')}.`, default: 'bitcoin' })
  }

  static override flags = {
    ...SIMULATION_FLAGS,
    net: Flags.string({ summary: 'Network whose magic and port the nodes use (default: the simulation\'s, regtest for bitcoin).' })
  }

  async run (): Promise<void> {
    const { args, flags } = await this.parse(SimnetCommand)
    const adapter = getAdapter(args.adapter)
    const simulation = adapter.simulation.network
    if (simulation === undefined) {
      throw new UsageError(`the ${adapter.name} adapter offers no simulated network: try ${simulated.map((a) => `'peers simnet ${a.name}'`).join(', ')}`)
    }
    const network = getNetwork(adapter, flags.net ?? simulation.defaultNetwork)
    const values = parseSimulationFlags(adapter, simulation.flags, Object.keys(SIMULATION_FLAGS), flags as Record<string, unknown>)
    const log = this.makeLogger(flags)
    let running
    try {
      running = await simulation.start(network, values)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') throw new UsageError(`a node's address is in use (another simnet running?): ${(err as Error).message}; try --port`)
      if (code === 'EMFILE') throw new UsageError('too many nodes for the open-file limit: raise it (ulimit -n) or lower --nodes')
      throw err
    }

    const seeds = running.seeds.map(formatEndpoint)
    const summary: SimnetSummary = {
      network: network.name,
      seeds,
      reachable: running.reachable,
      nodes: { ...running.nodes },
      crawlCommand: ['peers crawl', adapter.name, '--net', network.name, ...seeds.map((s) => `--seed ${s}`), ...running.crawlFlags].join(' '),
      ...(running.details === undefined ? {} : { details: { ...running.details } })
    }
    // Printed at once, not at exit: whoever runs the crawl needs the seeds while this runs.
    if (this.jsonEnabled()) {
      this.logJson(summary)
    } else {
      for (const s of seeds) this.log(`seed ${s}`)
      this.log(summary.crawlCommand)
    }
    log.info(`simnet: ${running.size} addresses on ${network.name}, ${summary.reachable} reachable from the seed; Ctrl-C stops`)
    for (const note of running.notes) log.info(`simnet: ${note}`)

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolve()
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
    log.info(`simnet stopped: ${await running.stop()}`)
  }
}
