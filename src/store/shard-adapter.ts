// lowdb adapter for one network's per-peer state (docs/design.md §2.1):
//   <db>.d/<network>/state.jsonl    one PeerRecord per line (the base snapshot)
//   <db>.d/<network>/journal.jsonl  whole records changed since, appended at each write (last wins)
// read() streams the state and replays the journal; write() appends the records changed since
// the last write and fsyncs; compact() rewrites the state (temp + fsync + rename) and then
// truncates the journal. Replaying a journal onto a newer state is harmless (whole records,
// last wins), so a crash between the two steps loses nothing. Each write ends with a commit
// line ({"checkpoint":<ms>}); records after the last commit (a write cut by SIGKILL, torn last
// line included) are ignored, so a checkpoint reaches the state whole or not at all, and that
// tail is cut off before the next append.
import { open, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Adapter } from 'lowdb'
import { StoreError } from '../errors.js'
import { replaceFile } from './files.js'
import { forEachLine } from './jsonl.js'
import { RecordIndex } from './record-index.js'
import type { PeerRecord } from './types.js'
import { uptimeFromStored } from './uptime.js'
import type { StoreWriteTrace } from './write-hook.js'

export interface NetworkState {
  records: RecordIndex
  /** Records changed since the last write: written whole at the next one. */
  dirty: Set<PeerRecord>
  /** Changes left for the next compaction (advertisement bookkeeping of known records), counted. */
  lazyChanges: number
}

export interface WriteFigures {
  /** Longest stretch the event loop was blocked by this write, in ms. */
  blockedMs: number
  bytes: number
}

/** The journal line that ends a write (a checkpoint): `{"checkpoint":<unix ms>}`. */
const COMMIT_PREFIX = '{"checkpoint":'
/** Records serialised per synchronous step (about a millisecond of JSON.stringify). */
const RECORDS_PER_STEP = 1000
/** Serialised text gathered before one file write. */
const BYTES_PER_WRITE = 1 << 20
/** Room past BYTES_PER_WRITE, so that a step's last line nearly always fits. */
const LINE_SLACK = 256 << 10

/**
 * JSON lines gathered in one buffer, reused from write to write. Joining a batch of lines into
 * one string made a large-object allocation per MiB: a compaction of a million records left
 * 470 MB of them for the garbage collector, and the process's peak memory with them.
 */
class LineBuffer {
  private readonly buffer = Buffer.allocUnsafe(BYTES_PER_WRITE + LINE_SLACK)
  length = 0

  get full (): boolean {
    return this.length >= BYTES_PER_WRITE
  }

  /** Appends the line and '\n'; false when it does not fit (write the buffer out, then try again). */
  add (line: string): boolean {
    const room = this.buffer.length - this.length
    // UTF-8 takes at most 3 bytes per UTF-16 unit: the exact length only when it matters.
    if (3 * line.length + 1 > room && Buffer.byteLength(line) + 1 > room) return false
    this.length += this.buffer.write(line, this.length, 'utf8')
    this.buffer[this.length++] = 10
    return true
  }

  /** The bytes gathered; valid until the next add() or clear(). */
  bytes (): Buffer {
    return this.buffer.subarray(0, this.length)
  }

  clear (): void {
    this.length = 0
  }
}

export function emptyNetworkState (): NetworkState {
  return { records: new RecordIndex(), dirty: new Set(), lazyChanges: 0 }
}

export class ShardAdapter implements Adapter<NetworkState> {
  readonly dir: string
  readonly network: string
  readonly statePath: string
  readonly journalPath: string
  /** Sizes as last read or written: compaction runs when the journal outgrows the state. */
  stateBytes = 0
  journalBytes = 0
  /** Figures of the last write or compaction. */
  lastWrite: WriteFigures = { blockedMs: 0, bytes: 0 }
  /** Tests only (src/store/write-hook.ts): the current checkpoint's trace; midway() after the first bytes, then cleared. */
  trace: StoreWriteTrace | undefined
  /** Byte length of the journal's complete lines when read; a torn tail beyond it is cut before appending. */
  private journalValidBytes: number | undefined
  /** Lines on their way to a file (writes and compactions are serialised by the store). */
  private lines: LineBuffer | undefined

  /**
   * Whether read() indexes the state's records as it streams them (a writer: its first lookup
   * comes with the crawl's first answer, and building a million-record index then would block
   * the event loop for a second), or leaves the index to the first lookup (a reader: most only
   * walk the records).
   */
  readonly indexOnRead: boolean

  constructor (dir: string, network: string, options: { indexOnRead?: boolean } = {}) {
    this.dir = dir
    this.network = network
    this.indexOnRead = options.indexOnRead ?? true
    this.statePath = join(dir, 'state.jsonl')
    this.journalPath = join(dir, 'journal.jsonl')
  }

  /** null when neither file exists. */
  async read (): Promise<NetworkState | null> {
    // A compaction may replace the state between our reads of the two files (a reader beside
    // a live writer): then the journal we read was already truncated; read again.
    for (let attempt = 0; ; attempt++) {
      const before = await stat(this.statePath).catch(() => undefined)
      const state = emptyNetworkState()
      const strings = new SharedStrings()
      let previous: PeerRecord | undefined
      const put = (line: string, file: string, n: number, base: boolean): void => {
        let r: PeerRecord
        try {
          r = JSON.parse(line) as PeerRecord
        } catch (err) {
          throw this.corrupt(`${file} line ${n} is not JSON (${(err as Error).message})`)
        }
        if (typeof r !== 'object' || r === null || typeof r.host !== 'string' || typeof r.port !== 'number' || r.network !== this.network) {
          throw this.corrupt(`${file} line ${n} is not a record of ${this.network}: ${line.slice(0, 120)}`)
        }
        // One network string for a million records (JSON.parse gives each its own).
        r.network = this.network
        // Schema 2 kept uptime as an object (read by a reader of a v2 store, or an unmigrated line).
        if (r.uptime !== undefined && typeof r.uptime !== 'string') r.uptime = uptimeFromStored(r.uptime)
        strings.share(r, previous)
        previous = r
        if (base && !this.indexOnRead) state.records.load(r)
        else state.records.set(r)
      }
      let n = 0
      const base = await forEachLine(this.statePath, (line) => put(line, 'state.jsonl', ++n, true))
      if (base.tornBytes > 0) throw this.corrupt('state.jsonl ends in a partial line (it is only ever replaced whole)')
      n = 0
      // Records of a checkpoint wait for its commit line; bytes count to the last commit.
      let batch: string[] = []
      let batchBytes = 0
      let committedBytes = 0
      const journal = await forEachLine(this.journalPath, (line) => {
        n++
        batchBytes += Buffer.byteLength(line) + 1
        if (line.startsWith(COMMIT_PREFIX)) {
          for (const [i, l] of batch.entries()) put(l, 'journal.jsonl', n - batch.length + i, false)
          batch = []
          committedBytes += batchBytes
          batchBytes = 0
        } else {
          batch.push(line)
        }
      })
      const after = await stat(this.statePath).catch(() => undefined)
      if (before?.ino !== after?.ino && attempt < 3) continue
      if (!base.exists && !journal.exists) return null
      this.stateBytes = base.completeBytes
      this.journalBytes = committedBytes
      this.journalValidBytes = journal.tornBytes > 0 || committedBytes < journal.completeBytes ? committedBytes : undefined
      return state
    }
  }

  /** Appends the changed records to the journal and fsyncs. */
  async write (data: NetworkState): Promise<void> {
    if (data.dirty.size === 0) {
      this.lastWrite = { blockedMs: 0, bytes: 0 }
      return
    }
    if (this.journalValidBytes !== undefined) {
      await truncate(this.journalPath, this.journalValidBytes)
      this.journalValidBytes = undefined
    }
    const changed = [...data.dirty]
    data.dirty.clear()
    let figures: WriteFigures
    const handle = await open(this.journalPath, 'a')
    try {
      figures = await this.serialise(changed, async (bytes) => {
        await handle.write(bytes)
        await this.midway()
      })
      const commit = Buffer.from(`${COMMIT_PREFIX}${Date.now()}}\n`)
      await handle.write(commit)
      figures.bytes += commit.length
      await handle.sync()
    } catch (err) {
      // Not written: written again next time (a partial line is cut off then, as after a crash).
      for (const r of changed) data.dirty.add(r)
      this.journalValidBytes = this.journalBytes
      throw new StoreError('PEERS_STORE_IO', `cannot append to ${this.journalPath}: ${(err as Error).message}`, { cause: err })
    } finally {
      await handle.close().catch(() => {})
    }
    this.journalBytes += figures.bytes
    this.lastWrite = figures
  }

  /**
   * Rewrites the state from memory, dropping the records `keep` refuses (retention), then
   * truncates the journal. Records changed while it runs are written by the next write().
   */
  async compact (data: NetworkState, keep: (r: PeerRecord) => boolean): Promise<{ figures: WriteFigures, forgotten: number }> {
    // Everything dirty so far is written below in its current form.
    data.dirty = new Set()
    data.lazyChanges = 0
    let forgotten = 0
    const temp = join(this.dir, `.state.jsonl.${process.pid}.tmp`)
    let figures: WriteFigures = { blockedMs: 0, bytes: 0 }
    await replaceFile(this.statePath, temp, this.dir, async (write) => {
      // A Map iterator sees records added meanwhile (they are journaled too) and tolerates the
      // deletions of retention.
      figures = await this.serialise(data.records.values(), async (bytes) => {
        await write(bytes)
        await this.midway()
      }, (r) => {
        if (keep(r)) return true
        data.records.delete(r)
        forgotten++
        return false
      })
    })
    this.journalValidBytes = undefined
    const journal = await open(this.journalPath, 'a')
    try {
      await journal.truncate(0)
      await journal.sync()
    } finally {
      await journal.close()
    }
    this.stateBytes = figures.bytes
    this.journalBytes = 0
    this.lastWrite = figures
    return { figures, forgotten }
  }

  private async midway (): Promise<void> {
    const trace = this.trace
    if (trace === undefined) return
    this.trace = undefined
    await trace.midway()
  }

  private lineBuffer (): LineBuffer {
    this.lines ??= new LineBuffer()
    this.lines.clear()
    return this.lines
  }

  /**
   * JSON lines of the records `keep` accepts, handed to `sink` about a MiB at a time; the event
   * loop turns after every RECORDS_PER_STEP records and at each write.
   */
  private async serialise (records: Iterable<PeerRecord>, sink: (bytes: Buffer) => Promise<void>, keep: (r: PeerRecord) => boolean = () => true): Promise<WriteFigures> {
    let blockedMs = 0
    let bytes = 0
    const out = this.lineBuffer()
    let stepStart = performance.now()
    const flush = async (): Promise<void> => {
      blockedMs = Math.max(blockedMs, performance.now() - stepStart)
      if (out.length > 0) {
        bytes += out.length
        await sink(out.bytes())
        out.clear()
      }
      stepStart = performance.now()
    }
    let visited = 0
    for (const r of records) {
      if (++visited % RECORDS_PER_STEP === 0) {
        blockedMs = Math.max(blockedMs, performance.now() - stepStart)
        await new Promise<void>((resolve) => setImmediate(resolve))
        stepStart = performance.now()
      }
      if (!keep(r)) continue
      const line = JSON.stringify(r)
      if (!out.add(line)) {
        await flush()
        if (!out.add(line)) {
          const alone = Buffer.from(`${line}\n`, 'utf8')
          bytes += alone.length
          await sink(alone)
        }
      }
      if (out.full) await flush()
    }
    await flush()
    return { blockedMs, bytes }
  }

  private corrupt (why: string): StoreError {
    return new StoreError('PEERS_STORE_CORRUPT', `store network ${this.network} in ${this.dir} is unreadable: ${why}; left untouched`)
  }
}

/**
 * One copy of the strings a million loaded records repeat, as the crawl's own records share
 * them: enumerations and labels (address type, failure reason, services, user agent, AS name),
 * and times that the record before it or the record itself holds already (addresses learned
 * from one answer are stored side by side with one first-seen time; a reachable peer's last
 * success is its last try). JSON.parse gives every value its own string: 30 to 40 bytes each.
 */
class SharedStrings {
  /** Bounded: a store whose peers all send different user agents stops sharing, not growing. */
  private static readonly MAX = 100_000
  private readonly pool = new Map<string, string>()

  share (r: PeerRecord, previous: PeerRecord | undefined): void {
    r.type = this.label(r.type, previous?.type) as PeerRecord['type']
    if (r.lastFailure !== undefined) r.lastFailure = this.label(r.lastFailure, previous?.lastFailure) as PeerRecord['lastFailure']
    if (r.advertisedServices !== undefined) r.advertisedServices = this.label(r.advertisedServices, previous?.advertisedServices)
    if (r.services !== undefined) r.services = this.label(r.services, previous?.services)
    if (r.userAgent !== undefined) r.userAgent = this.label(r.userAgent, previous?.userAgent)
    if (r.asOrg !== undefined) r.asOrg = this.label(r.asOrg, previous?.asOrg)
    if (r.country !== undefined) r.country = this.label(r.country, previous?.country)
    if (r.skipped !== undefined) r.skipped = this.label(r.skipped, previous?.skipped)
    if (previous !== undefined) {
      if (r.firstSeen === previous.firstSeen) r.firstSeen = previous.firstSeen
      if (r.lastAdvertised !== undefined && r.lastAdvertised === previous.lastAdvertised) r.lastAdvertised = previous.lastAdvertised
      if (r.lastTried !== undefined && r.lastTried === previous.lastTried) r.lastTried = previous.lastTried
    }
    if (r.lastAdvertised !== undefined && r.lastAdvertised === r.firstSeen) r.lastAdvertised = r.firstSeen
    if (r.lastSuccess !== undefined && r.lastSuccess === r.lastTried) r.lastSuccess = r.lastTried
    if (r.answer !== undefined && r.answer.at === r.lastSuccess) r.answer.at = r.lastSuccess
  }

  private label (value: string, previous: string | undefined): string {
    if (value === previous) return previous
    const known = this.pool.get(value)
    if (known !== undefined) return known
    if (this.pool.size < SharedStrings.MAX) this.pool.set(value, value)
    return value
  }
}
