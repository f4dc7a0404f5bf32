// Event-loop lag, for the engine's "no new dials while the loop lags" rule (docs/design.md §1.5).
// Node's monitorEventLoopDelay samples the loop every `resolutionMs`; each sample is the whole
// interval, so lag = sample − resolution. Two histograms are reset in turn every half window,
// and lagMs reads the older one: always the median of the last ½–1 window of samples, at the
// cost of one percentile() call. cpuShare covers the same span: the CPU time this process got
// per second of wall time, which tells our own work (≈ 1) from a machine busy with others.
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks'

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
  private readAt = -Infinity
  private lastLagMs = 0
  private lastCpuShare = 1
  /** When each histogram was last reset: wall ms and this process's CPU µs. */
  private readonly resetAt: [number, number] = [0, 0]
  private readonly resetCpu: [number, number] = [0, 0]

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
    this.readAt = -Infinity
    this.resetAt[0] = this.resetAt[1] = performance.now()
    this.resetCpu[0] = this.resetCpu[1] = cpuMicros()
    this.rotation = setInterval(() => {
      // The older one has covered a whole window: restart it; the other becomes the older.
      h[this.older].reset()
      this.resetAt[this.older] = performance.now()
      this.resetCpu[this.older] = cpuMicros()
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
    this.read()
    return this.lastLagMs
  }

  /** CPU time this process used per wall time over the span lagMs covers (1 = a whole core); 1 when stopped. */
  get cpuShare (): number {
    this.read()
    return this.lastCpuShare
  }

  private read (): void {
    if (this.histograms === null) {
      this.lastLagMs = 0
      this.lastCpuShare = 1
      return
    }
    // The engine asks at every pump; a median changes at most once per sample, so read it once per resolution.
    const now = performance.now()
    if (now - this.readAt < this.resolutionMs) return
    this.readAt = now
    const h = this.histograms[this.older]
    this.lastLagMs = h.count === 0 ? 0 : Math.max(0, h.percentile(50) / 1e6 - this.resolutionMs)
    const wallMs = now - this.resetAt[this.older]
    this.lastCpuShare = wallMs <= 0 ? 1 : (cpuMicros() - this.resetCpu[this.older]) / 1000 / wallMs
  }
}

function cpuMicros (): number {
  const { user, system } = process.cpuUsage()
  return user + system
}
