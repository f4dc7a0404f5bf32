// Lag-aware phase timers (docs/design.md §1.5): a blocked event loop must not turn an honest
// peer into a timeout. Node runs expired timers before it polls for I/O, so after a block a
// raw setTimeout would end a session whose answer is already waiting in the socket. Here the
// decision waits one setImmediate (after the poll phase: data already delivered is handled
// first and may cancel the timer), and a timer that fired more than `lagThresholdMs` late is
// re-armed once for its lateness (the time our loop, not the peer, took).

export interface PhaseClock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
  setImmediate: (fn: () => void) => unknown
  clearImmediate: (handle: unknown) => void
}

export const realClock: PhaseClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout) },
  setImmediate: (fn) => setImmediate(fn),
  clearImmediate: (handle) => { clearImmediate(handle as NodeJS.Immediate) }
}

/** Lateness below this is ordinary timer jitter, not a blocked loop. */
export const DEFAULT_LAG_THRESHOLD_MS = 50

export interface PhaseTimerOptions {
  lagThresholdMs?: number
  clock?: PhaseClock
}

export interface PhaseTimer {
  /** Idempotent; after it, onExpire is never called. */
  cancel: () => void
  /** Lateness credited back (ms), 0 when none: for diagnostics and tests. */
  readonly creditedMs: number
}

export function startPhaseTimer (ms: number, onExpire: () => void, options: PhaseTimerOptions = {}): PhaseTimer {
  const clock = options.clock ?? realClock
  const threshold = options.lagThresholdMs ?? DEFAULT_LAG_THRESHOLD_MS
  let cancelled = false
  let credited = false
  let creditedMs = 0
  let handle: unknown
  let immediate: unknown

  const arm = (delay: number): void => {
    const due = clock.now() + delay
    handle = clock.setTimeout(() => {
      handle = undefined
      const late = clock.now() - due
      immediate = clock.setImmediate(() => {
        immediate = undefined
        if (cancelled) return
        if (!credited && late > threshold) {
          credited = true
          creditedMs = late
          arm(late)
          return
        }
        cancelled = true
        onExpire()
      })
    }, Math.max(0, delay))
  }
  arm(ms)

  return {
    cancel () {
      cancelled = true
      if (handle !== undefined) clock.clearTimeout(handle)
      if (immediate !== undefined) clock.clearImmediate(immediate)
      handle = undefined
      immediate = undefined
    },
    get creditedMs () { return creditedMs }
  }
}
