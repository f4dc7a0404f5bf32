// The store's interface, as the crawl command and the readers (list, export, stats) use it.
// Implementation: src/store/store.ts (lowdb, one JSON file, batched atomic writes, lock).
import type { AddressType, Endpoint, FailureReason, SessionResult } from '../contract.js'

export const STORE_SCHEMA_VERSION = 1

/** One uptime window of the sipa seeder's CAddrStat. */
export interface UptimeWindow { weight: number, count: number, reliability: number }
/** Windows 2 h, 8 h, 1 d, 7 d, 30 d, in that order, and the time of the last try (unix ms). */
export interface UptimeState { lastTry: number, windows: [UptimeWindow, UptimeWindow, UptimeWindow, UptimeWindow, UptimeWindow] }

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

export interface PeerStore {
  readonly path: string
  /** Start a crawl run; returns its record. */
  beginRun (adapter: string, network: string): RunRecord
  finishRun (run: RunRecord, status: 'finished' | 'interrupted', counts: RunRecord['counts']): void
  /** An endpoint was learned (from `advertisedBy`, or a seed when null); `skipped` says why it will not be dialed. */
  recordDiscovered (network: string, endpoint: Endpoint, advertisedBy: Endpoint | null, skipped?: string): void
  /** A session ended (reachable or failed). */
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
  /** Write to disk now (atomic: temp file + rename). Returns how long the event loop was blocked. */
  checkpoint (): Promise<{ blockedMs: number, bytes: number }>
  /** Longest event-loop block of any write so far (auto checkpoints included), in ms. */
  readonly maxBlockedMs: number
  /** Checkpoint every `ms` until close(). */
  startAutoCheckpoint (ms: number): void
  /** Final write, release the lock. */
  close (): Promise<void>
}
