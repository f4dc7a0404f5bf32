// The adapter compliance suite: what every adapter in the registry must do, checked
// against the adapter's own simulated peers on loopback. Nothing here names a chain.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Socket, createServer } from 'node:net'
import {
  FAILURE_REASONS, type Adapter, type Endpoint, type FailureReason, type Network, type SessionOptions, type SessionResult, type SimulatedBehaviour, type SimulatedPeer
} from '../../src/contract.js'
import { NotImplementedError, UsageError } from '../../src/errors.js'
import { silentLogger } from '../../src/contract.js'
import { startRelay, type Relay } from './relay.js'
import { waitFor } from '../helpers/wait.js'

/** Generous bounds: a peer that answers must not lose to a busy machine. */
const TIMEOUTS = { connectMs: 5000, handshakeMs: 5000, askPeersMs: 5000 }
/** The handshake timeout where ending at it is what a test checks. */
const SHORT_HANDSHAKE_MS = 400
const LIMITS = { maxBufferedBytes: 8 * 1024 * 1024, maxAddresses: 1000, maxSessionMs: 15_000 }
/** Scheduling and loopback latency on a busy machine: an upper bound only. */
const SLACK_MS = 5000

const ADDRESS_TYPES = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'yggdrasil']

function options (network: Network, overrides: Partial<SessionOptions> = {}): SessionOptions {
  return {
    network,
    timeouts: TIMEOUTS,
    limits: LIMITS,
    signal: new AbortController().signal,
    userAgent: '/peers-compliance:0.1.0/',
    ...overrides
  }
}

/** Documentation-range addresses: learned, never dialed. */
function knownEndpoints (network: Network): Endpoint[] {
  const port = network.defaultPort
  return [
    { host: '192.0.2.1', port, type: 'ipv4' },
    { host: '198.51.100.7', port, type: 'ipv4' },
    { host: '203.0.113.9', port: port === 65535 ? 1 : port + 1, type: 'ipv4' },
    { host: '2001:db8::1', port, type: 'ipv6' },
    { host: '2001:db8:1:2::abcd', port, type: 'ipv6' }
  ]
}

function assertWellFormed (result: SessionResult, dialed: Endpoint): void {
  assert.deepEqual(result.endpoint, dialed)
  assert.equal(typeof result.ok, 'boolean')
  assert.ok(Array.isArray(result.learned))
  assert.ok(Number.isInteger(result.addressesReceived) && result.addressesReceived >= result.learned.length)
  if (result.ok) {
    assert.equal(result.reason, undefined, 'an ok session has no failure reason')
  } else {
    assert.ok(FAILURE_REASONS.includes(result.reason as FailureReason), `reason '${result.reason}' is not one of FAILURE_REASONS`)
  }
  // Results are stored as JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result)
}

/** A loopback port where nothing listens. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export function adapterCompliance (adapter: Adapter): void {
  const simulation = adapter.simulation
  const simulated = simulation.adapter
  const defaultNetwork = adapter.networks.find((n) => n.name === adapter.defaultNetwork) ?? adapter.networks[0]

  describe(`adapter '${adapter.name}' compliance`, () => {
    describe('metadata', () => {
      it('has a name, description, status and dialable types', () => {
        assert.match(adapter.name, /^[a-z][a-z0-9-]*$/)
        assert.ok(adapter.description.trim().length > 0)
        assert.ok(['complete', 'stub'].includes(adapter.status))
        assert.ok(adapter.dialableTypes.length > 0)
        for (const t of adapter.dialableTypes) assert.ok(ADDRESS_TYPES.includes(t), `unknown address type ${t}`)
      })

      it('lists networks with unique ids and names and valid ports', () => {
        assert.ok(adapter.networks.length > 0)
        assert.equal(new Set(adapter.networks.map((n) => n.id)).size, adapter.networks.length, 'network ids repeat')
        assert.equal(new Set(adapter.networks.map((n) => n.name)).size, adapter.networks.length, 'network names repeat')
        for (const n of adapter.networks) {
          assert.match(n.id, /^[a-z0-9][a-z0-9-]*$/)
          assert.match(n.name, /^[a-z0-9][a-z0-9-]*$/)
          assert.ok(Number.isInteger(n.defaultPort) && n.defaultPort >= 1 && n.defaultPort <= 65535, `${n.id}: bad port ${n.defaultPort}`)
          assert.ok(n.description.trim().length > 0)
        }
      })

      it('names an existing default network', () => {
        assert.ok(adapter.networks.some((n) => n.name === adapter.defaultNetwork), `defaultNetwork '${adapter.defaultNetwork}' is not a network name`)
      })

      it('has a simulation adapter for the same networks', () => {
        assert.equal(simulated.name, adapter.name)
        assert.deepEqual(simulated.networks.map((n) => n.id), adapter.networks.map((n) => n.id))
        if (adapter.status === 'complete') assert.doesNotThrow(() => adapter.assertCrawlable(defaultNetwork))
      })

      if (adapter.status === 'stub') {
        it('stub: refuses real crawls with one NotImplementedError line; its sessions say not-implemented without dialing', async () => {
          for (const network of adapter.networks) {
            assert.throws(() => adapter.assertCrawlable(network), (err: unknown) => err instanceof NotImplementedError && err.message.length > 0 && !err.message.includes('\n'))
          }
          // Nothing listens there: a dial would come back 'refused'.
          const endpoint: Endpoint = { host: '127.0.0.1', port: await closedPort(), type: 'ipv4' }
          const result = await adapter.runSession(endpoint, options(defaultNetwork))
          assertWellFormed(result, endpoint)
          assert.equal(result.reason, 'not-implemented', result.detail)
          assert.ok((result.detail ?? '').length > 0 && !(result.detail ?? '').includes('\n'), 'the detail is one line')
        })
      }
    })

    describe('endpoints', () => {
      for (const network of adapter.networks) {
        it(`${network.name}: parses host:port, [ipv6]:port and bare hosts`, () => {
          assert.deepEqual(adapter.parseEndpoint('127.0.0.1:18001', network), { host: '127.0.0.1', port: 18001, type: 'ipv4' })
          assert.deepEqual(adapter.parseEndpoint('[::1]:18002', network), { host: '::1', port: 18002, type: 'ipv6' })
          assert.deepEqual(adapter.parseEndpoint('127.0.0.1', network), { host: '127.0.0.1', port: network.defaultPort, type: 'ipv4' })
          assert.deepEqual(adapter.parseEndpoint('[2001:DB8:0:0::1]', network), { host: '2001:db8::1', port: network.defaultPort, type: 'ipv6' })
        })
      }

      for (const garbage of ['', '   ', 'not an address', '127.0.0.1:99999', '127.0.0.1:0', '127.0.0.1:port', '[::1', '[::1]:', '1.2.3.4.5:80', '::1::2:80']) {
        it(`rejects ${JSON.stringify(garbage)} with a UsageError`, () => {
          assert.throws(() => adapter.parseEndpoint(garbage, defaultNetwork), UsageError)
        })
      }

      it('keys equal endpoints equally and different ports differently', () => {
        const a = adapter.parseEndpoint('[::1]:18001', defaultNetwork)
        const b = adapter.parseEndpoint('[0:0:0:0:0:0:0:1]:18001', defaultNetwork)
        const c = adapter.parseEndpoint('[::1]:18002', defaultNetwork)
        assert.equal(adapter.key(a), adapter.key(b))
        assert.notEqual(adapter.key(a), adapter.key(c))
        assert.equal(adapter.key({ host: '127.0.0.1', port: 1, type: 'ipv4' }), adapter.key({ host: '127.0.0.1', port: 1, type: 'ipv4' }))
        assert.notEqual(adapter.key({ host: '127.0.0.1', port: 1, type: 'ipv4' }), adapter.key({ host: '127.0.0.2', port: 1, type: 'ipv4' }))
      })
    })

    describe('bootstrap', () => {
      for (const network of adapter.networks) {
        it(`${network.name}: resolves offline (DNS forbidden) and never dials`, async () => {
          assert.equal(process.env.PEERS_LOOPBACK_ONLY, '1', 'the suite must run with PEERS_LOOPBACK_ONLY=1')
          const dials: unknown[] = []
          const realConnect = Socket.prototype.connect
          Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
            dials.push(args[0])
            return (realConnect as (...a: unknown[]) => Socket).apply(this, args)
          } as typeof Socket.prototype.connect
          let seeds: Endpoint[]
          try {
            seeds = await adapter.bootstrap(network, { signal: new AbortController().signal, dnsTimeoutMs: 200, log: silentLogger })
          } finally {
            Socket.prototype.connect = realConnect
          }
          assert.deepEqual(dials, [], 'bootstrap opened a socket')
          assert.ok(Array.isArray(seeds))
          for (const seed of seeds) {
            assert.ok(ADDRESS_TYPES.includes(seed.type), `seed ${seed.host} has type ${seed.type}`)
            // I2P (SAM 3.1) has no ports: Bitcoin Core records I2P addresses with port 0.
            const lowest = seed.type === 'i2p' ? 0 : 1
            assert.ok(Number.isInteger(seed.port) && seed.port >= lowest && seed.port <= 65535, `seed ${seed.host} has port ${seed.port}`)
            assert.ok(seed.host.length > 0, 'seed with an empty host')
          }
          assert.equal(new Set(seeds.map((s) => adapter.key(s))).size, seeds.length, 'bootstrap returned duplicates')
        })
      }
    })

    describe('sessions against simulated peers', () => {
      const peers: SimulatedPeer[] = []
      const relays: Relay[] = []

      async function viaRelay (network: Network, behaviour: SimulatedBehaviour): Promise<Relay> {
        const peer = await simulation.startPeer(network, behaviour)
        peers.push(peer)
        assert.ok(peer.endpoint.host.startsWith('127.'), 'simulated peers listen on 127.0.0.1')
        const relay = await startRelay(peer.endpoint)
        relays.push(relay)
        return relay
      }

      async function session (endpoint: Endpoint, opts: SessionOptions): Promise<{ result: SessionResult, ms: number }> {
        const started = performance.now()
        const result = await simulated.runSession(endpoint, opts)
        const ms = performance.now() - started
        assertWellFormed(result, endpoint)
        return { result, ms }
      }

      async function assertSocketClosed (relay: Relay): Promise<void> {
        // The relay sees the connection (its accept may trail the session's own connect).
        await waitFor(() => relay.accepted >= 1, { what: 'the session to reach the relay', timeoutMs: SLACK_MS }).catch(() => {})
        assert.ok(relay.accepted >= 1, 'the session never connected')
        assert.ok(await relay.allClosedWithin(SLACK_MS), 'the session left its socket open')
      }

      before(() => { assert.equal(process.env.PEERS_LOOPBACK_ONLY, '1') })
      after(async () => {
        await Promise.all(relays.map((r) => r.close()))
        await Promise.all(peers.map((p) => p.close()))
      })

      for (const network of adapter.networks) {
        it(`${network.name}: honest peer → ok, peer info, learned = exactly what it knows`, async () => {
          const knows = knownEndpoints(network)
          const relay = await viaRelay(network, { kind: 'honest', knows })
          const { result } = await session(relay.endpoint, options(network))
          assert.equal(result.ok, true, `expected ok, got ${result.reason}: ${result.detail}`)
          assert.ok(result.peer !== undefined, 'no peer info')
          assert.ok(typeof result.handshakeMs === 'number' && result.handshakeMs >= 0)
          assert.ok(typeof result.connectMs === 'number' && result.connectMs >= 0)
          const learned = result.learned.map((l) => adapter.key(l.endpoint)).sort()
          assert.deepEqual(learned, knows.map((k) => adapter.key(k)).sort())
          // An honest peer's answer is recognised as the answer (not waited out as gossip, #10).
          assert.equal(result.gotAddressAnswer, true, 'the honest peer\'s answer was not recognised')
          assert.ok(result.answer !== undefined, 'gotAddressAnswer without `answer`')
          // Some protocols answer in rounds (AVAX's PeerList): the first answer may hold only part of what the peer knows.
          assert.ok(result.answer.entries >= 1 && result.answer.entries <= knows.length, `answer of ${result.answer.entries} entries, the peer knows ${knows.length}`)
          assert.ok(Number.isInteger(result.answer.afterMs) && result.answer.afterMs >= 0 && result.answer.afterMs < TIMEOUTS.askPeersMs)
          // The engine deduplicates by a supplied key without recomputing it: it must be the adapter's key.
          for (const l of result.learned) {
            if (l.key !== undefined) assert.equal(l.key, adapter.key(l.endpoint), 'a learned address carries a key other than adapter.key(endpoint)')
          }
          await assertSocketClosed(relay)
        })

        it(`${network.name}: peer on another network → 'wrong-network'`, async () => {
          const relay = await viaRelay(network, { kind: 'wrong-network' })
          const { result } = await session(relay.endpoint, options(network))
          assert.equal(result.ok, false)
          assert.equal(result.reason, 'wrong-network', result.detail)
          await assertSocketClosed(relay)
        })
      }

      it('honours limits.maxAddresses', async () => {
        const knows = knownEndpoints(defaultNetwork)
        const relay = await viaRelay(defaultNetwork, { kind: 'honest', knows })
        const { result } = await session(relay.endpoint, options(defaultNetwork, { limits: { ...LIMITS, maxAddresses: 2 } }))
        assert.equal(result.ok, true, `${result.reason}: ${result.detail}`)
        // The peer knows 5: exactly 2 are kept (an adapter may stop asking once it is full).
        assert.equal(result.learned.length, 2, `kept ${result.learned.length} addresses`)
        assert.equal(result.gotAddressAnswer, true)
        assert.ok(result.addressesReceived > 2, `counted only ${result.addressesReceived} addresses: the cap was not exercised`)
        await assertSocketClosed(relay)
      })

      it(`silent peer → 'handshake-timeout' within the timeout`, async () => {
        const relay = await viaRelay(defaultNetwork, { kind: 'silent' })
        const { result, ms } = await session(relay.endpoint, options(defaultNetwork, { timeouts: { ...TIMEOUTS, handshakeMs: SHORT_HANDSHAKE_MS } }))
        assert.equal(result.reason, 'handshake-timeout', result.detail)
        assert.ok(ms >= SHORT_HANDSHAKE_MS - 20, `gave up after ${ms} ms, before the timeout`)
        assert.ok(ms <= SHORT_HANDSHAKE_MS + SLACK_MS, `took ${ms} ms`)
        await assertSocketClosed(relay)
      })

      it(`peer that closes at once → 'closed' or 'reset'`, async () => {
        const relay = await viaRelay(defaultNetwork, { kind: 'close-immediately' })
        const { result, ms } = await session(relay.endpoint, options(defaultNetwork))
        assert.ok(result.reason === 'closed' || result.reason === 'reset', `got ${result.reason}: ${result.detail}`)
        assert.ok(ms < TIMEOUTS.handshakeMs, `took ${ms} ms: the close was not noticed`)
        await assertSocketClosed(relay)
      })

      it(`nothing listening → 'refused'`, async () => {
        const endpoint: Endpoint = { host: '127.0.0.1', port: await closedPort(), type: 'ipv4' }
        const { result } = await session(endpoint, options(defaultNetwork))
        assert.equal(result.reason, 'refused', result.detail)
      })

      it(`abort mid-handshake → ends promptly with 'cancelled'`, async () => {
        const relay = await viaRelay(defaultNetwork, { kind: 'silent' })
        const controller = new AbortController()
        const slow = { ...TIMEOUTS, handshakeMs: 60_000 }
        setTimeout(() => controller.abort(), 150)
        const { result, ms } = await session(relay.endpoint, options(defaultNetwork, { timeouts: slow, signal: controller.signal }))
        assert.equal(result.reason, 'cancelled', result.detail)
        assert.ok(ms <= 150 + SLACK_MS, `took ${ms} ms after the abort`)
        await assertSocketClosed(relay)
      })

      it('abort before the session starts → cancelled, nothing left open', async () => {
        const relay = await viaRelay(defaultNetwork, { kind: 'honest', knows: [] })
        const controller = new AbortController()
        controller.abort()
        const { result } = await session(relay.endpoint, options(defaultNetwork, { signal: controller.signal }))
        assert.equal(result.ok, false)
        assert.equal(result.reason, 'cancelled', result.detail)
        assert.ok(await relay.allClosedWithin(SLACK_MS))
      })

      it('abort during the address exchange → ok with what was collected (or cancelled), promptly', async () => {
        const knows = knownEndpoints(defaultNetwork)
        const relay = await viaRelay(defaultNetwork, { kind: 'honest', knows })
        const controller = new AbortController()
        const slow = { ...TIMEOUTS, askPeersMs: 60_000 }
        const pending = session(relay.endpoint, options(defaultNetwork, { timeouts: slow, signal: controller.signal }))
        setTimeout(() => controller.abort(), 300)
        const { result, ms } = await pending
        // Either the session finished before the abort, or the abort ended it.
        assert.ok(result.ok || result.reason === 'cancelled', `${result.reason}: ${result.detail}`)
        assert.ok(ms <= 300 + SLACK_MS, `took ${ms} ms`)
        await assertSocketClosed(relay)
      })
    })
  })
}
