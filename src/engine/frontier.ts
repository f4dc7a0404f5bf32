// Every endpoint the engine holds, as struct-of-arrays: one Map slot (key → index), one host
// string and ~20 bytes of typed arrays per endpoint. A million endpoints is ~150 MB, where
// one object per endpoint would be two to three times that.
import { FAILURE_REASONS, type AddressType, type Endpoint, type FailureReason } from '../contract.js'
import { SKIP_REASONS, type SkipReason } from '../net/policy.js'

const TYPES: readonly AddressType[] = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'yggdrasil']

/** Where an endpoint is in its life. */
export const QUEUED = 0 // in the ready queue
export const IN_FLIGHT = 1 // a session is running
export const WAITING = 2 // in the due heap (retry backoff, continuous revisit)
export const SETTLED = 3 // tried; nothing more planned
export const SKIPPED = 4 // refused by the policy; never dialed

/** Dial tiers (docs/design.md §1.4): lower first. */
export const TIER_KNOWN = 0 // a seed, or reachable in an earlier run
export const TIER_FRESH = 1 // advertised with a fresh timestamp, or by several sessions
export const TIER_REST = 2
export const TIERS = 3

/** Bits of `flags`. */
export const FLAG_SEED = 1 // a seed or reachable in an earlier run: never evicted
export const FLAG_REACHED = 2 // reachable at least once in this run: never evicted

/** The outcome of an endpoint's last counted session: untried, reachable, or 2 + failure reason index. */
export const UNTRIED = 0
export const REACHABLE = 1
const ERROR_INDEX = FAILURE_REASONS.indexOf('error')
/** A reason outside FAILURE_REASONS (a broken adapter) counts as 'error': index -1 would read as REACHABLE. */
export function failedOutcome (reason: FailureReason): number {
  const k = FAILURE_REASONS.indexOf(reason)
  return 2 + (k === -1 ? ERROR_INDEX : k)
}

export class Frontier {
  private readonly index = new Map<string, number>()
  private readonly hosts: string[] = []
  /** Each slot's key, so an evicted one can leave the index (the Map holds the same strings). */
  private readonly keys: string[] = []
  private capacity = 1024
  private ports = new Uint16Array(this.capacity)
  private types = new Uint8Array(this.capacity)
  /** One of QUEUED … SKIPPED. */
  state = new Uint8Array(this.capacity)
  /** UNTRIED, REACHABLE or failedOutcome(reason); for SKIPPED, the skip reason index. */
  outcome = new Uint8Array(this.capacity)
  /** Sessions that failed in a row (drives retries); a success resets it. */
  failuresInRow = new Uint8Array(this.capacity)
  /** Sessions started in this run (the attempt number). */
  sessions = new Uint32Array(this.capacity)
  /** When a WAITING endpoint is due, ms since the epoch. */
  dueAt = new Float64Array(this.capacity)
  /** Dial tier, TIER_KNOWN … TIER_REST; only ever lowered (promotion). */
  tier = new Uint8Array(this.capacity)
  /** FLAG_* bits. */
  flags = new Uint8Array(this.capacity)
  /** Sessions that advertised it (saturating). */
  advertisements = new Uint8Array(this.capacity)
  /** When its first successful handshake of this run happened, ms since the epoch; 0 = none. */
  reachedAt = new Float64Array(this.capacity)

  get size (): number { return this.hosts.length }

  indexOf (key: string): number | undefined { return this.index.get(key) }

  add (key: string, endpoint: Endpoint, state: number): number {
    const i = this.hosts.length
    if (i === this.capacity) this.grow()
    this.index.set(key, i)
    this.hosts.push(endpoint.host)
    this.keys.push(key)
    this.fill(i, endpoint, state)
    return i
  }

  /** Reuse slot `i` for another endpoint (eviction): the old key is forgotten. Stale queue entries are told apart by state and tier. */
  replace (i: number, key: string, endpoint: Endpoint, state: number): void {
    this.index.delete(this.keys[i])
    this.index.set(key, i)
    this.hosts[i] = endpoint.host
    this.keys[i] = key
    this.fill(i, endpoint, state)
  }

  private fill (i: number, endpoint: Endpoint, state: number): void {
    this.ports[i] = endpoint.port
    this.types[i] = TYPES.indexOf(endpoint.type)
    this.state[i] = state
    this.outcome[i] = UNTRIED
    this.failuresInRow[i] = 0
    this.sessions[i] = 0
    this.dueAt[i] = 0
    this.tier[i] = TIER_REST
    this.flags[i] = 0
    this.advertisements[i] = 0
    this.reachedAt[i] = 0
  }

  type (i: number): AddressType { return TYPES[this.types[i]] }

  endpoint (i: number): Endpoint {
    return { host: this.hosts[i], port: this.ports[i], type: TYPES[this.types[i]] }
  }

  skipReason (i: number): SkipReason { return SKIP_REASONS[this.outcome[i]] }

  private grow (): void {
    this.capacity *= 2
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(this.capacity)
      b.set(a)
      return b
    }
    this.ports = grown(this.ports, Uint16Array)
    this.types = grown(this.types, Uint8Array)
    this.state = grown(this.state, Uint8Array)
    this.outcome = grown(this.outcome, Uint8Array)
    this.failuresInRow = grown(this.failuresInRow, Uint8Array)
    this.sessions = grown(this.sessions, Uint32Array)
    this.dueAt = grown(this.dueAt, Float64Array)
    this.tier = grown(this.tier, Uint8Array)
    this.flags = grown(this.flags, Uint8Array)
    this.advertisements = grown(this.advertisements, Uint8Array)
    this.reachedAt = grown(this.reachedAt, Float64Array)
  }
}

/** FIFO of endpoint indices in a growable ring buffer. */
export class IndexQueue {
  private buf = new Int32Array(1024)
  private head = 0
  length = 0

  push (i: number): void {
    if (this.length === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2)
      for (let k = 0; k < this.length; k++) b[k] = this.buf[(this.head + k) % this.buf.length]
      this.buf = b
      this.head = 0
    }
    this.buf[(this.head + this.length) % this.buf.length] = i
    this.length++
  }

  shift (): number {
    const i = this.buf[this.head]
    this.head = (this.head + 1) % this.buf.length
    this.length--
    return i
  }
}

/** Min-heap of (endpoint index, due time) pairs; the time is kept here, so a slot reused or rescheduled leaves a stale entry the caller can tell apart. */
export class DueHeap {
  private readonly items: number[] = []
  private readonly due: number[] = []

  get length (): number { return this.items.length }
  /** The earliest due time; Infinity when empty. */
  peekDue (): number { return this.items.length === 0 ? Infinity : this.due[0] }
  /** The index at the top. */
  peek (): number { return this.items[0] }

  push (i: number, dueAt: number): void {
    const items = this.items
    const due = this.due
    items.push(i)
    due.push(dueAt)
    let k = items.length - 1
    while (k > 0) {
      const parent = (k - 1) >> 1
      if (due[parent] <= dueAt) break
      items[k] = items[parent]
      due[k] = due[parent]
      k = parent
    }
    items[k] = i
    due[k] = dueAt
  }

  /** Removes the top; returns its index. */
  pop (): number {
    const items = this.items
    const due = this.due
    const top = items[0]
    const last = items.pop() as number
    const lastDue = due.pop() as number
    if (items.length > 0) {
      let k = 0
      for (;;) {
        const l = 2 * k + 1
        if (l >= items.length) break
        const child = l + 1 < items.length && due[l + 1] < due[l] ? l + 1 : l
        if (due[child] >= lastDue) break
        items[k] = items[child]
        due[k] = due[child]
        k = child
      }
      items[k] = last
      due[k] = lastDue
    }
    return top
  }
}
