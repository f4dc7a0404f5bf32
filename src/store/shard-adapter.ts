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
import { formatEndpoint } from '../net/endpoint.js'
import { replaceFile } from './files.js'
import { forEachLine } from './jsonl.js'
import type { PeerRecord } from './types.js'
import type { StoreWriteTrace } from './write-hook.js'

export interface NetworkState {
  records: Map<string, PeerRecord>
  /** Keys whose records changed since the last write: written whole at the next one. */
  dirty: Set<string>
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

export function recordKey (endpoint: { host: string, port: number }): string {
  return formatEndpoint(endpoint)
}

export function emptyNetworkState (): NetworkState {
  return { records: new Map(), dirty: new Set(), lazyChanges: 0 }
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

  constructor (dir: string, network: string) {
    this.dir = dir
    this.network = network
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
      const put = (line: string, file: string, n: number): void => {
        let r: PeerRecord
        try {
          r = JSON.parse(line) as PeerRecord
        } catch (err) {
          throw this.corrupt(`${file} line ${n} is not JSON (${(err as Error).message})`)
        }
        if (typeof r !== 'object' || r === null || typeof r.host !== 'string' || typeof r.port !== 'number' || r.network !== this.network) {
          throw this.corrupt(`${file} line ${n} is not a record of ${this.network}: ${line.slice(0, 120)}`)
        }
        state.records.set(recordKey(r), r)
      }
      let n = 0
      const base = await forEachLine(this.statePath, (line) => put(line, 'state.jsonl', ++n))
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
          for (const [i, l] of batch.entries()) put(l, 'journal.jsonl', n - batch.length + i)
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
    const keys = [...data.dirty]
    data.dirty.clear()
    let figures: WriteFigures
    const handle = await open(this.journalPath, 'a')
    try {
      figures = await this.serialise(keys.length, (i) => data.records.get(keys[i]), async (buffers) => {
        for (const b of buffers) await handle.write(b)
        await this.midway()
      })
      const commit = Buffer.from(`${COMMIT_PREFIX}${Date.now()}}\n`)
      await handle.write(commit)
      figures.bytes += commit.length
      await handle.sync()
    } catch (err) {
      // Not written: written again next time (a partial line is cut off then, as after a crash).
      for (const k of keys) data.dirty.add(k)
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
    let blockedMs = 0
    let bytes = 0
    const temp = join(this.dir, `.state.jsonl.${process.pid}.tmp`)
    await replaceFile(this.statePath, temp, this.dir, async (write) => {
      // Walked in steps, the event loop turning between them; a Map iterator sees records
      // added meanwhile (they are journaled too) and tolerates the deletions of retention.
      const entries = data.records.entries()
      let pending: string[] = []
      let pendingBytes = 0
      let stepStart = performance.now()
      for (let done = false; !done;) {
        for (let i = 0; i < RECORDS_PER_STEP; i++) {
          const next = entries.next()
          if (next.done === true) {
            done = true
            break
          }
          const [key, r] = next.value
          if (!keep(r)) {
            data.records.delete(key)
            forgotten++
            continue
          }
          const line = JSON.stringify(r)
          pending.push(line)
          pendingBytes += line.length + 1
        }
        if (pendingBytes >= BYTES_PER_WRITE || (done && pending.length > 0)) {
          const buffer = Buffer.from(pending.join('\n') + '\n', 'utf8')
          pending = []
          pendingBytes = 0
          bytes += buffer.length
          blockedMs = Math.max(blockedMs, performance.now() - stepStart)
          await write(buffer)
          await this.midway()
          stepStart = performance.now()
        } else if (!done) {
          blockedMs = Math.max(blockedMs, performance.now() - stepStart)
          await new Promise<void>((resolve) => setImmediate(resolve))
          stepStart = performance.now()
        }
      }
    })
    this.journalValidBytes = undefined
    const journal = await open(this.journalPath, 'a')
    try {
      await journal.truncate(0)
      await journal.sync()
    } finally {
      await journal.close()
    }
    const figures = { blockedMs, bytes }
    this.stateBytes = bytes
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

  /** JSON lines in steps of RECORDS_PER_STEP, handed to `sink` about a MiB at a time; each await lets the event loop turn. */
  private async serialise (count: number, at: (i: number) => PeerRecord | undefined, sink: (buffers: Buffer[]) => Promise<void>): Promise<WriteFigures> {
    let blockedMs = 0
    let bytes = 0
    let pending: Buffer[] = []
    let pendingBytes = 0
    let stepStart = performance.now()
    for (let i = 0; i < count; i += RECORDS_PER_STEP) {
      const lines: string[] = []
      const end = Math.min(count, i + RECORDS_PER_STEP)
      for (let j = i; j < end; j++) {
        const r = at(j)
        if (r !== undefined) lines.push(JSON.stringify(r))
      }
      if (lines.length === 0) continue
      const buffer = Buffer.from(lines.join('\n') + '\n', 'utf8')
      pending.push(buffer)
      pendingBytes += buffer.length
      bytes += buffer.length
      if (pendingBytes >= BYTES_PER_WRITE || end === count) {
        blockedMs = Math.max(blockedMs, performance.now() - stepStart)
        const out = pending
        pending = []
        pendingBytes = 0
        await sink(out)
        stepStart = performance.now()
      }
    }
    if (pending.length > 0) {
      blockedMs = Math.max(blockedMs, performance.now() - stepStart)
      await sink(pending)
    }
    return { blockedMs, bytes }
  }

  private corrupt (why: string): StoreError {
    return new StoreError('PEERS_STORE_CORRUPT', `store network ${this.network} in ${this.dir} is unreadable: ${why}; left untouched`)
  }
}
