// The peer store (docs/design.md §2): lowdb holds the manifest (runs, networks) and, per
// network, the current per-peer state; their adapters do the disk work:
//   <db>                              manifest (manifest.ts)
//   <db>.d/<network>/state.jsonl      + journal.jsonl (shard-adapter.ts: streamed load, journaled writes, compaction)
//   <db>.d/<network>/history/*.jsonl  observations, append-only, never in memory (history.ts)
// Records change in memory and reach disk at checkpoint() (auto every N ms) and close().
// A checkpoint appends the records changed since the last one; advertisement bookkeeping of
// records already on disk (counts, last advertised, claimed time) waits for the next compaction,
// which runs when a journal outgrows its state (COMPACT_RATIO times its size), every `lazyFlushMs` while such changes wait, and at close.
import { mkdir, readdir, rm, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Low } from 'lowdb'
import type { Endpoint, Logger, SessionResult } from '../contract.js'
import { StoreError } from '../errors.js'
import { silentLogger } from '../contract.js'
import { HistoryWriter, historyDir } from './history.js'
import { storeWriteHook, type StoreWriteTrace } from './write-hook.js'
import { acquireLock, isLockHeld, type HeldLock } from './lock.js'
import { dataDir, ManifestFile, networkDir, type Manifest } from './manifest.js'
import { migrateV1File, migrateV2File, peekSchema, readV1 } from './migrate.js'
import { DEFAULT_RETENTION, retentionFilter, type RetentionPolicy } from './retention.js'
import { emptyNetworkState, ShardAdapter, type NetworkState } from './shard-adapter.js'
import { formatEndpoint } from '../net/endpoint.js'
import { recordTry } from './uptime.js'
import { sanitiseAdvertisedTime, type AdvertisementSum } from '../engine/advertisements.js'
import { STORE_SCHEMA_VERSION, type Advertisement, type CheckpointFigures, type PeerRecord, type PeerStore, type RunRecord } from './types.js'

export const DEFAULT_STORE_PATH = 'output/peers.json'
/** Advertisement bookkeeping waits at most this long for a compaction. */
export const DEFAULT_LAZY_FLUSH_MS = 6 * 3600_000
/** A journal smaller than this is never worth a compaction. */
const MIN_COMPACT_JOURNAL_BYTES = 1 << 20
/**
 * Compaction when the journal reaches this many times the state: at 3, a store whose every
 * record changes about 1.5 times an hour (a continuous crawl retrying a million endpoints
 * hourly, test/bench/store-bench.ts) writes 1.5× its size in journal and ½× in compactions
 * per hour (the target is ≤ 2×); a load after a crash reads at most four times the state.
 */
export const COMPACT_RATIO = 3

/** `--db` flag, else PEERS_DB, else output/peers.json. */
export function resolveStorePath (flag?: string): string {
  const chosen = flag !== undefined && flag !== '' ? flag : process.env.PEERS_DB
  return resolve(chosen !== undefined && chosen !== '' ? chosen : DEFAULT_STORE_PATH)
}

export interface OpenStoreOptions {
  mode: 'read' | 'write'
  log?: Logger
  /** The clock for timestamps, uptime and history (tests). */
  now?: () => Date
  /** What compactions forget (writer). */
  retention?: RetentionPolicy
  /** Read mode: false loads only the manifest (runs, networks), for commands that read history only. */
  loadState?: boolean
  lazyFlushMs?: number
}

export { sanitiseAdvertisedTime }

interface Shard {
  db: Low<NetworkState>
  /** Absent for a store read from schema 1 (in memory only). */
  adapter?: ShardAdapter
  history?: HistoryWriter
  /** peers() as an array, rebuilt after records are added or forgotten. */
  list?: PeerRecord[]
  /** When advertisement bookkeeping started waiting for a compaction (ms), if it does. */
  lazySince?: number
}

/**
 * Read mode: the store must exist; no lock, nothing written (a schema 1 store is migrated in
 * memory). Write mode: takes the lock, creates the store when missing, migrates an older schema.
 */
export async function openStore (path: string, options: OpenStoreOptions): Promise<PeerStore> {
  const log = options.log ?? silentLogger
  let lock: HeldLock | undefined
  if (options.mode === 'write') {
    try {
      await mkdir(dirname(path), { recursive: true })
    } catch (err) {
      throw new StoreError('PEERS_STORE_IO', `cannot create the directory of store ${path}: ${(err as Error).message}`, { cause: err })
    }
    lock = acquireLock(path, log)
    await removeAbandonedTemps(path)
  }
  try {
    let schema = await peekSchema(path)
    if (schema === null && options.mode === 'read') {
      throw new StoreError('PEERS_STORE_IO', `no store at ${path}; run a crawl first (or pass --db / set PEERS_DB)`)
    }
    if (schema === 1 && options.mode === 'write') {
      await migrateV1File(path, log)
      schema = STORE_SCHEMA_VERSION
    }
    const manifestFile = new ManifestFile(path)
    const manifest = new Low<Manifest>(manifestFile, { schema: STORE_SCHEMA_VERSION, runs: [], networks: [] })
    if (schema === 2 && options.mode === 'write') {
      await manifest.read()
      await migrateV2File(path, manifest.data, log)
      schema = STORE_SCHEMA_VERSION
    }
    const shards = new Map<string, Shard>()
    if (schema === 1) {
      const v1 = await readV1(path)
      manifest.data = { schema: STORE_SCHEMA_VERSION, runs: v1.runs, networks: Object.keys(v1.peers) }
      for (const [network, records] of Object.entries(v1.peers)) {
        const state = emptyNetworkState()
        for (const r of records) state.records.set(r)
        const db = new Low<NetworkState>({ read: async () => state, write: async () => {} }, state)
        shards.set(network, { db })
      }
    } else if (schema !== null) {
      await manifest.read()
      const onDisk = await readdir(dataDir(path)).catch(() => [] as string[])
      const networks = [...new Set([...manifest.data.networks, ...onDisk.map((d) => decodeURIComponent(d))])]
      for (const network of networks) {
        const adapter = new ShardAdapter(networkDir(path, network), network, { indexOnRead: options.mode === 'write' })
        const db = new Low<NetworkState>(adapter, emptyNetworkState())
        if (options.loadState !== false || options.mode === 'write') await db.read()
        shards.set(network, { db, adapter })
      }
      manifest.data.networks = networks
    }
    // A run still 'running' with no live writer died with its process.
    const writerAlive = options.mode === 'read' && isLockHeld(path)
    let interrupted = 0
    for (const run of manifest.data.runs) {
      if (run.status === 'running' && !writerAlive) {
        run.status = 'interrupted'
        interrupted++
      }
    }
    if (interrupted > 0 && options.mode === 'write') log.warn(`store ${path}: ${interrupted} earlier run(s) did not finish; marked interrupted`)
    const now = options.now === undefined ? Date.now : () => options.now!().getTime()
    const store = new LayeredPeerStore(path, manifest, manifestFile, shards, options.mode, lock, log, now, options.retention ?? DEFAULT_RETENTION, options.lazyFlushMs ?? DEFAULT_LAZY_FLUSH_MS)
    store.stateLoaded = options.loadState !== false || options.mode === 'write' || schema === 1
    if (options.mode === 'write' && (schema === null || interrupted > 0)) {
      store.manifestChanged = true
      await store.checkpoint()
    }
    return store
  } catch (err) {
    lock?.release()
    throw err
  }
}

/** Temp files of writers that died mid-write (call only while holding the lock). */
async function removeAbandonedTemps (path: string): Promise<void> {
  const prefix = `.${basename(path)}.`
  const names = await readdir(dirname(path)).catch(() => [] as string[])
  for (const name of names) {
    if (name.startsWith(prefix) && /^\d+\.tmp$/.test(name.slice(prefix.length))) await unlink(join(dirname(path), name)).catch(() => {})
    // A v2 → v3 backup cut short (src/store/migrate.ts makes it whole, then renames it).
    if (name.startsWith(`${basename(path)}.v2.bak.`) && /^\d+\.tmp$/.test(name.slice(basename(path).length + 8))) await rm(join(dirname(path), name), { recursive: true, force: true }).catch(() => {})
  }
  for (const network of await readdir(dataDir(path)).catch(() => [] as string[])) {
    const dir = join(dataDir(path), network)
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (/^\.state\.jsonl\.\d+\.tmp$/.test(name)) await unlink(join(dir, name)).catch(() => {})
    }
  }
}

class LayeredPeerStore implements PeerStore {
  readonly path: string
  private readonly manifest: Low<Manifest>
  private readonly manifestFile: ManifestFile
  private readonly shards: Map<string, Shard>
  private readonly mode: 'read' | 'write'
  private lock: HeldLock | undefined
  private readonly log: Logger
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  private readonly now: () => number
  private readonly retention: RetentionPolicy
  private readonly lazyFlushMs: number
  manifestChanged = false
  /** false when opened for runs and history only: networks() then lists every network of the manifest. */
  stateLoaded = true
  private writing: Promise<unknown> | undefined
  private timer: ReturnType<typeof setInterval> | undefined
  private closed = false
  maxBlockedMs = 0
  lastCheckpoint?: { ms: number, blockedMs: number, bytes: number }
  private isoAtMs = NaN
  private isoText = ''

  constructor (path: string, manifest: Low<Manifest>, manifestFile: ManifestFile, shards: Map<string, Shard>, mode: 'read' | 'write', lock: HeldLock | undefined, log: Logger, now: () => number, retention: RetentionPolicy, lazyFlushMs: number) {
    this.path = path
    this.manifest = manifest
    this.manifestFile = manifestFile
    this.shards = shards
    this.mode = mode
    this.lock = lock
    this.log = log
    this.now = now
    this.retention = retention
    this.lazyFlushMs = lazyFlushMs
    if (mode === 'write') for (const [network, shard] of shards) shard.history = new HistoryWriter(historyDir(networkDir(path, network)))
  }

  beginRun (adapter: string, network: string): RunRecord {
    const run: RunRecord = { id: randomUUID(), adapter, network, startedAt: this.isoNow(), status: 'running' }
    this.manifest.data.runs.push(run)
    this.manifestChanged = true
    return run
  }

  finishRun (run: RunRecord, status: 'finished' | 'interrupted', counts: RunRecord['counts']): void {
    // The caller's object may be a copy; the stored one is found by id.
    const stored = this.manifest.data.runs.find((r) => r.id === run.id) ?? run
    stored.status = status
    stored.endedAt = this.isoNow()
    if (counts !== undefined) stored.counts = counts
    if (stored !== run) Object.assign(run, stored)
    this.manifestChanged = true
  }

  recordDiscovered (network: string, endpoint: Endpoint, advertisedBy: Endpoint | null, skipped?: string, advert?: Advertisement): void {
    const at = this.isoNow()
    const shard = this.shardOf(network)
    const state = shard.db.data
    let record = state.records.get(endpoint.host, endpoint.port)
    let whole = false
    if (record === undefined) {
      record = this.create(shard, network, endpoint, at)
      whole = true
    }
    // The crawl calls this for the first advertisement of an address in a run (sessions
    // deduplicate, so each call from a peer is one advertising session); repeats come summed
    // through recordAdvertised.
    if (advertisedBy !== null) {
      const time = advert?.time === undefined ? undefined : sanitiseAdvertisedTime(advert.time, Math.floor(this.now() / 1000))
      applyAdvertisements(record, 1, at, time, advert?.services)
    }
    // Called once per advertised address: touch `skipped` only when it changes.
    if (skipped !== record.skipped) {
      record.skipped = skipped
      whole = true
    }
    if (whole) state.dirty.add(record)
    else if (advertisedBy !== null && !state.dirty.has(record)) {
      state.lazyChanges++
      shard.lazySince ??= this.now()
    }
  }

  recordAdvertised (network: string, endpoint: Endpoint, sum: AdvertisementSum): void {
    const shard = this.shardOf(network)
    const state = shard.db.data
    const record = state.records.get(endpoint.host, endpoint.port)
    // Unknown only if forgotten meanwhile: the first advertisement created it.
    if (record === undefined) return
    applyAdvertisements(record, sum.count, this.isoAt(sum.lastMs), sum.time, sum.services)
    if (state.dirty.has(record)) return
    state.lazyChanges++
    shard.lazySince ??= this.now()
  }

  recordResult (network: string, result: SessionResult): void {
    const nowMs = this.now()
    const at = this.isoNow()
    const shard = this.shardOf(network)
    const record = shard.db.data.records.get(result.endpoint.host, result.endpoint.port) ?? this.create(shard, network, result.endpoint, at)
    const key = formatEndpoint(result.endpoint)
    record.lastTried = at
    record.uptime = recordTry(record.uptime, result.ok, nowMs)
    if (result.ok) {
      const peer = result.peer ?? {}
      shard.history?.add({
        t: nowMs,
        e: key,
        ok: true,
        ms: result.connectMs,
        h: peer.startHeight,
        v: peer.protocolVersion !== record.protocolVersion ? peer.protocolVersion : undefined,
        ua: peer.userAgent !== record.userAgent ? peer.userAgent : undefined
      })
      record.successes++
      record.lastSuccess = at
      record.consecutiveFailures = 0
      // Named stores, never `delete`: a keyed store (record[key] = …) past 12 added fields, or
      // deleting a field, turns a record into a dictionary-mode object several times its size.
      // An undefined field is left out of the JSON line like an absent one.
      record.services = peer.services
      record.protocolVersion = peer.protocolVersion
      record.userAgent = peer.userAgent
      record.startHeight = peer.startHeight
      record.relay = peer.relay
      record.extra = peer.extra
      record.connectMs = result.connectMs
      record.handshakeMs = result.handshakeMs
      // As the peer sent them, before deduplication and caps: its behaviour, flood included.
      record.addressesGiven = result.addressesReceived
      record.lastAnswered = result.answer !== undefined || result.gotAddressAnswer === true
      if (result.answer !== undefined) record.answer = { at, entries: result.answer.entries, afterMs: result.answer.afterMs }
    } else {
      const reason = result.reason ?? 'error'
      shard.history?.add({ t: nowMs, e: key, ok: false, r: reason })
      record.failures++
      record.consecutiveFailures = (record.consecutiveFailures ?? 0) + 1
      record.lastFailure = reason
      record.lastFailureDetail = result.detail
    }
    if (result.oversizedAddr !== undefined && result.oversizedAddr.messages > 0) {
      record.oversizedAddrMessages = (record.oversizedAddrMessages ?? 0) + result.oversizedAddr.messages
      record.lastOversizedCount = result.oversizedAddr.largestDeclared
    }
    shard.db.data.dirty.add(record)
  }

  get (network: string, endpoint: Endpoint): PeerRecord | undefined {
    return this.shards.get(network)?.db.data.records.get(endpoint.host, endpoint.port)
  }

  peers (network?: string): PeerRecord[] {
    if (network === undefined) return [...this.shards.keys()].flatMap((n) => this.peers(n))
    const shard = this.shards.get(network)
    if (shard === undefined) return []
    shard.list ??= shard.db.data.records.toArray()
    return shard.list
  }

  /** The network ids that have records, in the order they were first recorded. */
  networks (): string[] {
    return [...this.shards.entries()].filter(([, s]) => !this.stateLoaded || s.db.data.records.size > 0).map(([n]) => n)
  }

  runs (network?: string): RunRecord[] {
    const runs = this.manifest.data.runs
    return network === undefined ? runs : runs.filter((r) => r.network === network)
  }

  historyDir (network: string): string | undefined {
    const shard = this.shards.get(network)
    return shard?.adapter === undefined ? undefined : historyDir(shard.adapter.dir)
  }

  setAsn (network: string, endpoint: Endpoint, asn: number | undefined, org: string | undefined): void {
    const record = this.get(network, endpoint)
    if (record === undefined) return
    if (record.asn === asn && record.asOrg === org) return
    // Enrichment, once per record and export: a cleared field goes, as readers expect.
    if (asn !== undefined) record.asn = asn
    else delete record.asn
    if (org !== undefined) record.asOrg = org
    else delete record.asOrg
    this.shards.get(network)?.db.data.dirty.add(record)
  }

  setCountry (network: string, endpoint: Endpoint, country: string | undefined): void {
    const record = this.get(network, endpoint)
    if (record === undefined || record.country === country) return
    if (country !== undefined) record.country = country
    else delete record.country
    this.shards.get(network)?.db.data.dirty.add(record)
  }

  async checkpoint (): Promise<CheckpointFigures> {
    this.assertWritable()
    return await this.serialised(async () => await this.writeChanges(false))
  }

  async compact (): Promise<CheckpointFigures> {
    this.assertWritable()
    return await this.serialised(async () => await this.writeChanges(true))
  }

  startAutoCheckpoint (ms: number): void {
    this.assertWritable()
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = setInterval(() => {
      if (this.writing !== undefined || !this.hasChanges()) return
      this.checkpoint().catch((err: unknown) => { this.log.error(`checkpoint of ${this.path} failed: ${(err as Error).message}`) })
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
        // Compacted at close only when something waits for it: a finished crawl leaves no journal behind.
        const compact = [...this.shards.values()].some((s) => s.db.data.lazyChanges > 0 || (s.adapter?.journalBytes ?? 0) > 0 || s.db.data.dirty.size > 0)
        if (compact || this.hasChanges()) await this.serialised(async () => await this.writeChanges(compact))
      }
    } finally {
      this.closed = true
      this.lock?.release()
      this.lock = undefined
    }
  }

  private assertWritable (): void {
    if (this.mode === 'read') throw new StoreError('PEERS_STORE_IO', `store ${this.path} is open read-only`)
    if (this.closed) throw new StoreError('PEERS_STORE_IO', `store ${this.path} is closed`)
  }

  private hasChanges (): boolean {
    if (this.manifestChanged) return true
    for (const s of this.shards.values()) if (s.db.data.dirty.size > 0 || (s.history?.size ?? 0) > 0) return true
    return false
  }

  /** One write at a time; a write asked for during another runs after it. */
  private async serialised<T> (work: () => Promise<T>): Promise<T> {
    while (this.writing !== undefined) await this.writing.catch(() => {})
    const p = work()
    this.writing = p
    try {
      return await p
    } finally {
      this.writing = undefined
    }
  }

  /** Manifest first (it names the networks), then per network: history, then journal or compaction. */
  private async writeChanges (forceCompact: boolean): Promise<CheckpointFigures> {
    // Tests only (src/store/write-hook.ts): one checkpoint is one traced write.
    const traced = storeWriteHook?.begin()
    const started = performance.now()
    const figures = await this.writeAll(forceCompact, traced)
    traced?.end()
    this.lastCheckpoint = { ms: performance.now() - started, blockedMs: figures.blockedMs, bytes: figures.bytes }
    return figures
  }

  private async writeAll (forceCompact: boolean, traced: StoreWriteTrace | undefined): Promise<CheckpointFigures> {
    const figures: CheckpointFigures = { blockedMs: 0, bytes: 0, historyBytes: 0, records: 0, compacted: false, forgotten: 0 }
    if (this.manifestChanged) {
      this.manifestChanged = false
      try {
        await this.manifest.write()
      } catch (err) {
        this.manifestChanged = true
        throw err
      }
      figures.bytes += this.manifestFile.lastBytes
    }
    const nowMs = this.now()
    for (const shard of this.shards.values()) {
      const adapter = shard.adapter
      if (adapter === undefined) continue
      if (shard.history !== undefined) {
        const bytes = await shard.history.flush()
        figures.bytes += bytes
        figures.historyBytes += bytes
      }
      const state = shard.db.data
      const due = forceCompact ||
        (adapter.journalBytes > MIN_COMPACT_JOURNAL_BYTES && adapter.journalBytes > COMPACT_RATIO * adapter.stateBytes) ||
        (shard.lazySince !== undefined && nowMs - shard.lazySince >= this.lazyFlushMs)
      adapter.trace = traced
      if (due) {
        const records = state.records.size
        await mkdir(adapter.dir, { recursive: true })
        shard.list = undefined
        const { figures: written, forgotten } = await adapter.compact(state, retentionFilter(this.retention, nowMs))
        shard.lazySince = undefined
        if (forgotten > 0) {
          shard.list = undefined
          this.log.info(`store ${this.path}: forgot ${forgotten} of ${records} ${adapter.network} endpoints (never reached; see --forget-after, --forget-failures)`)
        }
        figures.compacted = true
        figures.forgotten += forgotten
        figures.records += records - forgotten
        figures.bytes += written.bytes
        figures.blockedMs = Math.max(figures.blockedMs, written.blockedMs)
      } else if (state.dirty.size > 0) {
        figures.records += state.dirty.size
        await mkdir(adapter.dir, { recursive: true })
        await shard.db.write()
        figures.bytes += adapter.lastWrite.bytes
        figures.blockedMs = Math.max(figures.blockedMs, adapter.lastWrite.blockedMs)
      }
    }
    // A checkpoint that wrote no journal or state bytes (manifest, history only) pauses at its end.
    const midwayCalled = [...this.shards.values()].some((s) => s.adapter !== undefined && s.adapter.trace === undefined)
    for (const s of this.shards.values()) if (s.adapter !== undefined) s.adapter.trace = undefined
    if (!midwayCalled) await traced?.midway()
    this.maxBlockedMs = Math.max(this.maxBlockedMs, figures.blockedMs)
    return figures
  }

  private shardOf (network: string): Shard {
    let shard = this.shards.get(network)
    if (shard === undefined) {
      const adapter = new ShardAdapter(networkDir(this.path, network), network)
      shard = { db: new Low<NetworkState>(adapter, emptyNetworkState()), adapter }
      if (this.mode === 'write') shard.history = new HistoryWriter(historyDir(adapter.dir))
      this.shards.set(network, shard)
      this.manifest.data.networks.push(network)
      this.manifestChanged = true
    }
    return shard
  }

  private create (shard: Shard, network: string, endpoint: Endpoint, at: string): PeerRecord {
    // The fields a discovered and tried endpoint gets soon are declared (undefined: JSON leaves
    // them out) so that the object holds them itself: added later, they take a second
    // allocation per record (about 100 bytes at a million records).
    const record: PeerRecord = {
      network,
      host: endpoint.host,
      port: endpoint.port,
      type: endpoint.type,
      firstSeen: at,
      successes: 0,
      failures: 0,
      advertisements: 0,
      lastAdvertised: undefined,
      advertisedTime: undefined,
      advertisedServices: undefined,
      lastTried: undefined,
      uptime: undefined,
      consecutiveFailures: undefined,
      lastFailure: undefined,
      lastFailureDetail: undefined
    }
    shard.db.data.records.set(record)
    shard.list?.push(record)
    return record
  }

  /** The current time as ISO text, formatted once per millisecond: an address answer records a thousand entries at once. */
  private isoNow (): string {
    return this.isoAt(this.now())
  }

  private isoAt (ms: number): string {
    if (ms !== this.isoAtMs) {
      this.isoAtMs = ms
      this.isoText = new Date(ms).toISOString()
    }
    return this.isoText
  }
}

/** `count` advertising sessions, the last at `at`; `time` already sanitised, the newest of them (with its services). */
function applyAdvertisements (record: PeerRecord, count: number, at: string, time: number | undefined, services: string | undefined): void {
  record.advertisements += count
  record.lastAdvertised = at
  if (time !== undefined) {
    if (record.advertisedTime === undefined || time >= record.advertisedTime) {
      record.advertisedTime = time
      record.advertisedServices = services
    }
  } else if (services !== undefined && record.advertisedTime === undefined) {
    record.advertisedServices = services
  }
}
