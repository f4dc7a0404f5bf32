import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import type { Endpoint, SessionOptions } from '../src/contract.js'
import { NotImplementedError } from '../src/errors.js'
import { silentLogger } from '../src/contract.js'
import { avaxAdapter } from '../adapters/avax/index.js'
import { FUJI, MAINNET } from '../adapters/avax/params.js'
import { ipBytesFromHost } from '../adapters/avax/addresses.js'
import { onionFromPubkey } from '../src/net/ip.js'
import { BloomFilter, bloomHash, optimalParameters } from '../adapters/avax/bloom.js'
import { FrameDecoder, encodeFrame } from '../adapters/avax/framing.js'
import { formatNodeId, gossipId, nodeIdFromCertificate } from '../adapters/avax/ids.js'
import { decodeMessage, emptyHandshake, encodeMessage, type AvaxMessage, type ClaimedIpPort } from '../adapters/avax/messages.js'
import { AvaxSessionMachine, BLOOM_FALSE_POSITIVE_RATE, MAX_KNOWN_GOSSIP_IDS, MAX_ROUNDS, type SessionAction } from '../adapters/avax/session-machine.js'
import { TLS_NOT_IMPLEMENTED } from '../adapters/avax/transport.js'

process.env.PEERS_LOOPBACK_ONLY = '1'

const NOW = 1_732_000_000

function claim (host: string, port = 9651, certificate: Uint8Array = randomBytes(300), timestamp = BigInt(NOW)): ClaimedIpPort {
  return { x509Certificate: Uint8Array.from(certificate), ipAddr: ipBytesFromHost(host), ipPort: port, timestamp, signature: new Uint8Array(64), txId: new Uint8Array(32) }
}

function machine (overrides: Partial<ConstructorParameters<typeof AvaxSessionMachine>[0]> = {}): AvaxSessionMachine {
  return new AvaxSessionMachine({ networkId: 1, maxAddresses: 1000, userAgent: '/peers:0.1.0/', now: () => NOW, ...overrides })
}

const peerHandshake = (networkId = 1): AvaxMessage => ({
  type: 'handshake',
  handshake: { ...emptyHandshake(), networkId, myTime: BigInt(NOW + 3), ipAddr: ipBytesFromHost('203.0.113.1'), ipPort: 9651, client: { name: 'avalanchego', major: 1, minor: 13, patch: 2 }, supportedAcps: [23, 24] }
})
const peerList = (...claims: ClaimedIpPort[]): AvaxMessage => ({ type: 'peer-list', claimedIpPorts: claims })
const types = (actions: SessionAction[]): string[] => actions.map((a) => a.type === 'send' ? `send:${a.message.type}` : a.type)
function sentFilter (actions: SessionAction[]): { filter: BloomFilter, salt: Uint8Array } {
  const send = actions.find((a) => a.type === 'send' && a.message.type === 'get-peer-list')
  assert.ok(send !== undefined && send.type === 'send' && send.message.type === 'get-peer-list' && send.message.knownPeers !== undefined)
  return { filter: BloomFilter.parse(send.message.knownPeers.filter), salt: send.message.knownPeers.salt }
}

describe('avax session state machine (no sockets)', () => {
  it('opens with our Handshake', () => {
    const [action] = machine().start()
    assert.ok(action.type === 'send' && action.message.type === 'handshake')
    const h = action.message.handshake
    assert.equal(h.networkId, 1)
    assert.equal(h.myTime, BigInt(NOW))
    assert.deepEqual(h.client, { name: 'peers', major: 0, minor: 1, patch: 0 })
    assert.equal(h.allSubnets, true)
    assert.ok(h.knownPeers !== undefined)
    BloomFilter.parse(h.knownPeers.filter) // a filter AvalancheGo can parse, even with nothing in it
  })

  it('walks Handshake → PeerList → GetPeerList rounds → done', () => {
    const m = machine()
    m.start()
    assert.deepEqual(types(m.receive(peerHandshake())), ['send:peer-list'])
    assert.equal(m.state, 'awaiting-peer-list')
    const first = [claim('192.0.2.1'), claim('192.0.2.2')]
    const afterFirst = m.receive(peerList(...first))
    assert.deepEqual(types(afterFirst), ['handshake-complete', 'send:get-peer-list', 'await-peer-list'])
    // The filter we send holds what we were told, so the peer can skip it.
    const { filter, salt } = sentFilter(afterFirst)
    for (const c of first) assert.ok(filter.contains(bloomHash(gossipId(nodeIdFromCertificate(c.x509Certificate), c.timestamp), salt)))
    assert.deepEqual(types(m.receive(peerList(claim('2001:db8::5')))), ['send:get-peer-list', 'await-peer-list'])
    assert.deepEqual(types(m.receive(peerList())), ['done'])
    assert.equal(m.state, 'done')
    assert.equal(m.gotAddressAnswer, true)
    assert.deepEqual(m.learned.map((l) => l.endpoint.host), ['192.0.2.1', '192.0.2.2', '2001:db8::5'])
    assert.equal(m.learned[0].time, NOW)
    assert.equal(m.peer?.userAgent, 'avalanchego/1.13.2')
    assert.deepEqual(m.peer?.extra, { networkId: 1, clockSkewSeconds: 3, trackedSubnets: 0, allSubnets: false, claimedIp: '203.0.113.1:9651', supportedAcps: '23,24' })
    assert.deepEqual(m.receive(peerList(claim('192.0.2.9'))), [], 'nothing after done')
  })

  it('stops when a round brings nothing new', () => {
    const m = machine()
    m.receive(peerHandshake())
    const same = claim('192.0.2.1')
    m.receive(peerList(same))
    assert.deepEqual(types(m.receive(peerList(same))), ['done'])
    assert.equal(m.learned.length, 1)
    assert.equal(m.addressesReceived, 2)
  })

  it("fails 'wrong-network' on another network id", () => {
    const m = machine({ networkId: 5 })
    assert.deepEqual(m.receive(peerHandshake(1)), [{ type: 'fail', reason: 'wrong-network', detail: 'peer is on network id 1, expected 5' }])
  })

  it("fails 'protocol-error' on a PeerList before the Handshake, or a second Handshake", () => {
    assert.equal((machine().receive(peerList()) as Array<{ reason?: string }>)[0].reason, 'protocol-error')
    const m = machine()
    m.receive(peerHandshake())
    assert.equal((m.receive(peerHandshake()) as Array<{ reason?: string }>)[0].reason, 'protocol-error')
  })

  it('answers Ping and GetPeerList only once the handshake is done', () => {
    const m = machine()
    assert.deepEqual(m.receive({ type: 'ping', uptime: 1 }), [])
    assert.deepEqual(m.receive({ type: 'get-peer-list', allSubnets: true }), [])
    m.receive(peerHandshake())
    m.receive(peerList())
    assert.deepEqual(types(m.receive({ type: 'ping', uptime: 1 })), ['send:pong'])
    assert.deepEqual(m.receive({ type: 'get-peer-list', allSubnets: true }), [{ type: 'send', message: { type: 'peer-list', claimedIpPorts: [] } }])
    assert.deepEqual(m.receive({ type: 'other', field: 26 }), [])
  })

  it('keeps at most maxAddresses, counts the rest, and stops', () => {
    const m = machine({ maxAddresses: 2 })
    m.receive(peerHandshake())
    m.receive(peerList(claim('192.0.2.1'), claim('192.0.2.2'), claim('192.0.2.3')))
    assert.equal(m.learned.length, 2)
    assert.deepEqual(types(m.receive(peerList(claim('192.0.2.4')))), ['done'])
    assert.equal(m.addressesReceived, 4)
  })

  it(`remembers at most ${MAX_KNOWN_GOSSIP_IDS} gossip ids for its known-peers filter`, () => {
    const m = machine()
    m.receive(peerHandshake())
    // One endpoint, ever-new certificates: nothing new is learned, but every claim has a gossip id.
    const claims = Array.from({ length: MAX_KNOWN_GOSSIP_IDS + 50 }, (_, i) => claim('192.0.2.1', 9651, Uint8Array.of(i >> 16, (i >> 8) & 255, i & 255)))
    const actions = m.receive(peerList(...claims))
    assert.equal(m.addressesReceived, claims.length)
    const { filter, salt } = sentFilter(actions)
    assert.equal(filter.entries.length, optimalParameters(MAX_KNOWN_GOSSIP_IDS, BLOOM_FALSE_POSITIVE_RATE).numEntries)
    const idOf = (c: ClaimedIpPort): Uint8Array => gossipId(nodeIdFromCertificate(c.x509Certificate), c.timestamp)
    assert.ok(filter.contains(bloomHash(idOf(claims[0]), salt)))
    assert.ok(filter.contains(bloomHash(idOf(claims[MAX_KNOWN_GOSSIP_IDS - 1]), salt)))
  })

  it('skips claims with unusable addresses but counts them', () => {
    const m = machine()
    m.receive(peerHandshake())
    const bad = { ...claim('192.0.2.1'), ipAddr: new Uint8Array(7) }
    const noPort = { ...claim('192.0.2.2'), ipPort: 0 }
    m.receive(peerList(bad, noPort, claim('192.0.2.3')))
    assert.deepEqual(m.learned.map((l) => l.endpoint.host), ['192.0.2.3'])
    assert.equal(m.addressesReceived, 3)
  })

  it(`gives up after ${MAX_ROUNDS} rounds of ever-new peers`, () => {
    const m = machine()
    m.receive(peerHandshake())
    m.receive(peerList(claim('10.0.0.1')))
    let actions: SessionAction[] = []
    let i = 0
    while (m.state !== 'done') actions = m.receive(peerList(claim(`10.1.${(++i) >> 8}.${i & 255}`, 9651)))
    assert.deepEqual(types(actions), ['done'])
    assert.equal(m.rounds, MAX_ROUNDS)
  })

  it('ends on the ask-for-peers timeout (askPeersMs) only while gossiping', () => {
    const m = machine()
    assert.deepEqual(m.askPeersTimeout(), [])
    m.receive(peerHandshake())
    m.receive(peerList())
    assert.deepEqual(m.askPeersTimeout(), [{ type: 'done' }])
    assert.equal(m.gotAddressAnswer, false)
  })

  it('records the node id when the transport authenticated a certificate', () => {
    const certificate = randomBytes(500)
    const m = machine({ peerCertificate: certificate })
    m.receive(peerHandshake())
    assert.equal(m.peer?.extra?.nodeId, formatNodeId(nodeIdFromCertificate(certificate)))
    assert.match(String(m.peer?.extra?.nodeId), /^NodeID-[1-9A-HJ-NP-Za-km-z]+$/)
  })

  it('sanitises the peer-chosen client name', () => {
    const m = machine()
    const h = peerHandshake()
    assert.ok(h.type === 'handshake')
    h.handshake.client = { name: 'evil\u001b[31m\nname', major: 1, minor: 2, patch: 3 }
    m.receive(h)
    assert.equal(m.peer?.userAgent, 'evil?[31m?name/1.2.3')
  })
})

/** A loopback server that runs `script` for each connection, with decoded messages. */
async function scriptedPeer (script: (socket: Socket, send: (m: AvaxMessage) => void, received: (m: AvaxMessage) => void) => void, onMessage?: (m: AvaxMessage, send: (m: AvaxMessage) => void) => void): Promise<{ endpoint: Endpoint, server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    const send = (m: AvaxMessage): void => { socket.write(encodeFrame(encodeMessage(m))) }
    const decoder = new FrameDecoder()
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) onMessage?.(decodeMessage(frame), send)
    })
    script(socket, send, () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  return { endpoint: { host: '127.0.0.1', port: address.port, type: 'ipv4' }, server }
}

function sessionOptions (overrides: Partial<SessionOptions> = {}): SessionOptions {
  return {
    network: MAINNET.network,
    timeouts: { connectMs: 500, handshakeMs: 500, askPeersMs: 300 },
    limits: { maxBufferedBytes: 4 * 1024 * 1024, maxAddresses: 1000, maxSessionMs: 5000 },
    signal: new AbortController().signal,
    userAgent: '/peers:0.1.0/',
    ...overrides
  }
}

describe('avax adapter over loopback', () => {
  const servers: Server[] = []
  after(() => { for (const s of servers) s.close() })
  const simulated = avaxAdapter.simulation.adapter

  it('is a stub: refuses real crawls with one clear line and never dials', async () => {
    assert.equal(avaxAdapter.status, 'stub')
    assert.throws(() => avaxAdapter.assertCrawlable(MAINNET.network), (err: unknown) => err instanceof NotImplementedError && err.message === TLS_NOT_IMPLEMENTED)
    assert.doesNotThrow(() => simulated.assertCrawlable(MAINNET.network))
    const result = await avaxAdapter.runSession({ host: '127.0.0.1', port: 9, type: 'ipv4' }, sessionOptions())
    assert.equal(result.ok, false)
    assert.equal(result.reason, 'not-implemented')
  })

  it('declares mainnet (id 1) and fuji (id 5) on port 9651', () => {
    assert.deepEqual(avaxAdapter.networks.map((n) => [n.id, n.name, n.defaultPort]), [['avax-mainnet', 'mainnet', 9651], ['avax-fuji', 'fuji', 9651]])
    assert.equal(MAINNET.networkId, 1)
    assert.equal(FUJI.networkId, 5)
    assert.deepEqual(avaxAdapter.dialableTypes, ['ipv4', 'ipv6'])
    assert.throws(() => avaxAdapter.parseEndpoint(onionFromPubkey(new Uint8Array(32)), MAINNET.network), /not an IP address/)
  })

  it('bootstraps from the genesis bootstrappers without DNS', async () => {
    for (const params of [MAINNET, FUJI]) {
      const seeds = await avaxAdapter.bootstrap(params.network, { signal: new AbortController().signal, dnsTimeoutMs: 100, log: silentLogger })
      assert.equal(seeds.length, params.bootstrappers.length)
      assert.ok(seeds.length >= 5)
      for (const s of seeds) assert.ok(s.type === 'ipv4' && s.port === 9651)
    }
  })

  it('never dials outside loopback under PEERS_LOOPBACK_ONLY=1', async () => {
    const result = await simulated.runSession({ host: '192.0.2.1', port: 9651, type: 'ipv4' }, sessionOptions())
    assert.equal(result.ok, false)
    assert.equal(result.reason, 'error')
    assert.match(result.detail ?? '', /PEERS_LOOPBACK_ONLY/)
  })

  it('a peer that stops answering GetPeerList: ok after the ask-for-peers timeout, gotAddressAnswer false', async () => {
    const { endpoint, server } = await scriptedPeer((_s, send) => send(peerHandshake()), (m, send) => {
      if (m.type === 'handshake') send(peerList(claim('192.0.2.1')))
    })
    servers.push(server)
    const started = performance.now()
    const result = await simulated.runSession(endpoint, sessionOptions())
    assert.equal(result.ok, true, result.detail)
    assert.equal(result.gotAddressAnswer, false)
    assert.deepEqual(result.learned.map((l) => l.endpoint.host), ['192.0.2.1'])
    assert.ok(performance.now() - started < 300 + 500)
  })

  it('abort after the handshake: ok with what was collected', async () => {
    const { endpoint, server } = await scriptedPeer((_s, send) => send(peerHandshake()), (m, send) => {
      if (m.type === 'handshake') send(peerList(claim('192.0.2.1'), claim('192.0.2.2')))
    })
    servers.push(server)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 150)
    const started = performance.now()
    const result = await simulated.runSession(endpoint, sessionOptions({ signal: controller.signal, timeouts: { connectMs: 500, handshakeMs: 500, askPeersMs: 10_000 } }))
    assert.equal(result.ok, true)
    assert.equal(result.learned.length, 2)
    assert.match(result.detail ?? '', /^cancelled/)
    assert.ok(performance.now() - started < 150 + 400)
  })

  it("an oversized frame ends the session: 'protocol-error'", async () => {
    const { endpoint, server } = await scriptedPeer((socket) => { socket.write(Uint8Array.of(0x7f, 0xff, 0xff, 0xff)) })
    servers.push(server)
    const result = await simulated.runSession(endpoint, sessionOptions())
    assert.equal(result.reason, 'protocol-error')
    assert.match(result.detail ?? '', /maximum/)
  })

  it("a frame above maxBufferedBytes: 'session-limit'", async () => {
    const { endpoint, server } = await scriptedPeer((socket) => { socket.write(Uint8Array.of(0, 0x01, 0, 0)) })
    servers.push(server)
    const result = await simulated.runSession(endpoint, sessionOptions({ limits: { maxBufferedBytes: 1024, maxAddresses: 10, maxSessionMs: 5000 } }))
    assert.equal(result.reason, 'session-limit')
  })

  it('drops malformed messages and carries on, up to a limit', async () => {
    const garbage = encodeFrame(Uint8Array.of(0x6a, 0x05, 0x08))
    const { endpoint, server } = await scriptedPeer((socket, send) => {
      socket.write(garbage)
      send(peerHandshake())
    }, (m, send) => { if (m.type === 'handshake') send(peerList()) })
    servers.push(server)
    assert.equal((await simulated.runSession(endpoint, sessionOptions())).ok, true)
    const flood = await scriptedPeer((socket) => { for (let i = 0; i < 20; i++) socket.write(garbage) })
    servers.push(flood.server)
    const result = await simulated.runSession(flood.endpoint, sessionOptions())
    assert.equal(result.reason, 'protocol-error')
  })

  it("a peer that keeps talking past maxSessionMs: 'session-limit'", async () => {
    const { endpoint, server } = await scriptedPeer((_s, send) => {
      const timer = setInterval(() => send({ type: 'ping', uptime: 1 }), 20)
      _s.on('close', () => clearInterval(timer))
    })
    servers.push(server)
    const result = await simulated.runSession(endpoint, sessionOptions({ limits: { maxBufferedBytes: 1024, maxAddresses: 10, maxSessionMs: 200 }, timeouts: { connectMs: 500, handshakeMs: 5000, askPeersMs: 300 } }))
    assert.equal(result.reason, 'session-limit')
  })

  it('the simulated honest peer answers only what the bloom filter does not hold', async () => {
    const knows: Endpoint[] = Array.from({ length: 7 }, (_, i) => ({ host: `198.51.100.${i + 1}`, port: 9651, type: 'ipv4' }))
    const peer = await avaxAdapter.simulation.startPeer(FUJI.network, { kind: 'honest', knows })
    try {
      const result = await simulated.runSession(peer.endpoint, sessionOptions({ network: FUJI.network }))
      assert.equal(result.ok, true, result.detail)
      assert.equal(result.gotAddressAnswer, true)
      assert.equal(result.learned.length, 7)
      assert.equal(result.addressesReceived, 7, 'no claim was sent twice')
      assert.equal(result.peer?.userAgent, 'simulated-avalanchego/1.0.0')
    } finally {
      await peer.close()
    }
  })
})
