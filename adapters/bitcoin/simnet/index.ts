// The simulated Bitcoin network: whole networks (Simnet) for `peers simnet` and crawl tests,
// and single peers for the adapter compliance suite (startSimulatedPeer).
import { createServer, type Socket } from 'node:net'
import type { Network, SimulatedBehaviour, SimulatedPeer } from '../../../src/contract.js'
import { BITCOIN_NETWORKS } from '../params.js'
import type { NetAddress } from '../wire/index.js'
import { seededRandom } from './random.js'
import { closeImmediately, CORE_SERVICES, coreLike, emptyStats, silent, wrongNetwork, type NodeBehaviour, type SimNode } from './node.js'

export { Simnet, type SimnetOptions } from './simnet.js'
export { bcoinLike, closeImmediately, coreLike, muteCore, oldCore, silent, slowCore, smallCore, unreachable, wrongNetwork, type AddrFlavour, type CoreLikeOptions, type NodeBehaviour, type SimNode, type SimnetStats } from './node.js'

/**
 * One simulated peer on 127.0.0.1 at a port the OS picks. An honest one is current Core: it
 * answers getaddr at once with exactly `knows`, without its own address (Core does not
 * announce a non-routable address such as 127.0.0.1).
 */
export async function startSimulatedPeer (network: Network, simulated: SimulatedBehaviour): Promise<SimulatedPeer> {
  const params = BITCOIN_NETWORKS.find((n) => n.id === network.id)
  if (params === undefined) throw new RangeError(`not a Bitcoin network: ${network.id}`)
  const behaviour = behaviourOf(simulated)
  const time = Math.floor(Date.now() / 1000)
  const answer: NetAddress[] = simulated.kind === 'honest'
    ? simulated.knows.map((e) => ({ time, services: CORE_SERVICES, type: e.type, host: e.host, port: e.port }))
    : []
  const sockets = new Set<Socket>()
  const server = createServer({ noDelay: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('the simulated peer has no address')
  const node: SimNode = {
    endpoint: { host: '127.0.0.1', port: address.port, type: 'ipv4' },
    magic: params.magic,
    self: { time, services: CORE_SERVICES, type: 'ipv4', host: '127.0.0.1', port: address.port },
    answer: () => answer,
    getaddrDelayMs: () => 0,
    announcesSelf: false,
    latencyMs: 0,
    random: seededRandom(address.port),
    stats: emptyStats()
  }
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    behaviour.accept?.(socket, node)
  })
  return {
    endpoint: node.endpoint,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

function behaviourOf (simulated: SimulatedBehaviour): NodeBehaviour {
  switch (simulated.kind) {
    case 'honest': return coreLike()
    case 'silent': return silent
    case 'wrong-network': return wrongNetwork
    case 'close-immediately': return closeImmediately
  }
}
