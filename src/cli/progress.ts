// The crawl's progress on stderr. On a terminal: one live line at the bottom, its counts
// refreshed four times a second; each log line clears it first and draws it again after
// (logger.beforeWrite/afterWrite), so the two never mix and a busy log never hides it. Elsewhere
// (a file, CI): a plain counts line at info every ten seconds.
import type { StderrLogger } from './log.js'

export interface ProgressCounts {
  tried: number
  reachable: number
  inFlight: number
  queued: number
  /** Sessions started so far (the rate is derived from it). */
  sessions: number
}

export interface ProgressOptions {
  counts: () => ProgressCounts
  logger: StderrLogger
  /** Where the live line goes; its isTTY decides the mode. */
  stream?: NodeJS.WriteStream
  redrawMs?: number
  plainEveryMs?: number
}

export interface Progress {
  /** Clear the live line and stop; idempotent. */
  stop (): void
}

const CLEAR_LINE = '\r\x1b[2K'
/** The rate is measured over about this long, so it follows changes but does not jitter. */
const RATE_WINDOW_MS = 5000

export function startProgress (options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr
  const { logger } = options
  const samples: Array<{ at: number, sessions: number }> = []

  function line (): string {
    const c = options.counts()
    const now = Date.now()
    samples.push({ at: now, sessions: c.sessions })
    while (samples.length > 2 && now - samples[1].at >= RATE_WINDOW_MS) samples.shift()
    const first = samples[0]
    const rate = now > first.at ? (c.sessions - first.sessions) / ((now - first.at) / 1000) : 0
    return `tried ${c.tried} · reachable ${c.reachable} · in flight ${c.inFlight} · queued ${c.queued} · ${rate.toFixed(1)} sessions/s`
  }

  if (stream.isTTY !== true) {
    const timer = setInterval(() => logger.info(line()), options.plainEveryMs ?? 10_000)
    timer.unref()
    return { stop: () => clearInterval(timer) }
  }

  let shown = false
  /** The line as last drawn, with its clear prefix; log lines redraw it without recounting. */
  let drawn = ''
  const previousBeforeWrite = logger.beforeWrite
  const previousAfterWrite = logger.afterWrite
  const clear = (): void => {
    if (shown) stream.write(CLEAR_LINE)
    shown = false
  }
  const redraw = (): void => {
    if (drawn === '' || shown) return
    stream.write(drawn)
    shown = true
  }
  logger.beforeWrite = () => {
    clear()
    previousBeforeWrite?.()
  }
  logger.afterWrite = () => {
    previousAfterWrite?.()
    redraw()
  }
  const draw = (): void => {
    // Cut to the terminal width: a wrapped line could not be cleared with one \r.
    drawn = `${CLEAR_LINE}${line().slice(0, Math.max(10, (stream.columns ?? 80) - 1))}`
    shown = false
    redraw()
  }
  const timer = setInterval(draw, options.redrawMs ?? 250)
  timer.unref()
  let stopped = false
  return {
    stop () {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      clear()
      logger.beforeWrite = previousBeforeWrite
      logger.afterWrite = previousAfterWrite
    }
  }
}
