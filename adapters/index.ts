// The registry: every adapter the CLI offers. Adding a network = one folder + one line here.
import type { Adapter, Network } from '../src/contract.js'
import { UsageError } from '../src/errors.js'
import { bitcoinAdapter } from './bitcoin/index.js'
import { avaxAdapter } from './avax/index.js'

export const adapters: readonly Adapter[] = [bitcoinAdapter, avaxAdapter]

export function getAdapter (name: string): Adapter {
  const found = adapters.find((a) => a.name === name)
  if (found === undefined) throw new UsageError(`unknown adapter '${name}': expected one of ${adapters.map((a) => a.name).join(', ')}`)
  return found
}

/** A network of `adapter` by its `--net` name. */
export function getNetwork (adapter: Adapter, name: string): Network {
  const found = adapter.networks.find((n) => n.name === name)
  if (found === undefined) throw new UsageError(`unknown network '${name}' for ${adapter.name}: expected one of ${adapter.networks.map((n) => n.name).join(', ')}`)
  return found
}

/** Every network of every adapter, with its adapter. */
export function allNetworks (): Array<{ adapter: Adapter, network: Network }> {
  return adapters.flatMap((adapter) => adapter.networks.map((network) => ({ adapter, network })))
}

/** A network by store id (`signet`, `avax-fuji`) or by a name only one adapter uses. */
export function findNetworkById (idOrName: string): { adapter: Adapter, network: Network } {
  const all = allNetworks()
  const byId = all.find((x) => x.network.id === idOrName)
  if (byId !== undefined) return byId
  const byName = all.filter((x) => x.network.name === idOrName)
  if (byName.length === 1) return byName[0]
  throw new UsageError(`unknown network '${idOrName}': expected one of ${all.map((x) => x.network.id).join(', ')}`)
}
