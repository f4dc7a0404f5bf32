// The engine against an in-memory adapter: sessions are scripted promises, no sockets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Adapter, Endpoint, FailureReason, Network, SessionOptions, SessionResult } from '../src/contract.js'
import { CrawlEngine, type CrawlSummary, type DiscoveredEvent, type EngineOptions } from '../src/engine/engine.js'
import { AddressPolicy } from '../src/net/policy.js'
import { formatEndpoint } from '../src/net/endpoint.js'

const NETWORK: Network = { id: 'fakenet', name: 'fakenet', defaultPort: 1000, description: 'in-memory' }

/** What one peer does when dialed. `fail` is consumed one reason per session; when empty the peer answers. */
interface Script {
  knows?: string[]
  fail?: FailureReason[]
  failAlways?: FailureReason
  delayMs?: number
}

function ep (text: string): Endpoint {
  const i = text.lastIndexOf(':')
  const host = text.slice(0, i).replace(/^\[(.*)\]$/, '$1')
  return { host, port: Number(text.slice(i + 1)), type: host.endsWith('.onion') ? 'onion' : host.includes(':') ? 'ipv6' : 'ipv4' }
}

class FakeNet {
  readonly scripts = new Map<string, Script>()
  /** Session start/end times per endpoint, in order. */
  readonly sessions = new Map<string, Array<{ start: number, end?: number }>>()
  inFlight = 0
  maxInFlight = 0
  overlapping = 0
  aborted = 0

  constructor (scripts: Record<string, Script>) {
    for (const [k, s] of Object.entries(scripts)) this.scripts.set(k, s)
  }

  adapter (): Adapter {
    const unused = (): never => { throw new Error('not used by the engine') }
    return {
      name: 'fake',
      description: 'scripted in-memory peers',
      status: 'complete',
      networks: [NETWORK],
      defaultNetwork: NETWORK.name,
      defaults: { timeouts: { connectMs: 5000, handshakeMs: 10000, askPeersMs: 35000 } },
      dialableTypes: ['ipv4', 'ipv6'],
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
    const log = this.sessions.get(key) ?? []
    this.sessions.set(key, log)
    if (log.some((s) => s.end === undefined)) this.overlapping++
    const entry: { start: number, end?: number } = { start: Date.now() }
    log.push(entry)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    const script = this.scripts.get(key) ?? { fail: [], failAlways: 'refused' as const }
    const delay = script.delayMs ?? 5
    const completed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { options.signal.removeEventListener('abort', onAbort); resolve(true) }, delay)
      const onAbort = (): void => { clearTimeout(timer); resolve(false) }
      if (options.signal.aborted) onAbort()
      else options.signal.addEventListener('abort', onAbort, { once: true })
    })
    this.inFlight--
    entry.end = Date.now()
    if (!completed) {
      this.aborted++
      return { endpoint, ok: false, reason: 'cancelled', learned: [], addressesReceived: 0 }
    }
    const reason = script.fail?.shift() ?? script.failAlways
    if (reason !== undefined) return { endpoint, ok: false, reason, learned: [], addressesReceived: 0 }
    const learned = (script.knows ?? []).map((t) => ({ endpoint: ep(t) }))
    return { endpoint, ok: true, learned, addressesReceived: learned.length, peer: { userAgent: '/fake/' } }
  }

  count (key: string): number { return this.sessions.get(key)?.length ?? 0 }
}

/** What every summary must satisfy, whatever happened. */
function assertConsistent (s: CrawlSummary): void {
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0)
  assert.equal(s.tried, s.reachable + sum(s.failed), 'tried = reachable + failed')
  assert.equal(s.discovered, s.tried + s.untried + sum(s.skipped), 'discovered = tried + untried + skipped')
  assert.ok(s.new <= s.discovered)
  assert.ok(s.sessions >= s.tried + s.cancelled, 'each tried endpoint had a session that was not cancelled')
}

function engine (net: FakeNet, options: Partial<EngineOptions> = {}): CrawlEngine {
  return new CrawlEngine({ adapter: net.adapter(), network: NETWORK, policy: new AddressPolicy(), userAgent: '/test/', retryBackoffMs: 10, ...options })
}

/** A random graph of `n` peers at 1.0.x.y:1000, every one reachable from peer 0, some failing. */
function randomNet (n: number, seed: number): { net: FakeNet, all: string[], failing: Set<string> } {
  let s = seed
  const rand = (k: number): number => { s = (s * 1103515245 + 12345) % 2 ** 31; return s % k }
  const all = Array.from({ length: n }, (_, i) => `1.0.${i >> 8}.${i & 255}:1000`)
  const failing = new Set(all.filter((_, i) => i > 0 && i % 7 === 0))
  const scripts: Record<string, Script> = {}
  for (const [i, key] of all.entries()) {
    // Each peer knows the next one (so all are reachable from 0 through answering peers) plus random others, itself, duplicates.
    const knows = [all[(i + 1) % n], ...Array.from({ length: 5 }, () => all[rand(n)]), key, all[rand(n)]]
    if (i % 7 === 6) knows.push(all[(i + 2) % n]) // skip over the failing peer that follows
    scripts[key] = failing.has(key) ? { failAlways: 'refused', delayMs: 1 + rand(4) } : { knows, delayMs: 1 + rand(4) }
  }
  return { net: new FakeNet(scripts), all, failing }
}

test('crawls a graph to the end: each endpoint dialed once, summary counts exact', async () => {
  const { net, all, failing } = randomNet(300, 7)
  const e = engine(net, { concurrency: 16 })
  const discovered: DiscoveredEvent[] = []
  const ended: SessionResult[] = []
  let repeats = 0
  e.on('discovered', (d) => discovered.push(d))
  e.on('advertised', (a) => { repeats += a.count })
  e.on('session-end', ({ result }) => ended.push(result))
  let done: CrawlSummary | undefined
  e.on('done', (s) => { done = s })
  const summary = await e.run([ep(all[0]), ep(all[0])])

  for (const key of all) assert.equal(net.count(key), 1, key)
  assert.equal(net.overlapping, 0)
  assert.equal(summary.tried, 300)
  assert.equal(summary.reachable, 300 - failing.size)
  assert.deepEqual(summary.failed, { refused: failing.size })
  assert.deepEqual(summary.skipped, {})
  assert.equal(summary.discovered, 300)
  assert.equal(summary.new, 300)
  assert.equal(summary.sessions, 300)
  assert.equal(summary.untried, 0)
  assert.equal(summary.stoppedBy, 'exhausted')
  assertConsistent(summary)
  assert.deepEqual(done, summary)
  assert.equal(ended.length, 300)
  assert.equal(discovered.filter((d) => d.first).length, 300)
  assert.equal(discovered.filter((d) => d.from === null).length, 2, 'both seed mentions are reported')
  // Every advertisement is reported (the store counts advertisers): the first as 'discovered', repeats summed as 'advertised'.
  const advertised = ended.reduce((n, r) => n + r.learned.length, 0)
  assert.ok(repeats > 0, 'the graph has repeated advertisements')
  assert.equal(discovered.filter((d) => d.from !== null).length + repeats, advertised)
})

test('concurrency is never exceeded and is used in full', async () => {
  const { net, all } = randomNet(200, 3)
  const e = engine(net, { concurrency: 5 })
  let inFlight = 0
  let max = 0
  e.on('session-start', () => { inFlight++; max = Math.max(max, inFlight) })
  e.on('session-end', () => { inFlight-- })
  await e.run(all.slice(0, 50).map(ep))
  assert.equal(net.maxInFlight, 5)
  assert.equal(max, 5)
  assert.equal(e.stats().inFlight, 0)
})

test('endpoints are deduplicated by adapter.key', async () => {
  const net = new FakeNet({
    '2.0.0.1:1000': { knows: ['2.0.0.2:1000', '2.0.0.2:1000', '[2A01:4F8::1]:1000'] },
    '2.0.0.2:1000': { knows: ['2.0.0.1:1000', '[2a01:4f8::1]:1000'] },
    '[2a01:4f8::1]:1000': { knows: [] }
  })
  const summary = await engine(net).run([ep('2.0.0.1:1000')])
  assert.equal(summary.discovered, 3)
  assert.equal(summary.reachable, 3)
  assert.equal(net.count('[2a01:4f8::1]:1000'), 1)
})

test('retries are bounded, only for transient failures, with growing backoff', async () => {
  const net = new FakeNet({
    // 3.0.0.7 answers slowly: the retries run while it is still in flight (a retry never extends a finite crawl).
    '3.0.0.1:1000': { knows: ['3.0.0.2:1000', '3.0.0.3:1000', '3.0.0.4:1000', '3.0.0.5:1000', '3.0.0.6:1000', '3.0.0.7:1000', '3.0.0.8:1000'] },
    '3.0.0.7:1000': { knows: [], delayMs: 2000 },
    '3.0.0.8:1000': { failAlways: 'handshake-timeout' },
    '3.0.0.2:1000': { failAlways: 'closed' },
    '3.0.0.6:1000': { failAlways: 'connect-timeout' },
    '3.0.0.3:1000': { failAlways: 'refused' },
    '3.0.0.4:1000': { fail: ['reset'], knows: [] },
    '3.0.0.5:1000': { failAlways: 'wrong-network' }
  })
  const ends: Array<{ key: string, retryInMs?: number }> = []
  const e = engine(net, { retries: 2, retryBackoffMs: 20 })
  e.on('session-end', ({ result, retryInMs }) => ends.push({ key: formatEndpoint(result.endpoint), retryInMs }))
  const summary = await e.run([ep('3.0.0.1:1000')])
  assert.equal(net.count('3.0.0.2:1000'), 3, 'closed: first try + 2 retries')
  assert.equal(net.count('3.0.0.8:1000'), 1, 'handshake-timeout is not retried: a silent peer stays silent')
  assert.equal(net.count('3.0.0.6:1000'), 1, 'connect-timeout is not retried: most such addresses are dead')
  assert.equal(net.count('3.0.0.3:1000'), 1, 'refused is not retried')
  assert.equal(net.count('3.0.0.4:1000'), 2, 'reset once, then success')
  assert.equal(net.count('3.0.0.5:1000'), 1, 'wrong-network is not retried')
  assert.deepEqual(ends.filter((x) => x.key === '3.0.0.2:1000').map((x) => x.retryInMs), [20, 40, undefined])
  const times = net.sessions.get('3.0.0.2:1000') ?? []
  assert.ok(times[1].start - (times[0].end ?? 0) >= 19, 'first retry waits the backoff')
  assert.ok(times[2].start - (times[1].end ?? 0) >= 39, 'second retry waits twice as long')
  assert.equal(summary.tried, 8)
  assert.equal(summary.reachable, 3)
  assert.deepEqual(summary.failed, { closed: 1, 'handshake-timeout': 1, 'connect-timeout': 1, refused: 1, 'wrong-network': 1 })
  assert.equal(summary.sessions, 11)
  assert.equal(summary.retriesDropped, 0)
  assertConsistent(summary)
})

test('max-endpoints caps what is held; the rest is counted as overflow and dropped', async () => {
  const many = Array.from({ length: 20 }, (_, i) => `4.0.0.${i + 10}:1000`)
  const net = new FakeNet({ '4.0.0.1:1000': { knows: many } })
  for (const k of many) net.scripts.set(k, { knows: [many[0]] })
  const e = engine(net, { maxEndpoints: 5 })
  const overflowed: Endpoint[] = []
  e.on('overflow', ({ endpoint }) => overflowed.push(endpoint))
  const summary = await e.run([ep('4.0.0.1:1000')])
  assert.equal(summary.discovered, 5)
  assert.equal(summary.tried, 5)
  assert.equal(summary.overflow, 16)
  assert.deepEqual(overflowed.map(formatEndpoint), many.slice(4))
  for (const k of many.slice(4)) assert.equal(net.count(k), 0)
})

test('refused addresses are recorded as skipped and never dialed', async () => {
  const onion = `${'b'.repeat(56)}.onion:1000`
  const net = new FakeNet({
    '5.0.0.1:1000': { knows: ['10.0.0.1:1000', '192.168.1.1:1000', onion, '6.6.6.6:1000', '[fe80::1]:1000', '5.0.0.2:1000'] },
    '5.0.0.2:1000': { knows: ['10.0.0.1:1000'] }
  })
  const e = engine(net, { policy: new AddressPolicy({ deny: ['6.0.0.0/8'] }) })
  const skipped = new Map<string, string | undefined>()
  e.on('discovered', (d) => { if (d.skipped !== undefined) skipped.set(formatEndpoint(d.endpoint), d.skipped) })
  const summary = await e.run([ep('5.0.0.1:1000')])
  assert.deepEqual(Object.fromEntries(skipped), {
    '10.0.0.1:1000': 'non-routable',
    '192.168.1.1:1000': 'non-routable',
    [onion]: 'not-dialable-type',
    '6.6.6.6:1000': 'denied',
    '[fe80::1]:1000': 'non-routable'
  })
  assert.deepEqual([...net.sessions.keys()].sort(), ['5.0.0.1:1000', '5.0.0.2:1000'])
  assert.deepEqual(summary.skipped, { 'non-routable': 3, denied: 1, 'not-dialable-type': 1 })
  assert.equal(summary.discovered, 7)
  assert.equal(summary.tried, 2)
  assert.equal(summary.untried, 0, 'a skipped endpoint is not an untried one')
  assertConsistent(summary)
})

test('new counts only endpoints the caller did not already know', async () => {
  const net = new FakeNet({ '7.0.0.1:1000': { knows: ['7.0.0.2:1000', '7.0.0.3:1000', '10.0.0.9:1000'] } })
  const summary = await engine(net, { known: new Set(['7.0.0.1:1000', '7.0.0.3:1000']) }).run([ep('7.0.0.1:1000')])
  assert.equal(summary.discovered, 4)
  assert.equal(summary.new, 2)
})

test('durationMs stops dialing and aborts sessions after the grace period', async () => {
  const slow = Array.from({ length: 10 }, (_, i) => `8.0.0.${i + 1}:1000`)
  const net = new FakeNet(Object.fromEntries(slow.map((k) => [k, { knows: [], delayMs: 60_000 }])))
  const started = Date.now()
  const summary = await engine(net, { concurrency: 4, durationMs: 50, graceMs: 30 }).run(slow.map(ep))
  const took = Date.now() - started
  assert.ok(took >= 75 && took < 20_000, `took ${took} ms (at least duration + grace; the upper bound is generous for a busy machine)`)
  assert.equal(summary.stoppedBy, 'duration')
  assert.equal(summary.sessions, 4, 'no dials after the stop')
  assert.equal(net.aborted, 4)
  assert.equal(summary.cancelled, 4)
  assert.equal(summary.tried, 0, 'a cancelled session says nothing about the peer')
  assert.equal(summary.untried, 10)
  assertConsistent(summary)
})

test('stop() lets in-flight sessions finish within the grace, then aborts the rest', async () => {
  const net = new FakeNet({
    '9.0.0.1:1000': { knows: ['9.0.0.2:1000', '9.0.0.3:1000', '9.0.0.4:1000', '9.0.0.5:1000'], delayMs: 1 },
    '9.0.0.2:1000': { knows: ['9.0.0.9:1000'], delayMs: 40 },
    '9.0.0.3:1000': { knows: [], delayMs: 40 },
    '9.0.0.4:1000': { knows: [], delayMs: 60_000 },
    '9.0.0.5:1000': { knows: [], delayMs: 1 }
  })
  const e = engine(net, { concurrency: 3, graceMs: 150 })
  e.on('session-start', ({ endpoint }) => { if (endpoint.host === '9.0.0.4') setImmediate(() => e.stop()) })
  const summary = await e.run([ep('9.0.0.1:1000')])
  assert.equal(summary.stoppedBy, 'stop')
  assert.equal(net.count('9.0.0.5:1000'), 0, 'queued endpoints are not dialed after stop')
  assert.equal(net.count('9.0.0.9:1000'), 0, 'endpoints learned during the grace are not dialed')
  assert.equal(summary.reachable, 3, 'sessions that end within the grace count')
  assert.equal(summary.cancelled, 1)
  assert.equal(net.aborted, 1)
  assert.equal(summary.discovered, 6)
  assert.equal(summary.untried, 3)
  assertConsistent(summary)
})

test('a transient failure during the grace is not announced as a retry and is not retried', async () => {
  const net = new FakeNet({
    '9.1.0.1:1000': { fail: ['reset'], knows: [], delayMs: 30 },
    '9.1.0.2:1000': { knows: [], delayMs: 60_000 }
  })
  const e = engine(net, { concurrency: 2, retries: 3, retryBackoffMs: 1, graceMs: 100 })
  const retries: Array<number | undefined> = []
  e.on('session-end', ({ result, retryInMs }) => { if (result.endpoint.host === '9.1.0.1') retries.push(retryInMs) })
  e.on('session-start', ({ endpoint }) => { if (endpoint.host === '9.1.0.2') setImmediate(() => e.stop()) })
  const summary = await e.run([ep('9.1.0.1:1000'), ep('9.1.0.2:1000')])
  assert.deepEqual(retries, [undefined])
  assert.equal(net.count('9.1.0.1:1000'), 1)
  assert.deepEqual(summary.failed, { reset: 1 })
  assertConsistent(summary)
})

test('a failure reason the contract does not know counts as error, never as reachable', async () => {
  const net = new FakeNet({ '9.2.0.1:1000': { failAlways: 'gremlins' as FailureReason } })
  const summary = await engine(net).run([ep('9.2.0.1:1000')])
  assert.equal(summary.reachable, 0)
  assert.deepEqual(summary.failed, { error: 1 })
  assertConsistent(summary)
})

test('continuous mode revisits reachable peers and retries failed ones until stopped', async () => {
  const net = new FakeNet({
    '11.0.0.1:1000': { knows: ['11.0.0.2:1000', '11.0.0.3:1000'], delayMs: 2 },
    '11.0.0.2:1000': { knows: ['11.0.0.1:1000'], delayMs: 2 },
    '11.0.0.3:1000': { failAlways: 'refused', delayMs: 2 }
  })
  const e = engine(net, { continuous: true, revisitMs: 40, retryMs: 100, retries: 0 })
  // Stop once each reachable peer was visited three times and the failed one tried twice (an
  // event, not a wall-clock moment); the counts are then checked against the elapsed time.
  const ended = (k: string): number => (net.sessions.get(k) ?? []).filter((x) => x.end !== undefined).length
  e.on('session-end', () => {
    if (ended('11.0.0.1:1000') >= 3 && ended('11.0.0.2:1000') >= 3 && ended('11.0.0.3:1000') >= 2) setImmediate(() => e.stop())
  })
  const summary = await e.run([ep('11.0.0.1:1000')])
  const elapsed = summary.elapsedMs
  for (const k of ['11.0.0.1:1000', '11.0.0.2:1000']) {
    const n = net.count(k)
    // At most one visit per revisitMs (40 ms), plus the first and one in flight at the stop.
    assert.ok(n >= 3 && n <= Math.floor(elapsed / 40) + 2, `${k} visited ${n} times in ${elapsed} ms`)
    const starts = (net.sessions.get(k) ?? []).map((x) => x.start)
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1] >= 39, `${k} revisits wait revisitMs`)
  }
  const failedVisits = net.count('11.0.0.3:1000')
  assert.ok(failedVisits >= 2 && failedVisits <= Math.floor(elapsed / 100) + 2, `failed peer tried ${failedVisits} times in ${elapsed} ms`)
  assert.equal(net.overlapping, 0, 'never two sessions to one endpoint')
  assert.equal(summary.tried, 3)
  assert.equal(summary.reachable, 2)
  assert.deepEqual(summary.failed, { refused: 1 })
  assertConsistent(summary)
})

test('never two sessions to one endpoint, even when it is advertised while in flight', async () => {
  const hub = Array.from({ length: 30 }, (_, i) => `12.0.0.${i + 1}:1000`)
  // Everyone advertises everyone, including the slow one still in flight.
  const net = new FakeNet(Object.fromEntries(hub.map((k, i) => [k, { knows: hub, delayMs: i === 0 ? 80 : 2 }])))
  const e = engine(net, { concurrency: 10, continuous: true, revisitMs: 5, durationMs: 60_000, graceMs: 100 })
  // Stop once the slow one was visited twice and everyone once (durationMs is only an upper bound).
  e.on('session-end', () => { if (net.count(hub[0]) >= 2 && hub.every((k) => net.count(k) >= 1)) setImmediate(() => e.stop()) })
  const summary = await e.run(hub.map(ep))
  assert.equal(summary.stoppedBy, 'stop')
  assert.equal(net.overlapping, 0)
  assert.ok(net.count(hub[0]) >= 2)
  assert.equal(summary.tried, 30)
})

test('a listener that throws ends the run with its error', async () => {
  const { net, all } = randomNet(50, 1)
  const e = engine(net, { concurrency: 4 })
  let ends = 0
  e.on('session-end', () => { if (++ends === 3) throw new Error('disk full') })
  await assert.rejects(e.run([ep(all[0])]), /disk full/)
  assert.ok(ends < 10, `stopped promptly (${ends} sessions ended)`)
  assert.equal(net.inFlight, 0)
})
