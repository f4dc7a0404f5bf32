// The simulated network: Core-like node behaviour on the wire, topology, and a crawl of a
// small simnet whose result must equal truth().
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { describe, it } from 'node:test'
import type { Endpoint, SessionOptions, SessionResult } from '../../src/contract.js'
import { bitcoinAdapter } from '../../adapters/bitcoin/index.js'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'
import { Simnet, silent, type NodeBehaviour } from '../../adapters/bitcoin/simnet/index.js'
import { encodeFrame, FrameParser, type BitcoinMessage } from '../../adapters/bitcoin/wire/index.js'
import { waitFor } from '../helpers/wait.js'

const regtest = BITCOIN_NETWORKS.find((n) => n.id === 'regtest')!
const key = bitcoinAdapter.key

function options (signal = new AbortController().signal): SessionOptions {
  return {
    network: regtest,
    // Generous: eight engineers' tests share two cores, and a late timer is not what these tests are about.
    timeouts: { connectMs: 2000, handshakeMs: 2000, askPeersMs: 2000 },
    limits: { maxBufferedBytes: 5_000_000, maxAddresses: 10_000, maxSessionMs: 10_000 },
    signal,
    userAgent: '/peers-test:0.1.0/'
  }
}

/** A breadth-first crawl with bounded concurrency: every endpoint learned is dialed once. */
async function crawl (seeds: Endpoint[], concurrency: number): Promise<Map<string, SessionResult>> {
  const results = new Map<string, SessionResult>()
  const queued = new Set(seeds.map(key))
  const queue = [...seeds]
  let active = 0
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (active < concurrency && queue.length > 0) {
        const endpoint = queue.shift()!
        active++
        void bitcoinAdapter.runSession(endpoint, options()).then((r) => {
          results.set(key(endpoint), r)
          for (const a of r.learned) {
            if (!queued.has(key(a.endpoint))) {
              queued.add(key(a.endpoint))
              queue.push(a.endpoint)
            }
          }
          active--
          if (active === 0 && queue.length === 0) resolve()
          else pump()
        })
      }
    }
    pump()
  })
  return results
}

/** A raw client: sends `messages` in order, collects what the node says for `ms`. */
async function converse (endpoint: Endpoint, messages: BitcoinMessage[], ms: number): Promise<BitcoinMessage[]> {
  const socket = connect(endpoint.port, endpoint.host)
  const parser = new FrameParser(regtest.magic)
  const received: BitcoinMessage[] = []
  socket.on('data', (chunk) => {
    for (const f of parser.push(chunk)) if (f.kind === 'message') received.push(f.message)
  })
  await new Promise((resolve) => socket.once('connect', resolve))
  for (const m of messages) socket.write(encodeFrame(regtest.magic, m))
  await new Promise((resolve) => setTimeout(resolve, ms))
  socket.destroy()
  return received
}

function version (v = 70016): BitcoinMessage {
  return {
    command: 'version',
    payload: { version: v, services: 0n, timestamp: 0n, addrRecv: { services: 0n, host: '127.0.0.1', port: 1 }, addrFrom: { services: 0n, host: '::', port: 0 }, nonce: 9n, userAgent: '/t/', startHeight: 0, relay: false }
  }
}

describe('Simnet topology', () => {
  it('places nodes on their own loopback addresses, holes in 127.9/16, never 127.0.0.1', () => {
    const net = new Simnet({ nodes: 300, refused: 2, silent: 2, hole: 3, seed: 7 })
    const honest = net.endpointsOf('honest')
    assert.equal(honest.length, 300)
    assert.equal(honest[0].host, '127.1.0.1')
    assert.equal(honest[254].host, '127.1.1.1') // .0 and .255 skipped
    assert.ok(honest.every((e) => e.port === 18444 && /^127\.[1-8]\.\d+\.\d+$/.test(e.host)))
    assert.ok(net.endpointsOf('hole').every((e) => e.host.startsWith('127.9.')))
    const all = [...honest, ...net.endpointsOf('refused'), ...net.endpointsOf('silent'), ...net.endpointsOf('hole')]
    assert.equal(new Set(all.map(key)).size, 307)
    assert.deepEqual(net.seeds(), [honest[0]])
  })

  it('answers with 23% of what a node knows plus ring neighbours, the same every time', () => {
    const net = new Simnet({ nodes: 200, refused: 20, seed: 3, knownPerNode: 100 })
    const a = net.answerOf(5)
    assert.equal(a.length, 23)
    assert.deepEqual(net.answerOf(5), a)
    assert.deepEqual(a.slice(0, 3).map((x) => x.host), ['127.1.0.7', '127.1.0.8', '127.1.0.9'])
    assert.ok(!a.some((x) => x.host === '127.1.0.6'), 'never itself')
    assert.notDeepEqual(new Simnet({ nodes: 200, refused: 20, seed: 4, knownPerNode: 100 }).answerOf(5), a)
    // Capped at 1000 entries, like Core.
    assert.equal(new Simnet({ nodes: 6000, knownPerNode: 5000 }).answerOf(0).length, 1000)
  })

  it('truth() covers every reachable node through the ring, and only those', () => {
    const net = new Simnet({ nodes: 40, refused: 5, silent: 5, hole: 5, seed: 11, knownPerNode: 4 })
    const truth = net.truth().map(key).sort()
    assert.deepEqual(truth, net.endpointsOf('honest').map(key).sort())
  })

  it('truth() counts reachable custom nodes but follows only node answers', () => {
    const tarpit: NodeBehaviour = { ...silent, kind: 'tarpit' }
    // Reachable, but answers with something else than its node answer (a hostile node, say).
    const liar: NodeBehaviour = { kind: 'liar', reachable: true }
    const net = new Simnet({ nodes: 10, custom: [{ count: 4, behaviour: tarpit }, { count: 30, behaviour: liar }], knownPerNode: 1 })
    assert.equal(net.endpointsOf('tarpit').length, 4)
    const truth = net.truth().map(key).sort()
    assert.deepEqual(truth, [...net.endpointsOf('honest'), ...net.endpointsOf('liar')].map(key).sort())
    // Every off-ring node is named by exactly one honest node.
    const named = net.endpointsOf('honest').flatMap((_, i) => net.answerOf(i)).map(key)
    for (const e of [...net.endpointsOf('tarpit'), ...net.endpointsOf('liar')]) assert.equal(named.filter((k) => k === key(e)).length, 1)
    assert.throws(() => new Simnet({ nodes: 1, hole: 70_000 }), /127\.9\.0\.0\/16/)
    assert.throws(() => new Simnet({ nodes: 1, refused: 1000 }), /too few honest nodes/)
  })
})

describe('Simnet nodes on the wire', () => {
  // Oracle: Core's src/net_processing.cpp. Since v22 an inbound peer's address relay starts
  // with its getaddr (SetupAddressRelay); the GETADDR branch queues the answer and
  // MaybeSendAddr appends the node's own address and sends both at once (m_next_addr_send is
  // 0): nothing at verack, then one message of answer + self.
  it('answers like current Core: version, wtxidrelay, sendaddrv2, verack; ping; one addr with the answer and itself', async () => {
    const net = new Simnet({ nodes: 60, basePort: 0, seed: 5 })
    await net.start()
    try {
      const node = net.seeds()[0]
      // getaddr before verack is ignored, not queued; the second getaddr too.
      const v1 = await converse(node, [version(70016), { command: 'getaddr' }, { command: 'verack' }, { command: 'getaddr' }, { command: 'getaddr' }], 200)
      const commands = v1.map((m) => m.command === 'other' ? m.name : m.command)
      assert.deepEqual(commands.slice(0, 4), ['version', 'wtxidrelay', 'sendaddrv2', 'verack'])
      assert.ok(commands.includes('ping'))
      const addrs = v1.filter((m): m is Extract<BitcoinMessage, { command: 'addr' }> => m.command === 'addr')
      // Without sendaddrv2 the node speaks addr: one message, the answer then its own address.
      assert.deepEqual(addrs.map((m) => m.addresses.length), [net.answerOf(0).length + 1])
      const self = addrs[0].addresses.at(-1)!
      assert.deepEqual({ ...self, time: 0 }, { time: 0, services: 0x409n, type: 'ipv4', host: node.host, port: node.port })

      const v2 = await converse(node, [version(70016), { command: 'sendaddrv2' }, { command: 'verack' }, { command: 'getaddr' }], 200)
      assert.deepEqual(v2.filter((m) => m.command === 'addrv2').map((m) => m.command === 'addrv2' && m.addresses.length), [net.answerOf(0).length + 1])
      assert.equal(v2.filter((m) => m.command === 'addr').length, 0)

      // Without our getaddr, no address at all (address relay to an inbound peer is off).
      const quiet = await converse(node, [version(70016), { command: 'verack' }], 200)
      assert.equal(quiet.filter((m) => m.command === 'addr' || m.command === 'addrv2').length, 0)

      // An obsolete peer is dropped without a version.
      const old = await converse(node, [version(31799)], 100)
      assert.deepEqual(old, [])
    } finally {
      await net.stop()
    }
  })

  it('old Core announces itself alone at verack and trickles the answer; bcoin has no addrv2 and no self; mute never answers; small answers a handful', async () => {
    const net = new Simnet({ nodes: 60, oldCore: 1, bcoin: 1, mute: 1, small: 1, basePort: 0, seed: 6, oldTrickleMeanMs: 100 })
    await net.start()
    try {
      const [old] = net.endpointsOf('old-core')
      const oldIndex = net.endpointsOf('honest').length
      const o = await converse(old, [version(70016), { command: 'verack' }, { command: 'getaddr' }], 100 + 20 * 100)
      const oldAddrs = o.filter((m): m is Extract<BitcoinMessage, { command: 'addr' }> => m.command === 'addr')
      assert.ok(oldAddrs.length >= 2)
      assert.deepEqual(oldAddrs[0].addresses.map((a) => `${a.host}:${a.port}`), [`${old.host}:${old.port}`])
      assert.deepEqual(oldAddrs[1].addresses.map((a) => a.host), net.answerOf(oldIndex).map((a) => a.host))
      assert.ok(o.some((m) => m.command === 'other' && m.name === 'sendcmpct'))

      const [bcoin] = net.endpointsOf('bcoin')
      const b = await converse(bcoin, [version(70016), { command: 'sendaddrv2' }, { command: 'verack' }, { command: 'getaddr' }], 200)
      const bv = b.find((m): m is Extract<BitcoinMessage, { command: 'version' }> => m.command === 'version')!
      assert.equal(bv.payload.version, 70015)
      assert.equal(bv.payload.userAgent, '/bcoin:v1.0.2/')
      assert.ok(!b.some((m) => m.command === 'sendaddrv2' || m.command === 'wtxidrelay' || m.command === 'addrv2'))
      const bAddrs = b.filter((m): m is Extract<BitcoinMessage, { command: 'addr' }> => m.command === 'addr')
      assert.equal(bAddrs.length, 1)
      assert.ok(!bAddrs[0].addresses.some((a) => a.host === bcoin.host), 'no self-announcement')

      const [mute] = net.endpointsOf('mute')
      const m = await converse(mute, [version(70016), { command: 'verack' }, { command: 'getaddr' }], 200)
      assert.ok(m.some((x) => x.command === 'verack'))
      assert.equal(m.filter((x) => x.command === 'addr' || x.command === 'addrv2').length, 0)

      const [small] = net.endpointsOf('small')
      const sm = await converse(small, [version(70016), { command: 'verack' }, { command: 'getaddr' }], 200)
      const smallAnswer = sm.filter((x): x is Extract<BitcoinMessage, { command: 'addr' }> => x.command === 'addr')
      assert.equal(smallAnswer.length, 1)
      assert.ok(smallAnswer[0].addresses.length <= 6, `${smallAnswer[0].addresses.length} entries`)
      assert.ok(net.answerOf(0).length > 6)
    } finally {
      await net.stop()
    }
  })

  it('the floor of #11: a slow node (version after 3 s, answer after 5 s, a round trip of up to 100 ms) is found with the adapter\'s default timeouts', async () => {
    const net = new Simnet({ nodes: 1, slow: 1, basePort: 0, seed: 3, latencyMs: { min: 10, max: 100 } })
    await net.start()
    try {
      const [slow] = net.endpointsOf('slow')
      const base = options()
      const r = await bitcoinAdapter.runSession(slow, { ...base, timeouts: bitcoinAdapter.defaults.timeouts, limits: { ...base.limits, maxSessionMs: 60_000 } })
      assert.equal(r.ok, true, `${r.reason ?? ''} ${r.detail ?? ''}`)
      assert.ok((r.handshakeMs ?? 0) >= 3000 - 5, `handshake ${r.handshakeMs} ms: the node held its version`)
      assert.ok(r.answer !== undefined && r.answer.afterMs >= 5000 - 5, `answer ${JSON.stringify(r.answer)}`)
    } finally {
      await net.stop()
    }
  })

  it('latency delays every reply by the node\'s own round trip; slow nodes send version after 3 s and answer after 5 s', async () => {
    const seed = 12
    console.log(`# seed ${seed}`)
    const net = new Simnet({ nodes: 4, slow: 1, basePort: 0, seed, latencyMs: { min: 200, max: 400 } })
    await net.start()
    try {
      const [fast] = net.endpointsOf('honest')
      const latency = net.latencyOf(0)
      assert.ok(latency >= 200 && latency <= 400, `latency ${latency}`)
      const t0 = performance.now()
      const r = await bitcoinAdapter.runSession(fast, options())
      const took = performance.now() - t0
      assert.equal(r.ok, true)
      // Two replies wait on the latency: version/verack, then the answer.
      assert.ok(took >= 2 * latency - 5, `session took ${took} ms with a ${latency} ms round trip`)

      const [slow] = net.endpointsOf('slow')
      const slowLatency = net.latencyOf(4)
      const s0 = performance.now()
      const rs = await bitcoinAdapter.runSession(slow, { ...options(), timeouts: { connectMs: 2000, handshakeMs: 6000, askPeersMs: 30_000 } })
      assert.equal(rs.ok, true)
      assert.equal(rs.gotAddressAnswer, true)
      assert.ok((rs.handshakeMs ?? 0) >= 3000 + slowLatency - 5, `handshake ${rs.handshakeMs} ms`)
      assert.ok(performance.now() - s0 >= 3000 + 5000 + 2 * slowLatency - 10)
    } finally {
      await net.stop()
    }
  })

  it('a crawl from the seeds finds exactly truth(); the failures have the right reasons', async () => {
    const net = new Simnet({ nodes: 50, refused: 5, silent: 3, wrongNetwork: 3, closeImmediately: 3, hole: 0, basePort: 0, seed: 42, knownPerNode: 70 })
    await net.start()
    try {
      const results = await crawl(net.seeds(), 32)
      const reachable = [...results.values()].filter((r) => r.ok).map((r) => key(r.endpoint)).sort()
      const truth = net.truth().map(key).sort()
      assert.equal(truth.length, 50)
      assert.deepEqual(reachable, truth)
      assert.ok([...results.values()].filter((r) => r.ok).every((r) => r.gotAddressAnswer === true && r.peer?.userAgent === '/Satoshi:28.1.0/'))
      const reasonOf = (kind: string): Set<string | undefined> => new Set(net.endpointsOf(kind).filter((e) => results.has(key(e))).map((e) => results.get(key(e))!.reason))
      for (const [kind, reason] of [['refused', 'refused'], ['silent', 'handshake-timeout'], ['wrong-network', 'wrong-network'], ['close-immediately', 'closed']]) {
        const seen = reasonOf(kind)
        assert.ok(seen.size > 0, `no ${kind} node was dialed`)
        assert.deepEqual(seen, new Set([reason]), kind)
      }
      // The crawler answered the nodes' pings (the pongs may still be on their way).
      await waitFor(() => net.stats.pongs >= 50, { timeoutMs: 30_000, what: '50 pongs' })
      assert.equal(net.stats.handshakes, 50)
      assert.equal(net.stats.pongs, 50)
      assert.equal(net.stats.getaddrAnswered, 50)
    } finally {
      await net.stop()
    }
  })

  it('delays getaddr answers by an exponential with the given mean', async () => {
    const net = new Simnet({ nodes: 60, basePort: 0, seed: 9, getaddrDelayMeanMs: 150 })
    await net.start()
    try {
      const results = await Promise.all(net.endpointsOf('honest').map((e) => bitcoinAdapter.runSession(e, options())))
      assert.ok(results.every((r) => r.ok && r.gotAddressAnswer === true && r.answer !== undefined))
      // Lower bounds only (a busy machine can only make answers later): 60 draws from
      // Exp(150 ms) have a mean over 75 ms and a maximum over 150 ms, except with negligible
      // probability, and the delay falls on the answer, after the handshake.
      const afters = results.map((r) => r.answer?.afterMs ?? 0)
      assert.ok(afters.reduce((a, b) => a + b, 0) / afters.length > 75, `mean answer wait ${afters.reduce((a, b) => a + b, 0) / afters.length} ms`)
      assert.ok(Math.max(...afters) > 150, `slowest answer ${Math.max(...afters)} ms`)
    } finally {
      await net.stop()
    }
  })

  it('a thousand nodes start, are crawled and stop within seconds', async () => {
    const net = new Simnet({ nodes: 1000, refused: 100, basePort: 0, seed: 1 })
    const before = process.memoryUsage().heapUsed
    await net.start()
    try {
      const results = await crawl(net.seeds(), 200)
      const failed = [...results.values()].filter((r) => !r.ok && r.reason !== 'refused')
      assert.equal(failed.length, 0, failed.slice(0, 5).map((r) => `${r.endpoint.host} ${r.reason} ${r.detail}`).join('; '))
      assert.equal([...results.values()].filter((r) => r.ok).length, 1000)
      assert.equal(net.truth().length, 1000)
      assert.ok(process.memoryUsage().heapUsed - before < 200e6)
    } finally {
      await net.stop()
    }
  })
})
