// The chain-agnostic discovery engine: a frontier of endpoints, deduplicated by adapter.key,
// dialed through adapter.runSession until every known endpoint has been tried (or the duration
// ends, or stop() is called). It knows only the adapter contract. Scheduling follows
// docs/design.md §1: one lane per address-type class (lanes.ts), three dial tiers inside each
// lane, retries that never push back the end of a finite crawl, no new dials while the event
// loop lags, and EMFILE taken as back-pressure.
import { EventEmitter, getEventListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import {
  FAILURE_REASONS, type Adapter, type AddressType, type Dial, type Endpoint, type LearnedAddress, type Network,
  type SessionLimits, type SessionResult, type SessionTimeouts
} from '../contract.js'
import { describeError } from '../errors.js'
import { SKIP_REASONS, type AddressPolicy, type SkipReason } from '../net/policy.js'
import {
  DEFAULT_GRACE_MS, DEFAULT_LIMITS, DEFAULT_MAX_ENDPOINTS, DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF_MS, DEFAULT_RETRY_MS,
  DEFAULT_REVISIT_MS, EVICTION_SAMPLE, FRESH_ADVERTISEMENT_S, FRESH_ADVERTISERS,
  ADVERTISED_FLUSH_MS, DIAL_BATCH, LAG_BACKOFF_MS, LAG_CPU_SHARE, LAG_DIALS, LAG_RECHECK_MS, SESSION_SLACK_MS, TRANSIENT_FAILURES
} from './defaults.js'
import {
  DueHeap, FLAG_REACHED, FLAG_SEED, Frontier, IndexQueue, IN_FLIGHT, QUEUED, REACHABLE, SETTLED, SKIPPED, TIERS,
  TIER_FRESH, TIER_KNOWN, TIER_REST, UNTRIED, WAITING, failedOutcome
} from './frontier.js'
import { LANES, laneOf, resolveLanes, type LaneName, type LaneOverride } from './lanes.js'
import { chooseConcurrency } from './limits.js'
import { AdvertisementTally, sanitiseAdvertisedTime, type AdvertisementSum } from './advertisements.js'

/** Without `dialers` (library use, tests), these go over the session's own TCP; every other type has no route. */
export const DIRECT_TYPES: ReadonlySet<AddressType> = new Set(['ipv4', 'ipv6'])
const NO_ROUTE = { dial: false, reason: 'no-route' } as const

export interface EngineOptions {
  adapter: Adapter
  network: Network
  policy: AddressPolicy
  /** The global cap on open sessions. Default: from the open-file limit (limits.ts). */
  concurrency?: number
  /** Clearnet (and CJDNS) phase timeouts; unset phases take the adapter's defaults. */
  timeouts?: Partial<SessionTimeouts>
  /** Per-lane caps and timeouts (--lane). */
  lanes?: Partial<Record<LaneName, LaneOverride>>
  /** Tor proxies in use: the onion lane's cap is per proxy. */
  onionProxies?: number
  /**
   * How to reach each address type (docs/design.md §3; src/net/dialers/router.ts builds it from
   * the proxy flags). A type the adapter speaks but with no dialer here is recorded and skipped
   * with reason 'no-route'. Absent: ipv4 and ipv6 over the session's own TCP.
   */
  dialers?: Partial<Record<AddressType, Dial>>
  limits?: Partial<SessionLimits>
  /** Extra sessions after a transient failure. */
  retries?: number
  retryBackoffMs?: number
  maxEndpoints?: number
  /** Stop (gracefully) after this long. */
  durationMs?: number
  /** Keep going until stop(): revisit reachable peers and retry failed ones. */
  continuous?: boolean
  revisitMs?: number
  retryMs?: number
  /** How long in-flight sessions may finish after stop() before they are aborted. */
  graceMs?: number
  userAgent: string
  /** Keys (adapter.key) already known from earlier runs; the rest count as new. */
  known?: { has (key: string): boolean }
  /** Keys reachable in an earlier run: dialed first (tier 1), never evicted. */
  reachableBefore?: { has (key: string): boolean }
  /** Event-loop lag (src/engine/lag.ts LagMonitor): new dials are throttled while lagMs > 100 and cpuShare < 0.75 (docs/design.md §1.5). */
  lag?: { readonly lagMs: number, readonly cpuShare?: number }
  /** Where mappedAfterMs counts from, ms since the epoch. Default: the process's start. */
  originMs?: number
}

export interface DiscoveredEvent {
  endpoint: Endpoint
  /** The peer that advertised it; null for a seed. */
  from: Endpoint | null
  /** false for a seed the frontier already held; repeated advertisements come summed as `advertised`. */
  first: boolean
  /** Set when the endpoint will not be dialed (policy, or no route for its type). */
  skipped?: SkipReason
  /** The advertiser's "last seen" time for it, unix seconds, as claimed. */
  time?: number
  /** Services it was advertised with, decimal string. */
  services?: string
}

/** An endpoint advertised again (not for the first time) by `count` sessions since the last such event. */
export interface AdvertisedEvent extends AdvertisementSum {
  endpoint: Endpoint
}

export interface SessionEndEvent {
  result: SessionResult
  /** 1 for the first session to this endpoint in this run, 2 for the next, … */
  attempt: number
  /** Set when the engine will try this endpoint again after a transient failure. */
  retryInMs?: number
}

export interface CrawlSummary {
  /** Distinct held endpoints with at least one finished (not cancelled) session. */
  tried: number
  /** Tried endpoints whose last session completed a handshake. */
  reachable: number
  /** Tried endpoints whose last session failed, by reason. tried = reachable + sum(failed). */
  failed: Record<string, number>
  /** Held endpoints not dialed, by reason (policy, or 'no-route'). */
  skipped: Record<string, number>
  /** Skipped for 'no-route', by address type. */
  noRoute: Record<string, number>
  /** Distinct endpoints held at the end: seeds and learned, skipped included, overflow and evicted not. */
  discovered: number
  /** Discovered endpoints not in `known`. */
  new: number
  /** Advertisements dropped because maxEndpoints was reached and nothing held was less promising. */
  overflow: number
  /** Never-reached endpoints evicted at maxEndpoints to make room for more promising ones. */
  evicted: number
  /** Dialable endpoints never tried (the run stopped first). */
  untried: number
  /** Sessions run, retries and cancelled ones included. */
  sessions: number
  /** Sessions aborted by stop() before a handshake; their endpoints keep their earlier outcome. */
  cancelled: number
  /** Retries not run because nothing else was left to do (a finite crawl never waits for one). */
  retriesDropped: number
  /** Sessions that hit the open-file limit (EMFILE/ENFILE) and were put back: back-pressure, not failure. */
  fdBackpressure: number
  /** Sessions at once at the end (lowered on EMFILE). */
  concurrency: number
  /** Time new dials were throttled because the event loop lagged (docs/design.md §1.5). */
  lagBackoffMs: number
  /** From the process's start to the handshake of the last peer that ended up reachable; null when none did. */
  mappedAfterMs: number | null
  elapsedMs: number
  sessionsPerSecond: number
  stoppedBy: 'exhausted' | 'duration' | 'stop'
}

/** Live counts for the progress display. */
export interface EngineStats {
  tried: number
  reachable: number
  inFlight: number
  queued: number
  sessions: number
  discovered: number
}

export interface EngineEvents {
  discovered: [DiscoveredEvent]
  /** Repeated advertisements of held endpoints, summed per endpoint (src/engine/advertisements.ts): about once a second, before an eviction and before `done`. */
  advertised: [AdvertisedEvent]
  'session-start': [{ endpoint: Endpoint, attempt: number }]
  'session-end': [SessionEndEvent]
  overflow: [{ endpoint: Endpoint, from: Endpoint | null }]
  /** One line worth telling the user (e.g. concurrency lowered at the open-file limit). */
  notice: [string]
  done: [CrawlSummary]
}

interface Lane {
  name: LaneName
  cap: number
  timeouts: SessionTimeouts
  limits: SessionLimits
  inFlight: number
  /** Endpoints in state QUEUED in this lane (the queues may also hold stale entries). */
  queued: number
  /** One FIFO per tier. */
  queues: IndexQueue[]
}

/** After EMFILE, an endpoint goes back to the queue after this long (flagged: not a retry, never dropped). */
const FD_BACKOFF_MS = 1000
const FLAG_DEFERRED = 4
const FD_ERROR = /\b(EMFILE|ENFILE)\b/
const TYPES: readonly AddressType[] = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'yggdrasil']

export class CrawlEngine extends EventEmitter<EngineEvents> {
  private readonly o: Required<Pick<EngineOptions, 'retries' | 'retryBackoffMs' | 'maxEndpoints' | 'continuous' | 'revisitMs' | 'retryMs' | 'graceMs'>> & EngineOptions
  private readonly timeouts: SessionTimeouts
  private readonly lanes: Lane[]
  private readonly laneIndex: Record<LaneName, number>
  private readonly frontier = new Frontier()
  /** Repeated advertisements since the last 'advertised' events, per frontier slot. */
  private readonly tally = new AdvertisementTally()
  /** Receipt time of the addresses being learned (set once per batch). */
  private learnedAtMs = 0
  private tallyTimer: NodeJS.Timeout | undefined
  private readonly due = new DueHeap()
  /** One controller per running session: a signal shared by thousands of sessions makes every add and remove of its listener scan them all. */
  private readonly sessionAborts = new Set<AbortController>()
  /** Controllers of ended sessions, never aborted and with no listener left: reused, since a million sessions would otherwise make a million. */
  private readonly idleAborts: AbortController[] = []
  private readonly originMs: number

  private cap: number
  private inFlight = 0
  private sessions = 0
  private cancelled = 0
  private overflow = 0
  private evicted = 0
  private evictCursor = 0
  private retriesDropped = 0
  private fdBackpressure = 0
  private discoveredNew = 0
  private tried = 0
  private reachable = 0
  private nextLane = 0
  /** Sessions started in this event-loop turn (DIAL_BATCH); reset by `turnEnd`. */
  private startedThisTurn = 0
  private turnEnd: NodeJS.Immediate | undefined
  private readonly failed = new Array<number>(FAILURE_REASONS.length).fill(0)
  private readonly skipped = new Array<number>(SKIP_REASONS.length).fill(0)
  private readonly noRoute = new Array<number>(TYPES.length).fill(0)

  private startedAt = 0
  private running = false
  private stopping = false
  private stoppedBy: CrawlSummary['stoppedBy'] = 'exhausted'
  private fatal: unknown
  private dueTimer: NodeJS.Timeout | undefined
  private dueTimerAt = Infinity
  private lagTimer: NodeJS.Timeout | undefined
  private lagBackoffMs = 0
  /** Sessions that may still start in this lag period (LAG_DIALS when the loop keeps up). */
  private lagBudget = LAG_DIALS
  private durationTimer: NodeJS.Timeout | undefined
  private graceTimer: NodeJS.Timeout | undefined
  private settle: { resolve: (s: CrawlSummary) => void, reject: (e: unknown) => void } | undefined

  constructor (options: EngineOptions) {
    super()
    this.o = {
      retries: DEFAULT_RETRIES,
      retryBackoffMs: DEFAULT_RETRY_BACKOFF_MS,
      maxEndpoints: DEFAULT_MAX_ENDPOINTS,
      continuous: false,
      revisitMs: DEFAULT_REVISIT_MS,
      retryMs: DEFAULT_RETRY_MS,
      graceMs: DEFAULT_GRACE_MS,
      ...definedOnly(options),
      adapter: options.adapter,
      network: options.network,
      policy: options.policy,
      userAgent: options.userAgent
    }
    this.cap = options.concurrency ?? chooseConcurrency(undefined).concurrency
    this.originMs = options.originMs ?? performance.timeOrigin
    this.timeouts = { ...options.adapter.defaults.timeouts, ...definedOnly(options.timeouts ?? {}) }
    const settings = resolveLanes({ timeouts: this.timeouts, concurrency: this.cap, onionProxies: options.onionProxies, overrides: options.lanes })
    const baseLimits: SessionLimits = { ...DEFAULT_LIMITS, ...definedOnly(options.adapter.defaults.limits ?? {}) }
    this.lanes = LANES.map((name): Lane => {
      const { concurrency, timeouts } = settings[name]
      const phases = timeouts.connectMs + timeouts.handshakeMs + timeouts.askPeersMs
      // Longer phase timeouts must not be cut short by the default wall-time cap.
      const limits = { ...baseLimits, maxSessionMs: Math.max(baseLimits.maxSessionMs, phases + SESSION_SLACK_MS), ...definedOnly(options.limits ?? {}) }
      return { name, cap: concurrency, timeouts, limits, inFlight: 0, queued: 0, queues: Array.from({ length: TIERS }, () => new IndexQueue()) }
    })
    this.laneIndex = Object.fromEntries(LANES.map((n, k) => [n, k])) as Record<LaneName, number>
  }

  /** Crawl from `seeds` until done; resolves with the summary (also emitted as `done`). */
  run (seeds: readonly Endpoint[]): Promise<CrawlSummary> {
    if (this.running) throw new Error('CrawlEngine.run() called twice')
    this.running = true
    this.startedAt = Date.now()
    const finished = new Promise<CrawlSummary>((resolve, reject) => { this.settle = { resolve, reject } })
    if (this.o.durationMs !== undefined) {
      this.durationTimer = setTimeout(() => this.stop('duration'), this.o.durationMs)
    }
    this.tallyTimer = setInterval(() => this.flushAdvertisements(), ADVERTISED_FLUSH_MS)
    this.tallyTimer.unref()
    for (const seed of seeds) this.learn(seed, null)
    this.pump()
    return finished
  }

  /** No new dials; in-flight sessions get graceMs, then their signal fires. Resolves run() once they end. */
  stop (by: 'duration' | 'stop' = 'stop', graceMs = this.o.graceMs): void {
    if (this.stopping) return
    this.stopping = true
    this.stoppedBy = by
    clearTimeout(this.dueTimer)
    clearTimeout(this.durationTimer)
    clearTimeout(this.lagTimer)
    if (this.inFlight > 0) this.graceTimer = setTimeout(() => this.abortSessions(), graceMs)
    this.maybeFinish()
  }

  stats (): EngineStats {
    return {
      tried: this.tried,
      reachable: this.reachable,
      inFlight: this.inFlight,
      queued: this.queuedTotal() + this.due.length,
      sessions: this.sessions,
      discovered: this.frontier.size
    }
  }

  /** The effective global cap and each lane's settings (for the log and the summary). */
  settings (): { concurrency: number, lanes: Record<LaneName, { concurrency: number, timeouts: SessionTimeouts }> } {
    return {
      concurrency: this.cap,
      lanes: Object.fromEntries(this.lanes.map((l) => [l.name, { concurrency: l.cap, timeouts: { ...l.timeouts } }])) as Record<LaneName, { concurrency: number, timeouts: SessionTimeouts }>
    }
  }

  private queuedTotal (): number {
    let n = 0
    for (const lane of this.lanes) n += lane.queued
    return n
  }

  private laneFor (i: number): Lane {
    return this.lanes[this.laneIndex[laneOf(this.frontier.type(i))]]
  }

  /** Take in an endpoint from a seed list or a peer's address answer. */
  private learn (endpoint: Endpoint, from: Endpoint | null, knownKey?: string, time?: number, services?: string): void {
    const f = this.frontier
    const key = knownKey ?? this.o.adapter.key(endpoint)
    const held = f.indexOf(key)
    if (held !== undefined) {
      if (from === null) {
        this.emitSafely('discovered', { endpoint, from, first: false, skipped: f.state[held] === SKIPPED ? f.skipReason(held) : undefined })
        return
      }
      if (f.advertisements[held] < 255) f.advertisements[held]++
      // Lazy promotion (docs/design.md §1.4): a second entry in the better tier; the old one is skipped at pop.
      if (f.state[held] === QUEUED && f.tier[held] > TIER_FRESH && (f.advertisements[held] >= FRESH_ADVERTISERS || isFresh(time, this.learnedAtMs))) {
        f.tier[held] = TIER_FRESH
        this.laneFor(held).queues[TIER_FRESH].push(held)
      }
      // Reported in bulk ('advertised'), not one event per repeat (docs/design.md §1.7).
      this.tally.add(held, this.learnedAtMs, time, services)
      return
    }
    const seed = from === null || this.o.reachableBefore?.has(key) === true
    const tier = seed ? TIER_KNOWN : isFresh(time, this.learnedAtMs) ? TIER_FRESH : TIER_REST
    // No route comes before the ranges: the notice then names the flag that would dial it.
    const routed = this.o.dialers === undefined ? DIRECT_TYPES.has(endpoint.type) : this.o.dialers[endpoint.type] !== undefined
    const verdict = !routed && this.o.adapter.dialableTypes.includes(endpoint.type)
      ? NO_ROUTE
      : this.o.policy.classify(endpoint, this.o.adapter.dialableTypes)

    let i: number
    if (f.size < this.o.maxEndpoints) {
      i = f.add(key, endpoint, SETTLED)
    } else {
      // Full: make room by evicting something less promising than the newcomer, or drop the newcomer.
      const victim = verdict.dial ? this.findVictim(promise(tier, seed)) : -1
      if (victim < 0) {
        this.overflow++
        this.emitSafely('overflow', { endpoint, from })
        return
      }
      this.forget(victim)
      f.replace(victim, key, endpoint, SETTLED)
      i = victim
    }
    if (this.o.known?.has(key) !== true) this.discoveredNew++
    f.tier[i] = tier
    if (seed) f.flags[i] |= FLAG_SEED
    if (from !== null) f.advertisements[i] = 1
    if (!verdict.dial) {
      f.state[i] = SKIPPED
      f.outcome[i] = SKIP_REASONS.indexOf(verdict.reason)
      this.skipped[f.outcome[i]]++
      if (verdict.reason === 'no-route') this.noRoute[TYPES.indexOf(endpoint.type)]++
      this.emitSafely('discovered', { endpoint, from, first: true, skipped: verdict.reason, time, services })
      return
    }
    this.enqueue(i)
    this.emitSafely('discovered', { endpoint, from, first: true, time, services })
  }

  /** Sample held endpoints from a rotating cursor; the least promising one below `than`, or -1. */
  private findVictim (than: number): number {
    const f = this.frontier
    let best = -1
    let bestScore = than
    for (let k = 0; k < EVICTION_SAMPLE; k++) {
      const i = this.evictCursor
      this.evictCursor = (this.evictCursor + 1) % f.size
      const score = this.evictionScore(i)
      if (score < bestScore) {
        best = i
        bestScore = score
        if (score === 0) break
      }
    }
    return best
  }

  /** Lower = evicted first. Never: in flight, a seed, reachable before or in this run. */
  private evictionScore (i: number): number {
    const f = this.frontier
    const state = f.state[i]
    if (state === IN_FLIGHT || (f.flags[i] & (FLAG_SEED | FLAG_REACHED)) !== 0) return Infinity
    if (state === SKIPPED) return 0
    if (f.outcome[i] === REACHABLE) return Infinity
    if (f.outcome[i] !== UNTRIED) return 1 // tried and failed, never reached
    return f.tier[i] === TIER_REST ? 2 : 3 // untried
  }

  /** Take an evicted endpoint out of every count and queue (its queue entries go stale). */
  private forget (i: number): void {
    const f = this.frontier
    const sum = this.tally.take(i)
    if (sum !== undefined) this.emitAdvertised(i, sum)
    if (f.state[i] === SKIPPED) {
      this.skipped[f.outcome[i]]--
      if (SKIP_REASONS[f.outcome[i]] === 'no-route') this.noRoute[TYPES.indexOf(f.type(i))]--
    } else {
      if (f.state[i] === QUEUED) this.laneFor(i).queued--
      if (f.outcome[i] !== UNTRIED) {
        this.tried--
        this.failed[f.outcome[i] - 2]--
      }
    }
    this.evicted++
  }

  private enqueue (i: number): void {
    const f = this.frontier
    const lane = this.laneFor(i)
    f.state[i] = QUEUED
    lane.queued++
    lane.queues[f.tier[i]].push(i)
  }

  /** The next endpoint of a lane, best tier first, skipping stale entries; -1 when none. */
  private take (lane: Lane): number {
    const f = this.frontier
    for (let t = 0; t < TIERS; t++) {
      const q = lane.queues[t]
      while (q.length > 0) {
        const i = q.shift()
        if (f.state[i] === QUEUED && f.tier[i] === t && this.laneFor(i) === lane) {
          lane.queued--
          return i
        }
      }
    }
    return -1
  }

  /** Start sessions while there are slots and queued endpoints; finish when nothing is left. */
  private pump (): void {
    // While the event loop lags because other processes hold the CPU, new sessions are throttled
    // to LAG_DIALS per LAG_RECHECK_MS, so that more sessions do not pile up behind a starved loop.
    // A lag of our own work (we had the core) is not throttled: the work is the crawl, and the
    // phase timers credit lateness (§1.5). A throttle, not a stop: sessions waiting on a
    // black-holed SYN cost no CPU, and a lag other processes cause must not stall the crawl.
    const lagging = this.o.lag !== undefined && this.o.lag.lagMs > LAG_BACKOFF_MS && (this.o.lag.cpuShare ?? 0) < LAG_CPU_SHARE
    if (!lagging) this.lagBudget = LAG_DIALS
    let progressed = true
    while (!this.stopping && this.inFlight < this.cap && progressed && this.startedThisTurn < DIAL_BATCH && this.lagBudget > 0) {
      progressed = false
      // Round robin over lanes: each lane within its own cap, all within the global one.
      for (let k = 0; k < this.lanes.length && this.inFlight < this.cap && this.startedThisTurn < DIAL_BATCH && this.lagBudget > 0; k++) {
        const lane = this.lanes[(this.nextLane + k) % this.lanes.length]
        if (lane.inFlight >= lane.cap || lane.queued === 0) continue
        const i = this.take(lane)
        if (i < 0) continue
        if (lagging) this.lagBudget--
        this.startSession(i, lane)
        progressed = true
      }
      this.nextLane = (this.nextLane + 1) % this.lanes.length
    }
    if (lagging && this.lagBudget === 0 && !this.stopping && this.lagTimer === undefined && this.queuedTotal() > 0) {
      const since = Date.now()
      this.lagTimer = setTimeout(() => {
        this.lagTimer = undefined
        this.lagBackoffMs += Date.now() - since
        this.lagBudget = LAG_DIALS
        this.pump()
      }, LAG_RECHECK_MS)
    }
    this.maybeFinish()
  }

  private startSession (i: number, lane: Lane): void {
    // Pacing: the I/O of sessions already started (their connects, refusals, answers) is handled
    // between batches, so a burst never lets their phase timers fire before their events are read.
    if (this.startedThisTurn++ === 0) {
      this.turnEnd = setImmediate(() => {
        this.turnEnd = undefined
        this.startedThisTurn = 0
        this.pump()
      })
    }
    const f = this.frontier
    const endpoint = f.endpoint(i)
    const attempt = ++f.sessions[i]
    f.state[i] = IN_FLIGHT
    this.inFlight++
    lane.inFlight++
    this.sessions++
    this.emitSafely('session-start', { endpoint, attempt })
    const abort = this.idleAborts.pop() ?? new AbortController()
    this.sessionAborts.add(abort)
    const startedAt = Date.now()
    let ended = false
    // Learned addresses enter the frontier as they arrive (docs/design.md §1.1).
    const onLearned = (batch: LearnedAddress[]): void => {
      if (ended) return
      this.learnedAtMs = Date.now()
      for (const l of batch) this.learn(l.endpoint, endpoint, l.key, l.time, l.services)
      this.pump()
    }
    let session: Promise<SessionResult>
    try {
      const dial = this.o.dialers?.[endpoint.type]
      session = this.o.adapter.runSession(endpoint, {
        network: this.o.network,
        timeouts: lane.timeouts,
        limits: lane.limits,
        signal: abort.signal,
        userAgent: this.o.userAgent,
        onLearned,
        ...(dial !== undefined ? { dial } : {})
      })
    } catch (err) {
      session = Promise.reject(err)
    }
    // runSession never throws by contract; a broken adapter still must not wedge the engine.
    session
      .catch((err: unknown): SessionResult => ({ endpoint, ok: false, reason: 'error', detail: describeError(err), learned: [], addressesReceived: 0 }))
      .then((result) => {
        ended = true
        this.sessionAborts.delete(abort)
        // An adapter that left its listener behind gets no reuse: the listeners would pile up.
        if (!abort.signal.aborted && this.idleAborts.length < this.cap && getEventListeners(abort.signal, 'abort').length === 0) {
          this.idleAborts.push(abort)
        }
        this.endSession(i, lane, attempt, startedAt, result)
      })
      .catch((err: unknown) => this.fail(err))
  }

  /** Hand the tallied repeats on as 'advertised' events. */
  private flushAdvertisements (): void {
    if (this.tally.size > 0) this.tally.drain((i, sum) => this.emitAdvertised(i, sum))
  }

  private emitAdvertised (i: number, sum: AdvertisementSum): void {
    this.emitSafely('advertised', { endpoint: this.frontier.endpoint(i), ...sum })
  }

  private abortSessions (): void {
    for (const abort of this.sessionAborts) abort.abort()
  }

  private endSession (i: number, lane: Lane, attempt: number, startedAt: number, result: SessionResult): void {
    const f = this.frontier
    this.inFlight--
    lane.inFlight--
    const now = Date.now()
    if (!result.ok && result.reason !== 'cancelled' && FD_ERROR.test(result.detail ?? '')) {
      this.backpressure(i)
      return
    }
    let retryInMs: number | undefined
    if (!result.ok && result.reason === 'cancelled') {
      // Says nothing about the peer: keep its earlier outcome.
      this.cancelled++
      f.state[i] = SETTLED
    } else {
      this.count(i, result.ok ? REACHABLE : failedOutcome(result.reason ?? 'error'))
      if (result.ok) {
        f.failuresInRow[i] = 0
        if (f.reachedAt[i] === 0) {
          f.reachedAt[i] = Math.min(now, startedAt + (result.connectMs ?? 0) + (result.handshakeMs ?? 0))
          f.flags[i] |= FLAG_REACHED
        }
        this.schedule(i, this.o.continuous ? now + this.o.revisitMs : undefined)
      } else {
        f.failuresInRow[i] = Math.min(255, f.failuresInRow[i] + 1)
        // After stop() nothing is planned: a retry announced now would never happen.
        if (!this.stopping && TRANSIENT_FAILURES.has(result.reason ?? 'error') && f.failuresInRow[i] <= this.o.retries) {
          retryInMs = this.o.retryBackoffMs * 2 ** (f.failuresInRow[i] - 1)
          this.schedule(i, now + retryInMs)
        } else if (this.o.continuous) {
          f.failuresInRow[i] = 0
          this.schedule(i, now + this.o.retryMs)
        } else {
          this.schedule(i, undefined)
        }
      }
    }
    this.emitSafely('session-end', { result, attempt, retryInMs })
    // Sessions that do not call onLearned hand everything over at the end.
    this.learnedAtMs = now
    for (const learned of result.learned) this.learn(learned.endpoint, result.endpoint, learned.key, learned.time, learned.services)
    this.pump()
  }

  /** EMFILE/ENFILE: the process is out of descriptors. Not the peer's fault: lower the cap to what is open, try it again later. */
  private backpressure (i: number): void {
    const f = this.frontier
    f.sessions[i]--
    this.sessions--
    this.fdBackpressure++
    const lowered = Math.max(1, this.inFlight)
    if (lowered < this.cap) {
      this.emitSafely('notice', `open-file limit reached (EMFILE) with ${this.inFlight + 1} sessions open: concurrency lowered from ${this.cap} to ${lowered}`)
      this.cap = lowered
    }
    if (this.stopping) {
      f.state[i] = SETTLED
    } else {
      f.flags[i] |= FLAG_DEFERRED
      this.schedule(i, Date.now() + FD_BACKOFF_MS)
    }
    this.pump()
  }

  /** Move the endpoint's counted outcome from the old bucket to the new one. */
  private count (i: number, outcome: number): void {
    const f = this.frontier
    const old = f.outcome[i]
    if (old === UNTRIED) this.tried++
    else if (old === REACHABLE) this.reachable--
    else this.failed[old - 2]--
    if (outcome === REACHABLE) this.reachable++
    else this.failed[outcome - 2]++
    f.outcome[i] = outcome
  }

  /** Plan the endpoint's next session at `dueAt`, or none. */
  private schedule (i: number, dueAt: number | undefined): void {
    const f = this.frontier
    if (dueAt === undefined || this.stopping) {
      f.state[i] = SETTLED
      return
    }
    f.state[i] = WAITING
    f.dueAt[i] = dueAt
    this.due.push(i, dueAt)
    this.armDueTimer()
  }

  private armDueTimer (): void {
    const next = this.due.peekDue()
    if (next >= this.dueTimerAt) return
    clearTimeout(this.dueTimer)
    this.dueTimerAt = next
    this.dueTimer = setTimeout(() => {
      this.dueTimerAt = Infinity
      const now = Date.now()
      const f = this.frontier
      while (this.due.peekDue() <= now) {
        const due = this.due.peekDue()
        const i = this.due.pop()
        // A stale entry: evicted and reused, or planned again since.
        if (f.state[i] !== WAITING || f.dueAt[i] !== due) continue
        f.flags[i] &= ~FLAG_DEFERRED
        this.enqueue(i)
      }
      this.armDueTimer()
      this.pump()
    }, Math.max(0, next - Date.now()))
  }

  /** A finite crawl with nothing left but retries: drop them (a retry never pushes back the end). */
  private dropRetries (): void {
    const f = this.frontier
    const keep: Array<[number, number]> = []
    while (this.due.length > 0) {
      const due = this.due.peekDue()
      const i = this.due.pop()
      if (f.state[i] !== WAITING || f.dueAt[i] !== due) continue
      if ((f.flags[i] & FLAG_DEFERRED) !== 0) {
        keep.push([i, due])
        continue
      }
      f.state[i] = SETTLED
      this.retriesDropped++
    }
    for (const [i, due] of keep) this.due.push(i, due)
    if (keep.length === 0) {
      clearTimeout(this.dueTimer)
      this.dueTimerAt = Infinity
    }
  }

  private maybeFinish (): void {
    if (this.settle === undefined || this.inFlight > 0) return
    if (!this.stopping && !this.o.continuous && this.queuedTotal() === 0 && this.due.length > 0) this.dropRetries()
    const exhausted = this.queuedTotal() === 0 && this.due.length === 0 && !this.o.continuous
    if (!this.stopping && !exhausted) return
    clearTimeout(this.dueTimer)
    clearTimeout(this.durationTimer)
    clearTimeout(this.graceTimer)
    clearTimeout(this.lagTimer)
    clearImmediate(this.turnEnd)
    clearInterval(this.tallyTimer)
    this.flushAdvertisements()
    const settle = this.settle
    this.settle = undefined
    if (this.fatal !== undefined) {
      settle.reject(this.fatal)
      return
    }
    const summary = this.summary()
    try {
      this.emit('done', summary)
    } catch (err) {
      settle.reject(err)
      return
    }
    settle.resolve(summary)
  }

  private summary (): CrawlSummary {
    const f = this.frontier
    const elapsedMs = Date.now() - this.startedAt
    const byReason = (counts: number[], names: readonly string[]): Record<string, number> =>
      Object.fromEntries(names.map((n, k): [string, number] => [n, counts[k]]).filter(([, c]) => c > 0))
    // Every held endpoint is skipped, tried (counted once, when its outcome leaves UNTRIED) or untried.
    const untried = f.size - this.skipped.reduce((a, b) => a + b, 0) - this.tried
    let lastReachedAt = 0
    for (let i = 0; i < f.size; i++) {
      if (f.outcome[i] === REACHABLE && f.state[i] !== SKIPPED && f.reachedAt[i] > lastReachedAt) lastReachedAt = f.reachedAt[i]
    }
    return {
      tried: this.tried,
      reachable: this.reachable,
      failed: byReason(this.failed, FAILURE_REASONS),
      skipped: byReason(this.skipped, SKIP_REASONS),
      noRoute: byReason(this.noRoute, TYPES),
      discovered: f.size,
      new: this.discoveredNew,
      overflow: this.overflow,
      evicted: this.evicted,
      untried,
      sessions: this.sessions,
      cancelled: this.cancelled,
      retriesDropped: this.retriesDropped,
      fdBackpressure: this.fdBackpressure,
      concurrency: this.cap,
      lagBackoffMs: this.lagBackoffMs,
      mappedAfterMs: lastReachedAt === 0 ? null : Math.max(0, Math.round(lastReachedAt - this.originMs)),
      elapsedMs,
      sessionsPerSecond: elapsedMs > 0 ? Math.round(this.sessions / (elapsedMs / 1000) * 100) / 100 : 0,
      stoppedBy: this.stoppedBy
    }
  }

  /** A listener that throws (e.g. the store cannot write) ends the run with that error. */
  private emitSafely<K extends keyof EngineEvents> (event: K, ...args: EngineEvents[K]): void {
    try {
      // emit's own signature cannot relate a generic K to its tuple; this method's signature checks it.
      ;(this.emit as (e: K, ...a: EngineEvents[K]) => boolean)(event, ...args)
    } catch (err) {
      this.fail(err)
    }
  }

  private fail (err: unknown): void {
    this.fatal ??= err
    if (this.stopping) this.abortSessions()
    else this.stop('stop', 0)
  }
}

/** Eviction order of a newcomer (higher = more promising), on the scale of evictionScore. */
function promise (tier: number, seed: boolean): number {
  if (seed) return 4
  return tier === TIER_KNOWN ? 4 : tier === TIER_FRESH ? 3 : 2
}

/** A fresh advertisement (docs/design.md §1.4) when received, its time sanitised as Core's addr handling does. */
function isFresh (time: number | undefined, receivedAtMs: number): boolean {
  if (time === undefined) return false
  const nowS = receivedAtMs / 1000
  return nowS - sanitiseAdvertisedTime(time, nowS) <= FRESH_ADVERTISEMENT_S
}

/** `{ a: undefined }` spread over defaults would erase them: drop undefined values first. */
function definedOnly<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
