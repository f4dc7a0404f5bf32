// Simulated AVAX peers on 127.0.0.1: AvalancheGo's framing and messages over plain TCP
// (no TLS), answering PeerList requests as AvalancheGo does: only claims the asker's
// bloom filter does not already hold, a few at a time.
import { createServer, type Socket } from 'node:net'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Endpoint, Network, SimulatedBehaviour, SimulatedPeer } from '../../src/contract.js'
import { ipBytesFromHost } from './addresses.js'
import { BloomFilter, bloomHash } from './bloom.js'
import { FrameDecoder, encodeFrame } from './framing.js'
import { gossipId, nodeIdFromCertificate } from './ids.js'
import { decodeMessage, emptyHandshake, encodeMessage, type AvaxMessage, type BloomFilterBytes, type ClaimedIpPort } from './messages.js'
import { paramsFor } from './params.js'

export interface SimulatedAvaxPeerOptions {
  /** Claims per PeerList message; small, so a session needs several GetPeerList rounds. */
  batchSize?: number
}

interface Claim {
  message: ClaimedIpPort
  gossipId: Uint8Array
}

function claimFor (endpoint: Endpoint, timestamp: bigint): Claim {
  // A stand-in certificate: any bytes give a node id, and a stable one per endpoint keeps runs comparable.
  const certificate = sha256(new TextEncoder().encode(`simulated-certificate ${endpoint.host} ${endpoint.port}`))
  const message: ClaimedIpPort = {
    x509Certificate: certificate,
    ipAddr: ipBytesFromHost(endpoint.host),
    ipPort: endpoint.port,
    timestamp,
    signature: new Uint8Array(64),
    txId: sha256(certificate)
  }
  return { message, gossipId: gossipId(nodeIdFromCertificate(certificate), timestamp) }
}

function knownTo (filter: BloomFilterBytes | undefined): (claim: Claim) => boolean {
  if (filter === undefined) return () => false
  try {
    const parsed = BloomFilter.parse(filter.filter)
    return (claim) => parsed.contains(bloomHash(claim.gossipId, filter.salt))
  } catch {
    return () => false // an unparseable filter hides nothing
  }
}

export async function startSimulatedAvaxPeer (network: Network, behaviour: SimulatedBehaviour, options: SimulatedAvaxPeerOptions = {}): Promise<SimulatedPeer> {
  const params = paramsFor(network)
  const batchSize = options.batchSize ?? 2
  const timestamp = BigInt(Math.floor(Date.now() / 1000))
  // A PeerList carries IP addresses only; other endpoint types cannot be claimed.
  const claimable = behaviour.kind === 'honest' ? behaviour.knows.filter((e) => e.type === 'ipv4' || e.type === 'ipv6') : []
  const claims = claimable.map((e) => claimFor(e, timestamp))
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {}) // a client going away is not the simulation's problem
    converse(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('simulated peer has no TCP address')
  const endpoint: Endpoint = { host: '127.0.0.1', port: address.port, type: 'ipv4' }

  function converse (socket: Socket): void {
    switch (behaviour.kind) {
      case 'close-immediately':
        socket.end()
        return
      case 'silent':
        socket.resume()
        return
      case 'wrong-network':
      case 'honest':
        break
    }
    const send = (m: AvaxMessage): void => { socket.write(encodeFrame(encodeMessage(m))) }
    const networkId = behaviour.kind === 'wrong-network' ? (params.networkId === 1 ? 5 : 1) : params.networkId
    const now = BigInt(Math.floor(Date.now() / 1000))
    send({
      type: 'handshake',
      handshake: {
        ...emptyHandshake(),
        networkId,
        myTime: now,
        ipAddr: ipBytesFromHost(endpoint.host),
        ipPort: endpoint.port,
        ipSigningTime: now,
        client: { name: 'simulated-avalanchego', major: 1, minor: 0, patch: 0 },
        allSubnets: true
      }
    })
    if (behaviour.kind === 'wrong-network') return
    const sent = new Set<Claim>()
    const nextBatch = (filter: BloomFilterBytes | undefined): ClaimedIpPort[] => {
      const known = knownTo(filter)
      const batch = claims.filter((c) => !sent.has(c) && !known(c)).slice(0, batchSize)
      for (const c of batch) sent.add(c)
      return batch.map((c) => c.message)
    }
    const decoder = new FrameDecoder()
    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[]
      try {
        frames = decoder.push(chunk)
      } catch {
        socket.destroy()
        return
      }
      for (const frame of frames) {
        let m: AvaxMessage
        try {
          m = decodeMessage(frame)
        } catch {
          continue
        }
        if (m.type === 'handshake') {
          send({ type: 'peer-list', claimedIpPorts: nextBatch(m.handshake.knownPeers) })
          send({ type: 'ping', uptime: 100 })
        } else if (m.type === 'get-peer-list') {
          send({ type: 'peer-list', claimedIpPorts: nextBatch(m.knownPeers) })
        } else if (m.type === 'ping') {
          send({ type: 'pong' })
        }
      }
    })
  }

  return {
    endpoint,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}
