// A lowdb adapter for the store file. Reading parses and validates the whole file once.
// Writing builds the JSON in chunks of records, awaiting each file write between chunks so
// the event loop keeps running (a crawl's sockets and timers) while 300,000 records go to
// disk; the file is replaced atomically (temp file in the same directory, fsync, rename).
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Adapter } from 'lowdb'
import { StoreError } from '../errors.js'
import { STORE_SCHEMA_VERSION, type PeerRecord, type RunRecord } from './types.js'
import { storeWriteHook } from './write-hook.js'

export interface StoreFile {
  schema: typeof STORE_SCHEMA_VERSION
  /** Per network id, its records (one array: the cheapest layout to parse and serialise). */
  peers: Record<string, PeerRecord[]>
  runs: RunRecord[]
}

export interface WriteFigures {
  /** Longest stretch the event loop was blocked by this write, in ms. */
  blockedMs: number
  bytes: number
}

/** Records serialised per synchronous step; ~1 ms of JSON.stringify each on a laptop. */
const RECORDS_PER_CHUNK = 1000
/** Serialised text gathered before one file write (fewer, larger writes). */
const BYTES_PER_WRITE = 1 << 20

export class ChunkedJsonFile implements Adapter<StoreFile> {
  readonly path: string
  /** Figures of the last completed write. */
  lastWrite: WriteFigures = { blockedMs: 0, bytes: 0 }

  constructor (path: string) {
    this.path = path
  }

  /** null when the file does not exist; StoreError PEERS_STORE_CORRUPT when it is not a store. */
  async read (): Promise<StoreFile | null> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new StoreError('PEERS_STORE_IO', `cannot read store ${this.path}: ${(err as Error).message}`, { cause: err })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw this.corrupt(text.length === 0 ? 'the file is empty' : `not valid JSON (${(err as Error).message}), perhaps truncated`)
    }
    return this.validate(parsed)
  }

  /** Temp files of writers that died mid-write (call only while holding the lock). */
  async removeAbandonedTemps (): Promise<void> {
    const prefix = `.${basename(this.path)}.`
    const names = await readdir(dirname(this.path)).catch(() => [])
    for (const name of names) {
      if (name.startsWith(prefix) && /^\d+\.tmp$/.test(name.slice(prefix.length))) await unlink(join(dirname(this.path), name)).catch(() => {})
    }
  }

  async write (data: StoreFile): Promise<void> {
    const dir = dirname(this.path)
    // `.<name>.<pid>.tmp` next to the store: the rename stays on one file system.
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.tmp`)
    let blockedMs = 0
    let bytes = 0
    const traced = storeWriteHook?.begin()
    const handle = await open(temp, 'w')
    try {
      let pending: string[] = []
      let pendingLength = 0
      let stepStart = performance.now()
      // Each await ends a synchronous step: the longest step is what the event loop felt.
      const flush = async (force: boolean): Promise<void> => {
        if (!force && pendingLength < BYTES_PER_WRITE) return
        const buffer = Buffer.from(pending.join(''), 'utf8')
        pending = []
        pendingLength = 0
        bytes += buffer.length
        blockedMs = Math.max(blockedMs, performance.now() - stepStart)
        await handle.write(buffer)
        stepStart = performance.now()
      }
      const push = async (text: string): Promise<void> => {
        pending.push(text)
        pendingLength += text.length
        await flush(false)
      }
      await push(`{"schema":${data.schema},"peers":{`)
      if (traced !== undefined) { // tests only: part of the file on disk, then the hook's pause
        await flush(true)
        await traced.midway()
      }
      const networks = Object.keys(data.peers)
      for (const [n, network] of networks.entries()) {
        const records = data.peers[network]
        await push(`${n === 0 ? '' : ','}\n${JSON.stringify(network)}:[`)
        // A length fixed up front: records appended while we yield go to the next checkpoint.
        const count = records.length
        for (let i = 0; i < count; i += RECORDS_PER_CHUNK) {
          const end = Math.min(i + RECORDS_PER_CHUNK, count)
          const lines: string[] = []
          for (let j = i; j < end; j++) lines.push(JSON.stringify(records[j]))
          // One record per line: the file stays greppable and diffable.
          await push(`${i === 0 ? '' : ','}\n${lines.join(',\n')}`)
        }
        await push(']')
      }
      await push(`},\n"runs":${JSON.stringify(data.runs)}}\n`)
      await flush(true)
      await handle.sync()
    } catch (err) {
      await handle.close().catch(() => {})
      await unlink(temp).catch(() => {})
      throw new StoreError('PEERS_STORE_IO', `cannot write store ${this.path}: ${(err as Error).message}`, { cause: err })
    }
    await handle.close()
    try {
      await rename(temp, this.path)
    } catch (err) {
      await unlink(temp).catch(() => {})
      throw new StoreError('PEERS_STORE_IO', `cannot replace store ${this.path}: ${(err as Error).message}`, { cause: err })
    }
    await syncDirectory(dir)
    traced?.end()
    this.lastWrite = { blockedMs, bytes }
  }

  private corrupt (why: string): StoreError {
    return new StoreError('PEERS_STORE_CORRUPT', `store ${this.path} is unreadable: ${why}; left untouched (move it aside or pass another --db)`)
  }

  /** Shape checks cheap enough for 300,000 records: what the readers rely on. */
  private validate (parsed: unknown): StoreFile {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw this.corrupt('not a peers store (expected an object)')
    const file = parsed as Partial<StoreFile> & { schema?: unknown }
    if (file.schema !== STORE_SCHEMA_VERSION) {
      throw this.corrupt(file.schema === undefined ? 'no schema version' : `schema version ${JSON.stringify(file.schema)} is not the supported version ${STORE_SCHEMA_VERSION}`)
    }
    if (typeof file.peers !== 'object' || file.peers === null || Array.isArray(file.peers)) throw this.corrupt('"peers" is not an object')
    if (!Array.isArray(file.runs)) throw this.corrupt('"runs" is not an array')
    for (const [network, records] of Object.entries(file.peers)) {
      if (!Array.isArray(records)) throw this.corrupt(`"peers.${network}" is not an array`)
      for (const r of records as unknown[]) {
        const p = r as Partial<PeerRecord> | null
        if (typeof p !== 'object' || p === null || typeof p.host !== 'string' || typeof p.port !== 'number' || p.network !== network) {
          throw this.corrupt(`a record of "${network}" is malformed: ${JSON.stringify(r)?.slice(0, 120)}`)
        }
      }
    }
    return file as StoreFile
  }
}

/** Makes the rename durable; some platforms cannot open a directory, which is harmless. */
async function syncDirectory (dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => {})
  }
}
