// The peer store: one JSON file through lowdb (src/store/chunked-json-file.ts writes it),
// per network an array of records with a Map index built on load. Writes are batched:
// records change in memory and reach disk at checkpoint() (auto every N ms) and close().
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { Low } from 'lowdb'
import type { Endpoint, Logger, SessionResult } from '../contract.js'
import { StoreError } from '../errors.js'
import { silentLogger } from '../contract.js'
import { formatEndpoint } from '../net/endpoint.js'
import { ChunkedJsonFile, type StoreFile, type WriteFigures } from './chunked-json-file.js'
import { acquireLock, isLockHeld, type HeldLock } from './lock.js'
import { STORE_SCHEMA_VERSION, type PeerRecord, type PeerStore, type RunRecord } from './types.js'

export const DEFAULT_STORE_PATH = 'output/peers.json'

/** `--db` flag, else PEERS_DB, else output/peers.json. */
export function resolveStorePath (flag?: string): string {
  const chosen = flag !== undefined && flag !== '' ? flag : process.env.PEERS_DB
  return resolve(chosen !== undefined && chosen !== '' ? chosen : DEFAULT_STORE_PATH)
}

export interface OpenStoreOptions {
  mode: 'read' | 'write'
  log?: Logger
  /** The clock for timestamps (tests). */
  now?: () => Date
}

/**
 * Read mode: the file must exist; no lock (the writer replaces the file atomically), and
 * checkpoint() refuses. Write mode: takes the lock, creates the file when missing.
 */
export async function openStore (path: string, options: OpenStoreOptions): Promise<PeerStore> {
  const log = options.log ?? silentLogger
  const file = new ChunkedJsonFile(path)
  let lock: HeldLock | undefined
  if (options.mode === 'write') {
    try {
      await mkdir(dirname(path), { recursive: true })
    } catch (err) {
      throw new StoreError('PEERS_STORE_IO', `cannot create the directory of store ${path}: ${(err as Error).message}`, { cause: err })
    }
    lock = acquireLock(path, log)
    await file.removeAbandonedTemps()
  }
  try {
    const db = new Low<StoreFile>(file, { schema: STORE_SCHEMA_VERSION, peers: {}, runs: [] })
    const existing = await file.read()
    if (existing === null && options.mode === 'read') {
      throw new StoreError('PEERS_STORE_IO', `no store at ${path}; run a crawl first (or pass --db / set PEERS_DB)`)
    }
    if (existing !== null) db.data = existing
    // A run still 'running' with no live writer died with its process.
    const writerAlive = options.mode === 'read' && isLockHeld(path)
    let interrupted = 0
    for (const run of db.data.runs) {
      if (run.status === 'running' && !writerAlive) {
        run.status = 'interrupted'
        interrupted++
      }
    }
    if (interrupted > 0 && options.mode === 'write') log.warn(`store ${path}: ${interrupted} earlier run(s) did not finish; marked interrupted`)
    const store = new LowPeerStore(path, db, file, options.mode, lock, log, options.now === undefined ? Date.now : () => options.now!().getTime())
    if (options.mode === 'write' && (existing === null || interrupted > 0)) await store.checkpoint()
    return store
  } catch (err) {
    lock?.release()
    throw err
  }
}

function keyOf (endpoint: Pick<Endpoint, 'host' | 'port'>): string {
  return formatEndpoint(endpoint)
}

class LowPeerStore implements PeerStore {
  readonly path: string
  private readonly db: Low<StoreFile>
  private readonly file: ChunkedJsonFile
  private readonly mode: 'read' | 'write'
  private lock: HeldLock | undefined
  private readonly log: Logger
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  private readonly now: () => number
  private readonly index = new Map<string, Map<string, PeerRecord>>()
  /** Bumped by every change; a checkpoint that saw the latest version leaves the store clean. */
  private version = 0
  private savedVersion = 0
  private writing: Promise<WriteFigures> | undefined
  private timer: ReturnType<typeof setInterval> | undefined
  private closed = false
  maxBlockedMs = 0
  private isoAtMs = NaN
  private isoText = ''

  constructor (path: string, db: Low<StoreFile>, file: ChunkedJsonFile, mode: 'read' | 'write', lock: HeldLock | undefined, log: Logger, now: () => number) {
    this.path = path
    this.db = db
    this.file = file
    this.mode = mode
    this.lock = lock
    this.log = log
    this.now = now
    for (const [network, records] of Object.entries(db.data.peers)) {
      const byKey = new Map<string, PeerRecord>()
      for (const r of records) byKey.set(keyOf(r), r)
      this.index.set(network, byKey)
    }
  }

  beginRun (adapter: string, network: string): RunRecord {
    const run: RunRecord = { id: randomUUID(), adapter, network, startedAt: this.isoNow(), status: 'running' }
    this.db.data.runs.push(run)
    this.changed()
    return run
  }

  finishRun (run: RunRecord, status: 'finished' | 'interrupted', counts: RunRecord['counts']): void {
    // The caller's object may be a copy; the stored one is found by id.
    const stored = this.db.data.runs.find((r) => r.id === run.id) ?? run
    stored.status = status
    stored.endedAt = this.isoNow()
    if (counts !== undefined) stored.counts = counts
    if (stored !== run) Object.assign(run, stored)
    this.changed()
  }

  recordDiscovered (network: string, endpoint: Endpoint, advertisedBy: Endpoint | null, skipped?: string): void {
    const at = this.isoNow()
    const record = this.getOrCreate(network, endpoint, at)
    // The crawl calls this once per address a session learned (sessions deduplicate), so
    // each call from a peer is one advertising session.
    if (advertisedBy !== null) {
      record.advertisements++
      record.lastAdvertised = at
    }
    // Called once per advertised address: touch `skipped` only when it changes.
    if (skipped !== record.skipped) setOrDelete(record, 'skipped', skipped)
    this.changed()
  }

  recordResult (network: string, result: SessionResult): void {
    const at = this.isoNow()
    const record = this.getOrCreate(network, result.endpoint, at)
    record.lastTried = at
    if (result.ok) {
      record.successes++
      record.lastSuccess = at
      const peer = result.peer ?? {}
      setOrDelete(record, 'services', peer.services)
      setOrDelete(record, 'protocolVersion', peer.protocolVersion)
      setOrDelete(record, 'userAgent', peer.userAgent)
      setOrDelete(record, 'startHeight', peer.startHeight)
      setOrDelete(record, 'relay', peer.relay)
      setOrDelete(record, 'extra', peer.extra)
      setOrDelete(record, 'connectMs', result.connectMs)
      setOrDelete(record, 'handshakeMs', result.handshakeMs)
      // As the peer sent them, before deduplication and caps: its behaviour, flood included.
      record.addressesGiven = result.addressesReceived
    } else {
      record.failures++
      record.lastFailure = result.reason ?? 'error'
      setOrDelete(record, 'lastFailureDetail', result.detail)
    }
    this.changed()
  }

  get (network: string, endpoint: Endpoint): PeerRecord | undefined {
    return this.index.get(network)?.get(keyOf(endpoint))
  }

  peers (network?: string): PeerRecord[] {
    if (network !== undefined) return this.db.data.peers[network] ?? []
    return Object.values(this.db.data.peers).flat()
  }

  /** The network ids that have records, in the order they were first recorded. */
  networks (): string[] {
    return Object.keys(this.db.data.peers).filter((n) => this.db.data.peers[n].length > 0)
  }

  runs (network?: string): RunRecord[] {
    return network === undefined ? this.db.data.runs : this.db.data.runs.filter((r) => r.network === network)
  }

  setAsn (network: string, endpoint: Endpoint, asn: number | undefined, org: string | undefined): void {
    const record = this.get(network, endpoint)
    if (record === undefined) return
    if (record.asn === asn && record.asOrg === org) return
    setOrDelete(record, 'asn', asn)
    setOrDelete(record, 'asOrg', org)
    this.changed()
  }

  setCountry (network: string, endpoint: Endpoint, country: string | undefined): void {
    const record = this.get(network, endpoint)
    if (record === undefined || record.country === country) return
    setOrDelete(record, 'country', country)
    this.changed()
  }

  async checkpoint (): Promise<{ blockedMs: number, bytes: number }> {
    if (this.mode === 'read') throw new StoreError('PEERS_STORE_IO', `store ${this.path} is open read-only`)
    if (this.closed) throw new StoreError('PEERS_STORE_IO', `store ${this.path} is closed`)
    return await this.write()
  }

  startAutoCheckpoint (ms: number): void {
    if (this.mode === 'read') throw new StoreError('PEERS_STORE_IO', `store ${this.path} is open read-only`)
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = setInterval(() => {
      if (this.version === this.savedVersion || this.writing !== undefined) return
      this.write().catch((err: unknown) => { this.log.error(`checkpoint of ${this.path} failed: ${(err as Error).message}`) })
    }, ms)
    // A pending checkpoint must not keep a finished process alive; close() does the last write.
    this.timer.unref()
  }

  async close (): Promise<void> {
    if (this.closed) return
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    try {
      if (this.mode === 'write') {
        await this.writing?.catch(() => {})
        if (this.version !== this.savedVersion) await this.write()
      }
    } finally {
      this.closed = true
      this.lock?.release()
      this.lock = undefined
    }
  }

  /** One write at a time; a write asked for during another runs after it. */
  private async write (): Promise<WriteFigures> {
    while (this.writing !== undefined) await this.writing.catch(() => {})
    const version = this.version
    this.writing = this.db.write().then(() => this.file.lastWrite)
    try {
      const figures = await this.writing
      this.savedVersion = version
      this.maxBlockedMs = Math.max(this.maxBlockedMs, figures.blockedMs)
      return figures
    } finally {
      this.writing = undefined
    }
  }

  private getOrCreate (network: string, endpoint: Endpoint, at: string): PeerRecord {
    let byKey = this.index.get(network)
    if (byKey === undefined) {
      byKey = new Map()
      this.index.set(network, byKey)
      this.db.data.peers[network] = []
    }
    const key = keyOf(endpoint)
    let record = byKey.get(key)
    if (record === undefined) {
      record = { network, host: endpoint.host, port: endpoint.port, type: endpoint.type, firstSeen: at, successes: 0, failures: 0, advertisements: 0 }
      byKey.set(key, record)
      this.db.data.peers[network].push(record)
    }
    return record
  }

  /** The current time as ISO text, formatted once per millisecond: an address answer records a thousand entries at once. */
  private isoNow (): string {
    const ms = this.now()
    if (ms !== this.isoAtMs) {
      this.isoAtMs = ms
      this.isoText = new Date(ms).toISOString()
    }
    return this.isoText
  }

  private changed (): void {
    this.version++
  }
}

function setOrDelete<K extends keyof PeerRecord> (record: PeerRecord, key: K, value: PeerRecord[K] | undefined): void {
  if (value === undefined) delete record[key]
  else record[key] = value
}
