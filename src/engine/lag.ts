// Event-loop lag, for the engine's "no new dials while the loop lags" rule (docs/design.md §1.5).
// Node's monitorEventLoopDelay samples the loop every `resolutionMs`; each sample is the whole
// interval, so lag = sample − resolution. Two histograms are reset in turn every half window,
// and lagMs reads the older one: always the median of the last ½–1 window of samples, at the
// cost of one percentile() call.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

export interface LagMonitorOptions {
  /** Sampling interval of the loop (ms). */
  resolutionMs?: number
  /** How far back the median looks (ms); each reading covers between half of it and all of it. */
  windowMs?: number
}

export const DEFAULT_LAG_RESOLUTION_MS = 20
export const DEFAULT_LAG_WINDOW_MS = 1000

export class LagMonitor {
  private readonly resolutionMs: number
  private readonly windowMs: number
  private histograms: [IntervalHistogram, IntervalHistogram] | null = null
  /** Index of the histogram reset longer ago (the one lagMs reads). */
  private older = 0
  private rotation: NodeJS.Timeout | null = null

  constructor (options: LagMonitorOptions = {}) {
    this.resolutionMs = Math.max(1, Math.round(options.resolutionMs ?? DEFAULT_LAG_RESOLUTION_MS))
    this.windowMs = Math.max(2 * this.resolutionMs, options.windowMs ?? DEFAULT_LAG_WINDOW_MS)
  }

  start (): void {
    if (this.histograms !== null) return
    const h: [IntervalHistogram, IntervalHistogram] = [
      monitorEventLoopDelay({ resolution: this.resolutionMs }),
      monitorEventLoopDelay({ resolution: this.resolutionMs })
    ]
    h[0].enable()
    h[1].enable()
    this.histograms = h
    this.older = 0
    this.rotation = setInterval(() => {
      // The older one has covered a whole window: restart it; the other becomes the older.
      h[this.older].reset()
      this.older = 1 - this.older
    }, this.windowMs / 2)
    this.rotation.unref()
  }

  stop (): void {
    if (this.histograms === null) return
    if (this.rotation !== null) clearInterval(this.rotation)
    this.rotation = null
    for (const h of this.histograms) h.disable()
    this.histograms = null
  }

  /** Median event-loop lag over about the last second, in ms; 0 when stopped or not yet sampled. */
  get lagMs (): number {
    if (this.histograms === null) return 0
    const h = this.histograms[this.older]
    if (h.count === 0) return 0
    return Math.max(0, h.percentile(50) / 1e6 - this.resolutionMs)
  }
}
