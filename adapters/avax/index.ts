// The AVAX adapter: Avalanche's primary network (mainnet, Fuji). The wire codec covers the
// messages a crawler needs (Handshake, PeerList, GetPeerList, Ping, Pong; other messages are
// recognised and ignored, zstd-compressed ones refused) with the field numbers of AvalancheGo's
// proto/p2p/p2p.proto, checked against golden bytes written from that file. The bloom filter
// and session flow have only ever run against our own simulated peers, not a real AvalancheGo
// node: the transport real nodes require (TLS 1.3 with a staking certificate, signed IP claims)
// is a stub, so the adapter's status is 'stub' and it refuses real crawls.
import type { Adapter, Endpoint, Network, SimulationKit } from '../../src/contract.js'
import { NotImplementedError, UsageError } from '../../src/errors.js'
import { formatEndpoint, parseHostPort } from '../../src/net/endpoint.js'
import { AVAX_NETWORKS, MAINNET, paramsFor } from './params.js'
import { runAvaxSession } from './session-runner.js'
import { startSimulatedAvaxPeer } from './simulation.js'
import { TLS_NOT_IMPLEMENTED, plainTcpTransport, tlsTransport, type AvaxTransport } from './transport.js'

function createAvaxAdapter (transport: AvaxTransport, simulation: () => SimulationKit): Adapter {
  return {
    name: 'avax',
    description: transport.implemented
      ? 'Avalanche over plain TCP (simulated peers only)'
      : 'Avalanche primary network peers (AvalancheGo p2p: Handshake, PeerList, GetPeerList)',
    status: 'stub',
    networks: AVAX_NETWORKS.map((p) => p.network),
    defaultNetwork: MAINNET.network.name,
    dialableTypes: ['ipv4', 'ipv6'],
    // AvalancheGo answers GetPeerList at once; the TLS handshake is one round trip more than TCP.
    defaults: { timeouts: { connectMs: 5000, handshakeMs: 10000, askPeersMs: 10000 } },
    key: (endpoint: Endpoint) => formatEndpoint(endpoint),
    parseEndpoint (text: string, network: Network): Endpoint {
      const endpoint = parseHostPort(text, network.defaultPort)
      if (endpoint.type !== 'ipv4' && endpoint.type !== 'ipv6') {
        throw new UsageError(`'${text}' is not an IP address: AVAX peers are reached over IPv4 or IPv6`)
      }
      return endpoint
    },
    assertCrawlable (network: Network): void {
      paramsFor(network)
      if (!transport.implemented) throw new NotImplementedError(TLS_NOT_IMPLEMENTED)
    },
    // Bootstrappers are fixed IPs from AvalancheGo's genesis; no DNS, no dial.
    async bootstrap (network: Network): Promise<Endpoint[]> {
      return paramsFor(network).bootstrappers.map((b) => parseHostPort(b.ip, network.defaultPort))
    },
    runSession: (endpoint, options) => runAvaxSession(endpoint, options, transport, paramsFor(options.network).networkId),
    get simulation () { return simulation() }
  }
}

/** The same flow wired to plain TCP, so simulations and the compliance suite run it end to end. */
const simulatedAvaxAdapter: Adapter = createAvaxAdapter(plainTcpTransport, () => simulationKit)

const simulationKit: SimulationKit = {
  startPeer: (network, behaviour) => startSimulatedAvaxPeer(network, behaviour),
  adapter: simulatedAvaxAdapter
}

export const avaxAdapter: Adapter = createAvaxAdapter(tlsTransport, () => simulationKit)
