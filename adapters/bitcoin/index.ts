// The Bitcoin adapter: networks and seeds (params.ts, bootstrap.ts), the wire codec (wire/),
// one crawler session (the state machine in session-machine.ts, driven by session-runner.ts
// over TCP) and a simulated network (simnet/).
import type { Adapter, Network, SimulationKit } from '../../src/contract.js'
import { parseHostPort } from '../../src/net/endpoint.js'
import { bootstrapBitcoin } from './bootstrap.js'
import { BITCOIN_DEFAULTS } from './defaults.js'
import { diagnoseBitcoin } from './diagnose.js'
import { BITCOIN_NETWORKS, serviceNames, type BitcoinNetworkParams } from './params.js'
import { seedsFormat } from './seeds-dump.js'
import { peerKey } from './session-machine.js'
import { startSimulatedPeer } from './simnet/index.js'
import { bitcoinNetworkSimulation } from './simnet/network-simulation.js'
import { runBitcoinSession } from './session-runner.js'

function paramsOf (network: Network): BitcoinNetworkParams | undefined {
  return BITCOIN_NETWORKS.find((n) => n.id === network.id)
}

const simulation: SimulationKit = {
  startPeer: startSimulatedPeer,
  get adapter () { return bitcoinAdapter },
  network: bitcoinNetworkSimulation
}

export const bitcoinAdapter: Adapter = {
  name: 'bitcoin',
  description: 'Bitcoin (Core P2P protocol v1: version/verack, getaddr, addr and addrv2)',
  status: 'complete',
  networks: BITCOIN_NETWORKS,
  defaultNetwork: 'mainnet',
  // Any byte stream carries the protocol; which types are dialed depends on the dialers (src/net/dialers/router.ts).
  dialableTypes: ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'],
  defaults: BITCOIN_DEFAULTS,
  key: peerKey,
  serviceNames,
  parseEndpoint: (text, network) => parseHostPort(text, network.defaultPort),
  assertCrawlable: () => {},
  async bootstrap (network, options) {
    const params = paramsOf(network)
    if (params === undefined) throw new RangeError(`not a Bitcoin network: ${network.id}`)
    return await bootstrapBitcoin(params, options)
  },
  async runSession (endpoint, options) {
    const params = paramsOf(options.network)
    if (params === undefined) {
      return { endpoint, ok: false, reason: 'error', detail: `not a Bitcoin network: ${options.network.id}`, learned: [], addressesReceived: 0 }
    }
    return await runBitcoinSession(endpoint, options, { magic: params.magic })
  },
  async diagnose (endpoint, options) {
    const params = paramsOf(options.network)
    if (params === undefined) return { reachable: false, reason: 'error', cause: `not a Bitcoin network: ${options.network.id}`, steps: [], times: {} }
    return await diagnoseBitcoin(endpoint, options, params)
  },
  exportFormats: { seeds: seedsFormat },
  simulation
}
