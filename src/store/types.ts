// The store's interface, as the crawl command and the readers (list, export, stats) use it.
// Implementation: src/store/store.ts (lowdb: a manifest and per-network state with journal,
// history files beside it; docs/design.md §2).
import type { AddressType, Endpoint, FailureReason, SessionResult } from '../contract.js'

export const STORE_SCHEMA_VERSION = 3

/**
 * The time of the last try (unix ms) and the sipa seeder's five CAddrStat windows (2 h, 8 h,
 * 1 d, 7 d, 30 d), `[weight, count, reliability]` per window in that order: 16 numbers as
 * decimal text joined by commas (schema 3). Text, not an array: a store of a million records
 * loads a third faster (one string per record to parse, not 16 numbers) and holds 100-odd bytes
 * per record instead of 220. Opaque: read and update it through src/store/uptime.ts.
 */
export type UptimeState = string

export interface PeerRecord {
  network: string // Network.id
  host: string
  port: number
  type: AddressType
  firstSeen: string // ISO 8601 UTC
  /** When a peer last advertised it to us (unset for a seed never advertised). */
  lastAdvertised?: string
  lastTried?: string
  lastSuccess?: string
  successes: number
  failures: number
  lastFailure?: FailureReason
  lastFailureDetail?: string
  /** Why it is not dialed (e.g. 'non-routable', 'denied', 'not-dialable-type'); unset when dialable. */
  skipped?: string
  services?: string
  protocolVersion?: number
  userAgent?: string
  startHeight?: number
  relay?: boolean
  connectMs?: number
  handshakeMs?: number
  /** Addresses it gave us in its last successful session. */
  addressesGiven?: number
  /** Advertising sessions: each session that advertised it counts once (not distinct peers). */
  advertisements: number
  /** Newest time a peer claimed for it (unix s), sanitised as Core does (> 10 min ahead counts as 5 days ago). */
  advertisedTime?: number
  /** Services (decimal string) it was advertised with, in that newest advertisement. */
  advertisedServices?: string
  /** Its last recognised address answer: when, how many entries, how long after our request. */
  answer?: { at: string, entries: number, afterMs: number }
  /** Whether its last successful session recognised an address answer. */
  lastAnswered?: boolean
  /** Address messages it sent that declared more than the protocol's maximum (dropped unlearned), and the last declared count. */
  oversizedAddrMessages?: number
  lastOversizedCount?: number
  /** Rolling reliability (sipa seeder's EMA), see docs/design.md §2.4. */
  uptime?: UptimeState
  /** ISO 3166-1 alpha-2, from the geo database; never set for onion, I2P or CJDNS. */
  country?: string
  /** Failures since the last success (retention). */
  consecutiveFailures?: number
  asn?: number
  asOrg?: string
  extra?: Record<string, string | number | boolean>
}

/**
 * Reachable = its last attempt completed a handshake. recordResult sets lastTried on every
 * attempt and lastSuccess to the same instant on a success, so they are equal exactly when the
 * last attempt succeeded; comparing them as times would call a peer reachable after a failure
 * recorded while the clock had stepped back.
 */
export function isReachable (p: PeerRecord): boolean {
  return p.lastSuccess !== undefined && (p.lastTried === undefined || p.lastSuccess === p.lastTried)
}

export interface RunRecord {
  id: string
  adapter: string
  network: string
  startedAt: string
  endedAt?: string
  /** Counts from the engine's summary (tried, reachable, failed by reason, new, …). */
  counts?: Record<string, number | Record<string, number>>
  /** 'finished' | 'interrupted' | 'running' (a running run in a loaded file means the process died). */
  status: 'running' | 'finished' | 'interrupted'
}

/** What a peer claimed for an address it advertised (LearnedAddress.time/services). */
export interface Advertisement {
  /** Unix seconds, as the peer claimed it (the store sanitises it). */
  time?: number
  /** Services as a decimal string. */
  services?: string
}

export interface CheckpointFigures {
  /** Longest stretch the event loop was blocked by this checkpoint, ms. */
  blockedMs: number
  /** All bytes written: journal (or compacted state), manifest and history. */
  bytes: number
  /** Of which history lines. */
  historyBytes: number
  /** Records journaled (or, after a compaction, written to the state). */
  records: number
  /** Whether the state was compacted. */
  compacted: boolean
  /** Records forgotten by retention in that compaction. */
  forgotten: number
}

export interface PeerStore {
  readonly path: string
  /** Start a crawl run; returns its record. */
  beginRun (adapter: string, network: string): RunRecord
  finishRun (run: RunRecord, status: 'finished' | 'interrupted', counts: RunRecord['counts']): void
  /**
   * An endpoint was learned (from `advertisedBy`, or a seed when null); `skipped` says why it
   * will not be dialed; `advert` is what the advertising peer claimed for it.
   */
  recordDiscovered (network: string, endpoint: Endpoint, advertisedBy: Endpoint | null, skipped?: string, advert?: Advertisement): void
  /**
   * Repeated advertisements of a known endpoint, summed (the engine's 'advertised' event):
   * `count` sessions, the last at `lastMs`; `time` is the newest claimed time, already sanitised.
   * Advertisement bookkeeping: reaches disk with the next compaction (docs/design.md §2.1).
   */
  recordAdvertised (network: string, endpoint: Endpoint, sum: { count: number, lastMs: number, time?: number, services?: string }): void
  /** A session ended (reachable or failed): updates the record and its uptime, and appends an observation to the history. */
  recordResult (network: string, result: SessionResult): void
  get (network: string, endpoint: Endpoint): PeerRecord | undefined
  /** All records of a network (or of every network). Do not mutate. */
  peers (network?: string): PeerRecord[]
  runs (network?: string): RunRecord[]
  /** Network ids that have records. */
  networks (): string[]
  /** Set ASN data on a record (enrichment). */
  setAsn (network: string, endpoint: Endpoint, asn: number | undefined, org: string | undefined): void
  /** Set the country (ISO alpha-2) on a record (enrichment); undefined clears it. */
  setCountry (network: string, endpoint: Endpoint, country: string | undefined): void
  /** The history directory of a network (day files, src/store/history.ts); undefined for a store read from schema 1. */
  historyDir (network: string): string | undefined
  /** Write what changed to disk now (journal, history, manifest; a compaction when due). */
  checkpoint (): Promise<CheckpointFigures>
  /** Rewrite every network's state now, applying retention. */
  compact (): Promise<CheckpointFigures>
  /** Longest event-loop block of any write so far (auto checkpoints included), in ms. */
  readonly maxBlockedMs: number
  /** The last write: how long it took (wall time, ms), how long it blocked the event loop, bytes written. */
  readonly lastCheckpoint?: { ms: number, blockedMs: number, bytes: number }
  /** Checkpoint every `ms` until close(). */
  startAutoCheckpoint (ms: number): void
  /** Final write, release the lock. */
  close (): Promise<void>
}
