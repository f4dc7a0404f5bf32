// The transport over loopback against simulated peers and hand-made servers.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import type { Endpoint, LearnedAddress, SessionOptions, SimulatedBehaviour, SimulatedPeer } from '../../src/contract.js'
import { bitcoinAdapter } from '../../adapters/bitcoin/index.js'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'
import { socketFailure } from '../../adapters/bitcoin/session-runner.js'
import { encodeFrame, FrameParser, type BitcoinMessage } from '../../adapters/bitcoin/wire/index.js'

const regtest = BITCOIN_NETWORKS.find((n) => n.id === 'regtest')!
const peers: SimulatedPeer[] = []
const servers: Server[] = []
after(async () => {
  await Promise.all(peers.map((p) => p.close()))
  for (const s of servers) s.close()
})

function options (overrides: { timeouts?: Partial<SessionOptions['timeouts']>, limits?: Partial<SessionOptions['limits']>, signal?: AbortSignal } = {}): SessionOptions {
  return {
    network: regtest,
    timeouts: { connectMs: 2000, handshakeMs: 2000, askPeersMs: 2000, ...overrides.timeouts },
    limits: { maxBufferedBytes: 5_000_000, maxAddresses: 10_000, maxSessionMs: 10_000, ...overrides.limits },
    signal: overrides.signal ?? new AbortController().signal,
    userAgent: '/peers-test:0.1.0/'
  }
}

async function startPeer (behaviour: SimulatedBehaviour): Promise<SimulatedPeer> {
  const peer = await bitcoinAdapter.simulation.startPeer(regtest, behaviour)
  peers.push(peer)
  return peer
}

/** A raw server on 127.0.0.1 that hands each connection to `onConnection`. */
async function startServer (onConnection: (socket: Socket) => void): Promise<Endpoint> {
  const server = createServer(onConnection)
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  return { host: '127.0.0.1', port: address.port, type: 'ipv4' }
}

/** A server that completes a Bitcoin handshake (70016, no features) and hands getaddr to `onGetaddr`. */
async function startHandshakingServer (onGetaddr: (socket: Socket) => void): Promise<Endpoint> {
  return await startServer((socket) => {
    const parser = new FrameParser(regtest.magic)
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      for (const f of parser.push(chunk)) {
        if (f.kind !== 'message') continue
        if (f.message.command === 'version') {
          socket.write(encodeFrame(regtest.magic, { command: 'version', payload: { ...f.message.payload, nonce: 7n, userAgent: '/test:0/' } }))
          socket.write(encodeFrame(regtest.magic, { command: 'verack' }))
        } else if (f.message.command === 'getaddr') {
          onGetaddr(socket)
        }
      }
    })
  })
}

function knownEndpoints (n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => ({ host: `10.1.${i >> 8}.${i & 255}`, port: 8333, type: 'ipv4' as const }))
}

describe('runSession against simulated peers', () => {
  it('an honest peer: handshake, peer info, the full answer', async () => {
    const knows = knownEndpoints(40)
    const peer = await startPeer({ kind: 'honest', knows })
    const r = await bitcoinAdapter.runSession(peer.endpoint, options())
    assert.equal(r.ok, true, r.detail)
    assert.equal(r.reason, undefined)
    assert.equal(r.gotAddressAnswer, true)
    assert.deepEqual(r.peer, { protocolVersion: 70016, services: '1033', userAgent: '/Satoshi:28.1.0/', startHeight: 0, relay: true })
    assert.equal(typeof r.connectMs, 'number')
    assert.equal(typeof r.handshakeMs, 'number')
    assert.equal(r.addressesReceived, 40)
    assert.deepEqual(r.learned.map((a) => a.endpoint), knows)
    assert.equal(typeof r.learned[0].time, 'number')
  })

  // Current Core answers at once, however few it knows (../shared/bitcoin-p2p.md §5): a 3-entry
  // answer is the answer. (Before #10 this test expected the session to wait it out as gossip.)
  it('a peer with a small answer: recognised at once', async () => {
    const peer = await startPeer({ kind: 'honest', knows: knownEndpoints(3) })
    const r = await bitcoinAdapter.runSession(peer.endpoint, options({ timeouts: { askPeersMs: 30_000 }, limits: { maxSessionMs: 40_000 } }))
    assert.equal(r.ok, true)
    assert.equal(r.gotAddressAnswer, true)
    assert.equal(r.answer?.entries, 3)
    assert.ok((r.answer?.afterMs ?? Infinity) < 30_000)
    assert.equal(r.learned.length, 3)
  })

  it('streams learned addresses through onLearned and keeps none in the result', async () => {
    const peer = await startPeer({ kind: 'honest', knows: knownEndpoints(40) })
    const streamed: LearnedAddress[] = []
    const r = await bitcoinAdapter.runSession(peer.endpoint, { ...options(), onLearned: (batch) => { streamed.push(...batch) } })
    assert.equal(r.gotAddressAnswer, true)
    assert.deepEqual(r.learned, [])
    assert.deepEqual(streamed.map((a) => a.endpoint), knownEndpoints(40))
    assert.equal(streamed[0].services, '1033')
  })

  it('a peer that sends only its own address: waits on until the ask-for-peers timeout', async () => {
    const endpoint = await startHandshakingServer((socket) => {
      socket.write(encodeFrame(regtest.magic, { command: 'addr', addresses: [{ time: 1, services: 1n, type: 'ipv4', host: '127.0.0.1', port: 18444 }] }))
    })
    const r = await bitcoinAdapter.runSession(endpoint, options({ timeouts: { askPeersMs: 300 } }))
    assert.equal(r.ok, true)
    assert.equal(r.gotAddressAnswer, false)
    assert.equal(r.answer, undefined)
    assert.equal(r.learned.length, 1)
  })

  it('refused: nothing listens', async () => {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    await new Promise((resolve) => server.close(resolve))
    const r = await bitcoinAdapter.runSession({ host: '127.0.0.1', port, type: 'ipv4' }, options())
    assert.equal(r.ok, false)
    assert.equal(r.reason, 'refused')
    assert.equal(r.connectMs, undefined)
  })

  it('silent: handshake-timeout', async () => {
    const peer = await startPeer({ kind: 'silent' })
    const r = await bitcoinAdapter.runSession(peer.endpoint, options({ timeouts: { handshakeMs: 200 } }))
    assert.equal(r.reason, 'handshake-timeout')
    assert.equal(typeof r.connectMs, 'number')
  })

  it('wrong-network: another magic', async () => {
    const peer = await startPeer({ kind: 'wrong-network' })
    const r = await bitcoinAdapter.runSession(peer.endpoint, options())
    assert.equal(r.reason, 'wrong-network')
    assert.match(r.detail ?? '', /bad-magic/)
  })

  it('close-immediately: closed', async () => {
    const peer = await startPeer({ kind: 'close-immediately' })
    const r = await bitcoinAdapter.runSession(peer.endpoint, options())
    assert.equal(r.reason, 'closed')
  })

  it('a connection reset before the handshake: reset', async () => {
    const endpoint = await startServer((socket) => { socket.once('data', () => socket.resetAndDestroy()) })
    const r = await bitcoinAdapter.runSession(endpoint, options())
    assert.equal(r.reason, 'reset')
  })

  it('a frame larger than maxBufferedBytes: session-limit', async () => {
    const big: BitcoinMessage = { command: 'other', name: 'junk', payload: new Uint8Array(5000) }
    const endpoint = await startServer((socket) => { socket.on('error', () => {}).once('data', () => socket.write(encodeFrame(regtest.magic, big))) })
    const r = await bitcoinAdapter.runSession(endpoint, options({ limits: { maxBufferedBytes: 1000 } }))
    assert.equal(r.reason, 'session-limit')
    assert.match(r.detail ?? '', /buffer-limit/)
  })

  it('maxSessionMs caps the whole session', async () => {
    const peer = await startPeer({ kind: 'silent' })
    const r = await bitcoinAdapter.runSession(peer.endpoint, options({ limits: { maxSessionMs: 150 } }))
    assert.equal(r.reason, 'session-limit')
  })

  it('says goodbye with a FIN after a good session', async () => {
    const seen: string[] = []
    let closed!: () => void
    const serverClosed = new Promise<void>((resolve) => { closed = resolve })
    // A minimal Core: version+verack back, then a 20-entry addr on getaddr.
    const endpoint = await startServer((socket) => {
      const parser = new FrameParser(regtest.magic)
      const send = (m: BitcoinMessage): void => { socket.write(encodeFrame(regtest.magic, m)) }
      socket.on('data', (chunk) => {
        for (const f of parser.push(chunk)) {
          if (f.kind !== 'message') continue
          seen.push(f.message.command)
          if (f.message.command === 'version') {
            send({ command: 'version', payload: { ...f.message.payload, nonce: 5n } })
            send({ command: 'verack' })
          }
          if (f.message.command === 'getaddr') {
            send({ command: 'addr', addresses: knownEndpoints(20).map((e) => ({ ...e, time: 1, services: 1n })) })
          }
        }
      })
      socket.on('end', () => seen.push('FIN'))
      socket.on('close', () => closed())
    })
    const r = await bitcoinAdapter.runSession(endpoint, options())
    assert.equal(r.ok, true)
    assert.equal(r.gotAddressAnswer, true)
    await serverClosed
    assert.deepEqual(seen, ['version', 'sendaddrv2', 'wtxidrelay', 'verack', 'getaddr', 'FIN'])
  })
})

describe('runSession cancellation and guards', () => {
  it('an aborted signal: cancelled without dialing', async () => {
    let connections = 0
    const endpoint = await startServer(() => { connections++ })
    const controller = new AbortController()
    controller.abort()
    const r = await bitcoinAdapter.runSession(endpoint, options({ signal: controller.signal }))
    assert.equal(r.reason, 'cancelled')
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(connections, 0)
  })

  it('abort before the handshake: cancelled, promptly', async () => {
    const peer = await startPeer({ kind: 'silent' })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const started = Date.now()
    const r = await bitcoinAdapter.runSession(peer.endpoint, options({ signal: controller.signal, timeouts: { handshakeMs: 5000 } }))
    assert.equal(r.reason, 'cancelled')
    assert.ok(Date.now() - started < 1000)
  })

  it('abort after the handshake: ok with what was collected', async () => {
    // Old Core's self-announcement, then nothing: the session is still waiting when aborted.
    const endpoint = await startHandshakingServer((socket) => {
      socket.write(encodeFrame(regtest.magic, { command: 'addr', addresses: [{ time: 1, services: 1n, type: 'ipv4', host: '127.0.0.1', port: 18444 }] }))
    })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    const r = await bitcoinAdapter.runSession(endpoint, options({ signal: controller.signal, timeouts: { askPeersMs: 5000 } }))
    assert.equal(r.ok, true)
    assert.equal(r.gotAddressAnswer, false)
    assert.equal(r.learned.length, 1)
    assert.match(r.detail ?? '', /cancelled/)
  })

  it('refuses to dial outside loopback under PEERS_LOOPBACK_ONLY, and never resolves names', async () => {
    assert.equal(process.env.PEERS_LOOPBACK_ONLY, '1')
    const forbidden = await bitcoinAdapter.runSession({ host: '192.0.2.1', port: 8333, type: 'ipv4' }, options())
    assert.equal(forbidden.reason, 'error')
    assert.match(forbidden.detail ?? '', /PEERS_DIAL_FORBIDDEN/)
    const name = await bitcoinAdapter.runSession({ host: 'localhost', port: 8333, type: 'ipv4' }, options())
    assert.equal(name.reason, 'error')
    assert.match(name.detail ?? '', /not an IP address/)
  })

  it('turns what cannot be dialed or encoded into results, not exceptions', async () => {
    const badPort = await bitcoinAdapter.runSession({ host: '127.0.0.1', port: 70_000, type: 'ipv4' }, options())
    assert.equal(badPort.reason, 'error')
    assert.match(badPort.detail ?? '', /port/i)
    const peer = await startPeer({ kind: 'silent' })
    const longAgent = await bitcoinAdapter.runSession(peer.endpoint, { ...options(), userAgent: `/${'x'.repeat(300)}/` })
    assert.equal(longAgent.reason, 'error')
    assert.match(longAgent.detail ?? '', /user agent/)
  })

  it('many sessions share one signal without warnings', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error): void => { warnings.push(w) }
    process.on('warning', onWarning)
    const peer = await startPeer({ kind: 'honest', knows: knownEndpoints(11) })
    const signal = new AbortController().signal
    const results = await Promise.all(Array.from({ length: 50 }, () => bitcoinAdapter.runSession(peer.endpoint, options({ signal }))))
    process.off('warning', onWarning)
    assert.equal(results.filter((r) => r.ok && r.gotAddressAnswer === true).length, 50)
    assert.deepEqual(warnings.map((w) => w.name), [])
  })

  it('maps socket errors to failure reasons', () => {
    assert.equal(socketFailure('ECONNREFUSED', true), 'refused')
    assert.equal(socketFailure('ETIMEDOUT', true), 'connect-timeout')
    assert.equal(socketFailure('EHOSTUNREACH', true), 'unreachable')
    assert.equal(socketFailure('ENETUNREACH', true), 'unreachable')
    assert.equal(socketFailure('ECONNRESET', false), 'reset')
    assert.equal(socketFailure('EWHATEVER', false), 'error')
  })
})
