// The chain-agnostic discovery engine: a frontier of endpoints, deduplicated by adapter.key,
// dialed through adapter.runSession with a concurrency limit until every known endpoint has
// been tried (or the duration ends, or stop() is called). It knows only the adapter contract.
import { EventEmitter, getEventListeners } from 'node:events'
import { FAILURE_REASONS, type Adapter, type AddressType, type Dial, type Endpoint, type Network, type SessionLimits, type SessionResult, type SessionTimeouts } from '../contract.js'
import { describeError } from '../errors.js'
import { dialableTypesOf } from '../net/dialers/router.js'
import { SKIP_REASONS, type AddressPolicy, type SkipReason } from '../net/policy.js'
import {
  DEFAULT_CONCURRENCY, DEFAULT_GRACE_MS, DEFAULT_LIMITS, DEFAULT_MAX_ENDPOINTS, DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF_MS,
  DEFAULT_RETRY_MS, DEFAULT_REVISIT_MS, DEFAULT_TIMEOUTS, SESSION_SLACK_MS, TRANSIENT_FAILURES
} from './defaults.js'
import {
  DueHeap, Frontier, IndexQueue, IN_FLIGHT, QUEUED, REACHABLE, SETTLED, SKIPPED, UNTRIED, WAITING,
  failedOutcome
} from './frontier.js'

export interface EngineOptions {
  adapter: Adapter
  network: Network
  policy: AddressPolicy
  concurrency?: number
  timeouts?: Partial<SessionTimeouts>
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
  /** How each address type is dialed (src/net/dialers/router.ts); a type without one is recorded, not dialed. Absent: direct TCP for ipv4 and ipv6. */
  dialers?: Partial<Record<AddressType, Dial>>
}

export interface DiscoveredEvent {
  endpoint: Endpoint
  /** The peer that advertised it; null for a seed. */
  from: Endpoint | null
  /** false when the endpoint was already held (another peer advertised it again). */
  first: boolean
  /** Set when the policy refuses to dial it. */
  skipped?: SkipReason
}

export interface SessionEndEvent {
  result: SessionResult
  /** 1 for the first session to this endpoint in this run, 2 for the next, … */
  attempt: number
  /** Set when the engine will try this endpoint again after a transient failure. */
  retryInMs?: number
}

export interface CrawlSummary {
  /** Distinct endpoints with at least one finished (not cancelled) session. */
  tried: number
  /** Tried endpoints whose last session completed a handshake. */
  reachable: number
  /** Tried endpoints whose last session failed, by reason. tried = reachable + sum(failed). */
  failed: Record<string, number>
  /** Endpoints the policy refused, by reason. */
  skipped: Record<string, number>
  /** Distinct endpoints held: seeds and learned, skipped included, overflow not. */
  discovered: number
  /** Discovered endpoints not in `known`. */
  new: number
  /** Endpoints dropped because maxEndpoints was reached (counted per advertisement). */
  overflow: number
  /** Dialable endpoints never tried (the run stopped first). */
  untried: number
  /** Sessions run, retries and cancelled ones included. */
  sessions: number
  /** Sessions aborted by stop() before a handshake; their endpoints keep their earlier outcome. */
  cancelled: number
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
  'session-start': [{ endpoint: Endpoint, attempt: number }]
  'session-end': [SessionEndEvent]
  overflow: [{ endpoint: Endpoint, from: Endpoint | null }]
  done: [CrawlSummary]
}

export class CrawlEngine extends EventEmitter<EngineEvents> {
  private readonly o: Required<Omit<EngineOptions, 'durationMs' | 'known' | 'timeouts' | 'limits' | 'dialers'>> & Pick<EngineOptions, 'durationMs' | 'known' | 'dialers'>
  private readonly timeouts: SessionTimeouts
  private readonly limits: SessionLimits
  private readonly frontier = new Frontier()
  private readonly ready = new IndexQueue()
  private readonly due = new DueHeap(() => this.frontier.dueAt)
  /** One controller per running session: a signal shared by thousands of sessions makes every add and remove of its listener scan them all. */
  private readonly sessionAborts = new Set<AbortController>()
  /** Controllers of ended sessions, never aborted and with no listener left: reused, since a million sessions would otherwise make a million. */
  private readonly idleAborts: AbortController[] = []

  private inFlight = 0
  private sessions = 0
  private cancelled = 0
  private overflow = 0
  private discoveredNew = 0
  private tried = 0
  private reachable = 0
  private readonly failed = new Array<number>(FAILURE_REASONS.length).fill(0)
  private readonly skipped = new Array<number>(SKIP_REASONS.length).fill(0)

  private startedAt = 0
  private running = false
  private stopping = false
  private stoppedBy: CrawlSummary['stoppedBy'] = 'exhausted'
  private fatal: unknown
  private dueTimer: NodeJS.Timeout | undefined
  private dueTimerAt = Infinity
  private durationTimer: NodeJS.Timeout | undefined
  private graceTimer: NodeJS.Timeout | undefined
  private settle: { resolve: (s: CrawlSummary) => void, reject: (e: unknown) => void } | undefined

  /** Address types the adapter frames and a dialer reaches. */
  private readonly dialable: readonly AddressType[]

  constructor (options: EngineOptions) {
    super()
    this.o = {
      concurrency: DEFAULT_CONCURRENCY,
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
    this.dialable = dialableTypesOf(options.adapter.dialableTypes, options.dialers)
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...definedOnly(options.timeouts ?? {}) }
    const phases = this.timeouts.connectMs + this.timeouts.handshakeMs + this.timeouts.askPeersMs
    // Longer phase timeouts must not be cut short by the default wall-time cap.
    this.limits = { ...DEFAULT_LIMITS, maxSessionMs: Math.max(DEFAULT_LIMITS.maxSessionMs, phases + SESSION_SLACK_MS), ...definedOnly(options.limits ?? {}) }
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
    if (this.inFlight > 0) this.graceTimer = setTimeout(() => this.abortSessions(), graceMs)
    this.maybeFinish()
  }

  stats (): EngineStats {
    return {
      tried: this.tried,
      reachable: this.reachable,
      inFlight: this.inFlight,
      queued: this.ready.length + this.due.length,
      sessions: this.sessions,
      discovered: this.frontier.size
    }
  }

  /** Take in an endpoint from a seed list or a peer's address answer. */
  private learn (endpoint: Endpoint, from: Endpoint | null, knownKey?: string): void {
    const f = this.frontier
    const key = knownKey ?? this.o.adapter.key(endpoint)
    const known = f.indexOf(key)
    if (known !== undefined) {
      this.emitSafely('discovered', { endpoint, from, first: false, skipped: f.state[known] === SKIPPED ? f.skipReason(known) : undefined })
      return
    }
    if (f.size >= this.o.maxEndpoints) {
      this.overflow++
      this.emitSafely('overflow', { endpoint, from })
      return
    }
    if (this.o.known?.has(key) !== true) this.discoveredNew++
    const verdict = this.o.policy.classify(endpoint, this.dialable)
    if (!verdict.dial) {
      const i = f.add(key, endpoint, SKIPPED)
      f.outcome[i] = SKIP_REASONS.indexOf(verdict.reason)
      this.skipped[f.outcome[i]]++
      this.emitSafely('discovered', { endpoint, from, first: true, skipped: verdict.reason })
      return
    }
    this.ready.push(f.add(key, endpoint, QUEUED))
    this.emitSafely('discovered', { endpoint, from, first: true })
  }

  /** Start sessions while there are slots and queued endpoints; finish when nothing is left. */
  private pump (): void {
    while (!this.stopping && this.inFlight < this.o.concurrency && this.ready.length > 0) {
      this.startSession(this.ready.shift())
    }
    this.maybeFinish()
  }

  private startSession (i: number): void {
    const f = this.frontier
    const endpoint = f.endpoint(i)
    const attempt = ++f.sessions[i]
    f.state[i] = IN_FLIGHT
    this.inFlight++
    this.sessions++
    this.emitSafely('session-start', { endpoint, attempt })
    const abort = this.idleAborts.pop() ?? new AbortController()
    this.sessionAborts.add(abort)
    let session: Promise<SessionResult>
    try {
      session = this.o.adapter.runSession(endpoint, {
        network: this.o.network,
        timeouts: this.timeouts,
        limits: this.limits,
        signal: abort.signal,
        userAgent: this.o.userAgent,
        dial: this.o.dialers?.[endpoint.type]
      })
    } catch (err) {
      session = Promise.reject(err)
    }
    // runSession never throws by contract; a broken adapter still must not wedge the engine.
    session
      .catch((err: unknown): SessionResult => ({ endpoint, ok: false, reason: 'error', detail: describeError(err), learned: [], addressesReceived: 0 }))
      .then((result) => {
        this.sessionAborts.delete(abort)
        // An adapter that left its listener behind gets no reuse: the listeners would pile up.
        if (!abort.signal.aborted && this.idleAborts.length < this.o.concurrency && getEventListeners(abort.signal, 'abort').length === 0) {
          this.idleAborts.push(abort)
        }
        this.endSession(i, attempt, result)
      })
      .catch((err: unknown) => this.fail(err))
  }

  private abortSessions (): void {
    for (const abort of this.sessionAborts) abort.abort()
  }

  private endSession (i: number, attempt: number, result: SessionResult): void {
    const f = this.frontier
    this.inFlight--
    const now = Date.now()
    let retryInMs: number | undefined
    if (!result.ok && result.reason === 'cancelled') {
      // Says nothing about the peer: keep its earlier outcome.
      this.cancelled++
      f.state[i] = SETTLED
    } else {
      this.count(i, result.ok ? REACHABLE : failedOutcome(result.reason ?? 'error'))
      if (result.ok) {
        f.failuresInRow[i] = 0
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
    for (const learned of result.learned) this.learn(learned.endpoint, result.endpoint, learned.key)
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
    this.due.push(i)
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
      while (this.due.peekDue() <= now) {
        const i = this.due.pop()
        this.frontier.state[i] = QUEUED
        this.ready.push(i)
      }
      this.armDueTimer()
      this.pump()
    }, Math.max(0, next - Date.now()))
  }

  private maybeFinish (): void {
    if (this.settle === undefined || this.inFlight > 0) return
    const exhausted = this.ready.length === 0 && this.due.length === 0 && !this.o.continuous
    if (!this.stopping && !exhausted) return
    clearTimeout(this.dueTimer)
    clearTimeout(this.durationTimer)
    clearTimeout(this.graceTimer)
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
    const elapsedMs = Date.now() - this.startedAt
    const byReason = (counts: number[], names: readonly string[]): Record<string, number> =>
      Object.fromEntries(names.map((n, k): [string, number] => [n, counts[k]]).filter(([, c]) => c > 0))
    // Every held endpoint is skipped, tried (counted once, when its outcome leaves UNTRIED) or untried.
    const untried = this.frontier.size - this.skipped.reduce((a, b) => a + b, 0) - this.tried
    return {
      tried: this.tried,
      reachable: this.reachable,
      failed: byReason(this.failed, FAILURE_REASONS),
      skipped: byReason(this.skipped, SKIP_REASONS),
      discovered: this.frontier.size,
      new: this.discoveredNew,
      overflow: this.overflow,
      untried,
      sessions: this.sessions,
      cancelled: this.cancelled,
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

/** `{ a: undefined }` spread over defaults would erase them: drop undefined values first. */
function definedOnly<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
