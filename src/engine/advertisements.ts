// Repeated advertisements of endpoints the frontier already holds, tallied per frontier slot
// and handed on in bulk (docs/design.md §1.7). An address answer of 1,000 entries mostly
// repeats what the crawl knows; one event and one store lookup per repeat were the largest
// share of a crawl's CPU (test/bench, `dead-and-silent`), so a repeat costs a few array writes
// here and each endpoint is reported once per flush instead.
import { FUTURE_PENALTY_S, FUTURE_SLACK_S } from './defaults.js'

/**
 * Claimed advertisement times, sanitised as Bitcoin Core does on receipt (net_processing.cpp,
 * ProcessMessage, ADDR/ADDRV2: `if (addr.nTime <= NodeSeconds{100000000s} || addr.nTime >
 * current_a_time + 10min) addr.nTime = current_a_time - 5 * 24h;`).
 */
export function sanitiseAdvertisedTime (claimedS: number, nowS: number): number {
  return claimedS <= 100_000_000 || claimedS > nowS + FUTURE_SLACK_S ? nowS - FUTURE_PENALTY_S : claimedS
}

/** What the repeats of one endpoint since the last flush add up to. */
export interface AdvertisementSum {
  /** Advertising sessions (each session's answer counts once per address). */
  count: number
  /** When the last of them arrived, ms since the epoch. */
  lastMs: number
  /** The newest claimed time among them, unix seconds, already sanitised (sanitiseAdvertisedTime). */
  time?: number
  /** Services (decimal string) of that newest timed advertisement; without any timed one, of the last that had services. */
  services?: string
}

export class AdvertisementTally {
  private capacity = 0
  private count = new Uint32Array(0)
  private lastMs = new Float64Array(0)
  /** Newest sanitised time per slot; NaN when no repeat carried one. */
  private time = new Float64Array(0)
  private services: Array<string | undefined> = []
  /** Slots with count > 0, in the order of their first repeat. */
  private pending: number[] = []

  get size (): number { return this.pending.length }

  /** One more advertising session for slot `i`, received at `atMs`. */
  add (i: number, atMs: number, time: number | undefined, services: string | undefined): void {
    if (i >= this.capacity) this.grow(i + 1)
    if (this.count[i]++ === 0) {
      this.pending.push(i)
      this.time[i] = NaN
      this.services[i] = undefined
    }
    this.lastMs[i] = atMs
    if (time !== undefined) {
      const sanitised = sanitiseAdvertisedTime(time, Math.floor(atMs / 1000))
      // Last wins on a tie, as the store applies one advertisement after another.
      if (!(sanitised < this.time[i])) {
        this.time[i] = sanitised
        this.services[i] = services
      }
    } else if (services !== undefined && Number.isNaN(this.time[i])) {
      this.services[i] = services
    }
  }

  /** The sum for slot `i`, reset; undefined when it has none. */
  take (i: number): AdvertisementSum | undefined {
    if (i >= this.capacity || this.count[i] === 0) return undefined
    const sum: AdvertisementSum = { count: this.count[i], lastMs: this.lastMs[i] }
    if (!Number.isNaN(this.time[i])) sum.time = this.time[i]
    if (this.services[i] !== undefined) sum.services = this.services[i]
    this.count[i] = 0
    this.services[i] = undefined
    return sum
  }

  /** Every pending sum, in order, each reset before `visit` sees it. */
  drain (visit: (i: number, sum: AdvertisementSum) => void): void {
    const slots = this.pending
    this.pending = []
    for (const i of slots) {
      const sum = this.take(i)
      if (sum !== undefined) visit(i, sum)
    }
  }

  private grow (atLeast: number): void {
    let capacity = Math.max(1024, this.capacity)
    while (capacity < atLeast) capacity *= 2
    const count = new Uint32Array(capacity)
    count.set(this.count)
    const lastMs = new Float64Array(capacity)
    lastMs.set(this.lastMs)
    const time = new Float64Array(capacity)
    time.set(this.time)
    this.count = count
    this.lastMs = lastMs
    this.time = time
    this.capacity = capacity
  }
}
