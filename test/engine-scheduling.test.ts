// The engine's scheduling (docs/design.md §1): lanes, routes, dial tiers, addresses as they
// arrive, retries at the end, EMFILE, lag back-off, eviction, mappedAfterMs. In-memory adapter:
// sessions are scripted promises, no sockets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Adapter, AddressType, Dial, Endpoint, FailureReason, LearnedAddress, Network, SessionOptions, SessionResult } from '../src/contract.js'
import { DIAL_BATCH, LAG_DIALS, LAG_RECHECK_MS } from '../src/engine/defaults.js'
import { CrawlEngine, type CrawlSummary, type DiscoveredEvent, type EngineOptions } from '../src/engine/engine.js'
import { OVERLAY_FLOORS, parseLaneFlags, resolveLanes } from '../src/engine/lanes.js'
import { chooseConcurrency, openFileLimit } from '../src/engine/limits.js'
import { AddressPolicy } from '../src/net/policy.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import { UsageError } from '../src/errors.js'

const NETWORK: Network = { id: 'fakenet', name: 'fakenet', defaultPort: 1000, description: 'in-memory' }
const ADAPTER_TIMEOUTS = { connectMs: 5000, handshakeMs: 6000, askPeersMs: 30000 }

interface Script {
  /** Addresses handed over at the end (result.learned). */
  knows?: Array<string | LearnedAddress>
  /** Batches handed over through onLearned, each after `afterMs` from the session's start. */
  batches?: Array<{ afterMs: number, addresses: Array<string | LearnedAddress> }>
  fail?: Array<{ reason: FailureReason, detail?: string }>
  failAlways?: FailureReason
  delayMs?: number
  /** Never ends until aborted. */
  hang?: boolean
}

function ep (text: string): Endpoint {
  const i = text.lastIndexOf(':')
  const host = text.slice(0, i).replace(/^\[(.*)\]$/, '$1')
  const type: AddressType = host.endsWith('.onion') ? 'onion' : host.endsWith('.i2p') ? 'i2p' : host.includes(':') ? 'ipv6' : 'ipv4'
  return { host, port: Number(text.slice(i + 1)), type }
}

function learned (a: string | LearnedAddress): LearnedAddress {
  return typeof a === 'string' ? { endpoint: ep(a) } : a
}

class FakeNet {
  readonly scripts = new Map<string, Script>()
  /** Dial order: keys as sessions started. */
  readonly started: string[] = []
  readonly ended: string[] = []
  readonly options = new Map<string, SessionOptions>()
  inFlightByType = new Map<AddressType, number>()
  maxInFlightByType = new Map<AddressType, number>()

  constructor (scripts: Record<string, Script>) {
    for (const [k, s] of Object.entries(scripts)) this.scripts.set(k, s)
  }

  adapter (dialableTypes: AddressType[] = ['ipv4', 'ipv6']): Adapter {
    const unused = (): never => { throw new Error('not used by the engine') }
    return {
      name: 'fake',
      description: 'scripted in-memory peers',
      status: 'complete',
      networks: [NETWORK],
      defaultNetwork: NETWORK.name,
      defaults: { timeouts: ADAPTER_TIMEOUTS },
      dialableTypes,
      key: (e) => `${e.host.toLowerCase()}:${e.port}`,
      parseEndpoint: unused,
      assertCrawlable: () => {},
      bootstrap: unused,
      runSession: (endpoint, options) => this.session(endpoint, options),
      get simulation (): never { return unused() }
    }
  }

  private async session (endpoint: Endpoint, options: SessionOptions): Promise<SessionResult> {
    const key = formatEndpoint(endpoint).toLowerCase()
    this.started.push(key)
    this.options.set(key, options)
    const n = (this.inFlightByType.get(endpoint.type) ?? 0) + 1
    this.inFlightByType.set(endpoint.type, n)
    this.maxInFlightByType.set(endpoint.type, Math.max(n, this.maxInFlightByType.get(endpoint.type) ?? 0))
    const script = this.scripts.get(key) ?? { failAlways: 'refused' as const }
    const timers: NodeJS.Timeout[] = []
    for (const b of script.batches ?? []) timers.push(setTimeout(() => options.onLearned?.(b.addresses.map(learned)), b.afterMs))
    const completed = await new Promise<boolean>((resolve) => {
      const onAbort = (): void => { clearTimeout(timer); resolve(false) }
      const timer = script.hang === true ? undefined : setTimeout(() => { options.signal.removeEventListener('abort', onAbort); resolve(true) }, script.delayMs ?? 2)
      if (options.signal.aborted) onAbort()
      else options.signal.addEventListener('abort', onAbort, { once: true })
    })
    for (const t of timers) clearTimeout(t)
    this.inFlightByType.set(endpoint.type, (this.inFlightByType.get(endpoint.type) ?? 1) - 1)
    this.ended.push(key)
    if (!completed) return { endpoint, ok: false, reason: 'cancelled', learned: [], addressesReceived: 0 }
    const failure = script.fail?.shift()
    if (failure !== undefined) return { endpoint, ok: false, reason: failure.reason, detail: failure.detail, learned: [], addressesReceived: 0 }
    if (script.failAlways !== undefined) return { endpoint, ok: false, reason: script.failAlways, learned: [], addressesReceived: 0 }
    const all = (script.knows ?? []).map(learned)
    return { endpoint, ok: true, connectMs: 0, handshakeMs: 0, learned: all, addressesReceived: all.length }
  }
}

function engine (net: FakeNet, options: Partial<EngineOptions> = {}, dialableTypes?: AddressType[]): CrawlEngine {
  return new CrawlEngine({ adapter: net.adapter(dialableTypes), network: NETWORK, policy: new AddressPolicy(), userAgent: '/test/', concurrency: 100, ...options })
}

function assertConsistent (s: CrawlSummary): void {
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0)
  assert.equal(s.tried, s.reachable + sum(s.failed), 'tried = reachable + failed')
  assert.equal(s.discovered, s.tried + s.untried + sum(s.skipped), 'discovered = tried + untried + skipped')
}

test('phase timeouts come from the adapter; flags override them per phase', async () => {
  const net = new FakeNet({ '1.0.0.1:1000': {} })
  await engine(net, { timeouts: { handshakeMs: 3500 } }).run([ep('1.0.0.1:1000')])
  assert.deepEqual(net.options.get('1.0.0.1:1000')?.timeouts, { connectMs: 5000, handshakeMs: 3500, askPeersMs: 30000 })
})

test('a slow overlay lane never stalls clearnet: each lane has its own cap and timeouts', async () => {
  const onions = Array.from({ length: 10 }, (_, i) => `o${i}.onion:1000`)
  const clear = Array.from({ length: 40 }, (_, i) => `2.0.0.${i + 2}:1000`)
  const scripts: Record<string, Script> = { '2.0.0.1:1000': { knows: [...onions, ...clear] } }
  for (const o of onions) scripts[o] = { hang: true }
  for (const c of clear) scripts[c] = { delayMs: 3 }
  const net = new FakeNet(scripts)
  const onionDial: Dial = async () => { throw new Error('not called by the fake adapter') }
  const e = engine(net, { concurrency: 8, dialers: { ipv4: onionDial, onion: onionDial }, lanes: { onion: { concurrency: 3 } }, graceMs: 10 }, ['ipv4', 'onion'])
  const clearDone = new Promise<void>((resolve) => {
    let left = clear.length
    e.on('session-end', ({ result }) => { if (result.endpoint.type === 'ipv4' && result.ok && result.endpoint.host !== '2.0.0.1' && --left === 0) resolve() })
  })
  const run = e.run([ep('2.0.0.1:1000')])
  await clearDone
  // Every clearnet peer finished while the onion lane still held its three hung sessions.
  assert.equal(net.inFlightByType.get('onion'), 3)
  assert.equal(net.maxInFlightByType.get('onion'), 3, 'the onion lane keeps to its own cap')
  assert.ok((net.maxInFlightByType.get('ipv4') ?? 0) <= 8 - 3 + 1, 'the global cap is shared')
  const onionOptions = net.options.get('o0.onion:1000')
  assert.equal(onionOptions?.timeouts.connectMs, OVERLAY_FLOORS.onion.connectMs)
  assert.equal(onionOptions?.timeouts.handshakeMs, OVERLAY_FLOORS.onion.handshakeMs)
  assert.equal(onionOptions?.dial, onionDial, 'the lane dials through the given dialer')
  assert.equal(net.options.get('2.0.0.2:1000')?.timeouts.connectMs, ADAPTER_TIMEOUTS.connectMs)
  e.stop('stop', 0)
  const summary = await run
  assert.equal(summary.reachable, 41)
  assertConsistent(summary)
})

test('a type the adapter speaks but nothing routes is skipped as no-route, counted per type', async () => {
  const net = new FakeNet({ '3.0.0.1:1000': { knows: ['a.onion:1000', 'b.onion:1000', 'c.b32.i2p:0', '3.0.0.2:1000'] }, '3.0.0.2:1000': {} })
  const skipped: DiscoveredEvent[] = []
  const e = engine(net, {}, ['ipv4', 'ipv6', 'onion', 'i2p'])
  e.on('discovered', (d) => { if (d.skipped !== undefined) skipped.push(d) })
  const summary = await e.run([ep('3.0.0.1:1000')])
  assert.deepEqual(summary.noRoute, { onion: 2, i2p: 1 })
  assert.deepEqual(summary.skipped, { 'no-route': 3 })
  assert.deepEqual(skipped.map((d) => d.skipped), ['no-route', 'no-route', 'no-route'])
  assert.deepEqual(net.started.sort(), ['3.0.0.1:1000', '3.0.0.2:1000'])
  assertConsistent(summary)
})

test('addresses given through onLearned are dialed while the session still runs, with time and services on the event', async () => {
  const now = Math.floor(Date.now() / 1000)
  const net = new FakeNet({
    '4.0.0.1:1000': { batches: [{ afterMs: 1, addresses: [{ endpoint: ep('4.0.0.2:1000'), time: now, services: '1033' }] }], delayMs: 10_000 },
    '4.0.0.2:1000': {}
  })
  const e = engine(net, { graceMs: 0 })
  const events: DiscoveredEvent[] = []
  e.on('discovered', (d) => events.push(d))
  const run = e.run([ep('4.0.0.1:1000')])
  await new Promise<void>((resolve) => e.on('session-end', ({ result }) => { if (result.endpoint.host === '4.0.0.2') resolve() }))
  assert.deepEqual(net.ended, ['4.0.0.2:1000'], 'the learned peer was crawled before its advertiser finished')
  const learnedEvent = events.find((d) => d.endpoint.host === '4.0.0.2')
  assert.equal(learnedEvent?.time, now)
  assert.equal(learnedEvent?.services, '1033')
  assert.equal(learnedEvent?.from?.host, '4.0.0.1')
  e.stop('stop', 0)
  await run
})

test('dial order: seeds and peers reachable before, then fresh or often advertised, then the rest', async () => {
  const now = Math.floor(Date.now() / 1000)
  const stale = now - 10 * 86400
  const net = new FakeNet({
    '5.0.0.1:1000': {
      knows: [
        { endpoint: ep('5.0.0.10:1000'), time: stale },
        { endpoint: ep('5.0.0.11:1000'), time: stale },
        { endpoint: ep('5.0.0.12:1000'), time: now - 600 }, // fresh
        { endpoint: ep('5.0.0.13:1000'), time: now + 86400 }, // in the future: counts as 5 days old (Core)
        { endpoint: ep('5.0.0.14:1000'), time: stale },
        { endpoint: ep('5.0.0.15:1000'), time: stale }
      ]
    },
    '5.0.0.2:1000': { knows: [{ endpoint: ep('5.0.0.14:1000'), time: stale }] } // a second advertiser promotes .14
  })
  const e = engine(net, { concurrency: 1, reachableBefore: new Set(['5.0.0.15:1000']) })
  await e.run([ep('5.0.0.1:1000'), ep('5.0.0.2:1000')])
  assert.deepEqual(net.started, [
    '5.0.0.1:1000', '5.0.0.2:1000', // seeds
    '5.0.0.15:1000', // reachable in an earlier run
    '5.0.0.12:1000', '5.0.0.14:1000', // fresh, then advertised twice
    '5.0.0.10:1000', '5.0.0.11:1000', '5.0.0.13:1000' // the rest, first come first served
  ])
})

test('a retry never pushes back the end of a finite crawl: with nothing else left it is dropped and counted', async () => {
  const net = new FakeNet({ '6.0.0.1:1000': { knows: ['6.0.0.2:1000'] }, '6.0.0.2:1000': { failAlways: 'closed' } })
  const retryBackoffMs = 60_000
  const summary = await engine(net, { retries: 3, retryBackoffMs }).run([ep('6.0.0.1:1000')])
  assert.equal(summary.retriesDropped, 1)
  assert.deepEqual(summary.failed, { closed: 1 })
  assert.equal(net.started.filter((k) => k === '6.0.0.2:1000').length, 1)
  assert.ok(summary.elapsedMs < retryBackoffMs, `ended after ${summary.elapsedMs} ms, without waiting for the retry`)
})

test('EMFILE is back-pressure: the session is put back, not counted, and concurrency is lowered', async () => {
  const net = new FakeNet({
    '7.0.0.1:1000': { knows: ['7.0.0.2:1000', '7.0.0.3:1000'], delayMs: 1 },
    '7.0.0.2:1000': { fail: [{ reason: 'error', detail: 'EMFILE' }] },
    '7.0.0.3:1000': { delayMs: 50 }
  })
  const notices: string[] = []
  const e = engine(net, { concurrency: 10 })
  e.on('notice', (line) => notices.push(line))
  const summary = await e.run([ep('7.0.0.1:1000')])
  assert.equal(summary.reachable, 3, 'the peer that hit EMFILE was dialed again and reached')
  assert.deepEqual(summary.failed, {})
  assert.equal(summary.fdBackpressure, 1)
  assert.equal(summary.sessions, 3, 'the put-back session is not counted')
  assert.ok(summary.concurrency < 10)
  assert.equal(notices.length, 1)
  assert.match(notices[0], /EMFILE/)
})

test('while the event loop lags, new dials are throttled, never stopped', async () => {
  const others = Array.from({ length: 2 * LAG_DIALS + 20 }, (_, i) => `8.${i >> 8}.${i & 255}.1:1000`)
  const scripts: Record<string, Script> = {}
  for (const k of others) scripts[k] = { hang: true }
  const net = new FakeNet(scripts)
  const lag = { lagMs: 500 }
  const e = engine(net, { lag, graceMs: 0, concurrency: 10_000 })
  const run = e.run(others.map(ep))
  assert.equal(net.started.length, LAG_DIALS, 'one period\'s budget at once, not everything')
  // Still lagging: the rest start, a budget per period.
  await waitUntil(() => net.started.length === others.length)
  e.stop('stop', 0)
  const summary = await run
  // At least two held periods; measured with Date.now, whose millisecond rounding against the
  // timers' monotonic clock can make each 50 ms wait read as 49 ms.
  assert.ok(summary.lagBackoffMs >= 2 * (LAG_RECHECK_MS - 1), `throttled ${summary.lagBackoffMs} ms`)

  // Lag of our own work (this process had the core): not throttled (docs/design.md §1.5).
  const own = new FakeNet(scripts)
  const e3 = engine(own, { lag: { lagMs: 500, cpuShare: 0.95 }, graceMs: 0, concurrency: 10_000 })
  const run3 = e3.run(others.map(ep))
  assert.equal(own.started.length, Math.min(others.length, DIAL_BATCH))
  e3.stop('stop', 0)
  assert.equal((await run3).lagBackoffMs, 0)

  // Without lag: everything at once (within the per-turn pacing).
  const quick = new FakeNet(scripts)
  const e2 = engine(quick, { lag: { lagMs: 0 }, graceMs: 0, concurrency: 10_000 })
  const run2 = e2.run(others.map(ep))
  assert.equal(quick.started.length, Math.min(others.length, DIAL_BATCH))
  e2.stop('stop', 0)
  assert.equal((await run2).lagBackoffMs, 0)
})

/** Polls `condition` until true; fails after a generous deadline. */
async function waitUntil (condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(5)
  }
}

test('mappedAfterMs: from the origin to the handshake of the last peer that ended up reachable', async () => {
  const net = new FakeNet({ '9.0.0.1:1000': { knows: ['9.0.0.2:1000', '9.0.0.3:1000'] }, '9.0.0.2:1000': { delayMs: 30 }, '9.0.0.3:1000': { failAlways: 'refused', delayMs: 60 } })
  const originMs = Date.now()
  const starts = new Map<string, number>()
  const e = engine(net, { originMs })
  e.on('session-start', ({ endpoint }) => starts.set(formatEndpoint(endpoint), Date.now()))
  const summary = await e.run([ep('9.0.0.1:1000')])
  const lastReachableStart = (starts.get('9.0.0.2:1000') ?? NaN) - originMs
  // The fake reports connectMs = handshakeMs = 0: the handshake is at the session's start.
  assert.ok(summary.mappedAfterMs !== null && summary.mappedAfterMs >= lastReachableStart - 1 && summary.mappedAfterMs <= lastReachableStart + 5, `${summary.mappedAfterMs} vs ${lastReachableStart}`)
  assert.ok(summary.mappedAfterMs < summary.elapsedMs, 'the refused peer that ended later does not count')

  const none = await engine(new FakeNet({}), { originMs }).run([ep('9.0.0.9:1000')])
  assert.equal(none.mappedAfterMs, null)
})

test('at --max-endpoints the least promising never-reached endpoints make room for fresh ones', async () => {
  const now = Math.floor(Date.now() / 1000)
  const dead = ['11.0.0.2:1000', '11.0.0.3:1000', '11.0.0.4:1000', '11.0.0.5:1000']
  const fresh = ['11.0.0.20:1000', '11.0.0.21:1000']
  const net = new FakeNet({
    '11.0.0.1:1000': {
      batches: [
        // Each dead one advertised twice: the repeat waits in the engine's tally (src/engine/advertisements.ts).
        { afterMs: 1, addresses: [...dead, ...dead] },
        // Later: the frontier (5) is full of the seed and four refused endpoints.
        { afterMs: 80, addresses: [...fresh.map((k) => ({ endpoint: ep(k), time: now })), '11.0.0.30:1000'] }
      ],
      hang: true
    },
    '11.0.0.20:1000': {},
    '11.0.0.21:1000': {}
  })
  const overflowed: string[] = []
  const e = engine(net, { maxEndpoints: 5, continuous: true, retryMs: 3_600_000, revisitMs: 3_600_000 })
  e.on('overflow', ({ endpoint }) => overflowed.push(formatEndpoint(endpoint)))
  const order: string[] = []
  e.on('advertised', ({ endpoint, count }) => order.push(`advertised ${formatEndpoint(endpoint)} ${count}`))
  e.on('discovered', ({ endpoint, first }) => { if (first) order.push(`discovered ${formatEndpoint(endpoint)}`) })
  const reached = new Set<string>()
  const bothFresh = new Promise<void>((resolve) => e.on('session-end', ({ result }) => {
    if (result.ok) reached.add(formatEndpoint(result.endpoint))
    if (fresh.every((k) => reached.has(k))) resolve()
  }))
  const run = e.run([ep('11.0.0.1:1000')])
  await bothFresh
  e.stop('stop', 0)
  const summary = await run
  assert.equal(summary.evicted, 3, 'two for the fresh ones, one for the stale newcomer (a refused endpoint is less promising than an untried one)')
  assert.deepEqual(overflowed, [])
  assert.equal(summary.discovered, 5)
  assert.equal(summary.reachable, 2, 'the fresh ones (the seed hangs until stopped)')
  assert.equal(summary.untried, 1, 'the seed: its only session was cancelled by the stop')
  assertConsistent(summary)
  // An evicted endpoint's tallied repeat is reported before its slot is reused, not lost with it.
  const beforeLast = order.slice(0, order.indexOf('discovered 11.0.0.30:1000'))
  assert.equal(beforeLast.filter((l) => l.startsWith('advertised ')).length, 3, order.join('; '))
  assert.deepEqual(order.filter((l) => l.startsWith('advertised ')).sort(), dead.map((k) => `advertised ${k} 1`).sort(), 'every repeat reported once')
})

test('--lane parses per-lane budgets; lanes take overlay floors and never exceed the global cap', () => {
  assert.deepEqual(parseLaneFlags(['onion:concurrency=128,connect=60000', 'i2p:ask=1000', 'onion:handshake=50000']), {
    onion: { concurrency: 128, connect: 60000, handshake: 50000 },
    i2p: { ask: 1000 }
  })
  for (const bad of ['tor:concurrency=1', 'onion', 'onion:speed=3', 'onion:connect=0', 'onion:connect=1e3', 'clear:concurrency=']) {
    assert.throws(() => parseLaneFlags([bad]), UsageError, bad)
  }
  const lanes = resolveLanes({ timeouts: ADAPTER_TIMEOUTS, concurrency: 500, onionProxies: 2, overrides: { clear: { connect: 2000 }, i2p: { concurrency: 1000 } } })
  assert.deepEqual(lanes.clear, { concurrency: 500, timeouts: { connectMs: 2000, handshakeMs: 6000, askPeersMs: 30000 } })
  assert.equal(lanes.onion.concurrency, 2 * OVERLAY_FLOORS.onion.concurrencyPerProxy)
  assert.equal(lanes.onion.timeouts.askPeersMs, Math.max(30000, OVERLAY_FLOORS.onion.askPeersMs))
  assert.equal(lanes.i2p.concurrency, 500, 'capped by the global concurrency')
})

test('concurrency: auto from the open-file limit, and a requested value above it is lowered with a notice', () => {
  const limits = (soft: string): string => `Limit                     Soft Limit           Hard Limit           Units\nMax cpu time              unlimited            unlimited            seconds\nMax open files            ${soft}                20000                files\n`
  assert.equal(openFileLimit(limits('20000')), 20000)
  assert.equal(openFileLimit(limits('unlimited')), undefined)
  assert.equal(chooseConcurrency(undefined, 1024).concurrency, 1024 - 256)
  assert.equal(chooseConcurrency(undefined, 1_048_576).concurrency, 16_384)
  const lowered = chooseConcurrency(5000, 1024)
  assert.equal(lowered.concurrency, 768)
  assert.match(lowered.notice ?? '', /--concurrency 5000 lowered to 768/)
  assert.equal(chooseConcurrency(500, 1024).notice, undefined)
  if (process.platform === 'linux') assert.ok((openFileLimit() ?? 0) > 0, 'this process has a readable limit')
})
