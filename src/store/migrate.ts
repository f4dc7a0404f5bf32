// Store schema migrations (docs/design.md §2.5). Each bump adds one step vN → vN+1.
// v1: one JSON file { schema: 1, peers: { <network>: PeerRecord[] }, runs }.
// v2: a manifest { schema: 2, runs, networks } plus per network <db>.d/<network>/state.jsonl,
//     journal.jsonl and history/ (src/store/shard-adapter.ts, history.ts).
// A writer migrates on first open: the v1 file is copied to <db>.v1.bak (kept if present),
// the v2 state files are written, and the manifest replaces the v1 file last, so a crash
// at any point leaves either the v1 store (migrated again next time) or the v2 one.
// Readers migrate in memory and write nothing.
// v3: as v2, with a record's `uptime` kept as text (src/store/uptime.ts) instead of the object
//     { lastTry, stats }. Lines of either form load (the reader converts the object); the
//     migration keeps the v2 store (manifest, state, journal) in <db>.v2.bak/ and bumps the
//     manifest, so that an older peers refuses the store in one line instead of misreading
//     uptime; compactions then rewrite the lines. History files do not change.
import { constants } from 'node:fs'
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, truncate } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Logger } from '../contract.js'
import { StoreError } from '../errors.js'
import { replaceFile } from './files.js'
import { dataDir, networkDir, writeManifest, type Manifest } from './manifest.js'
import { STORE_SCHEMA_VERSION, type PeerRecord, type RunRecord } from './types.js'

export interface V1Store {
  peers: Record<string, PeerRecord[]>
  runs: RunRecord[]
}

export function corrupt (path: string, why: string): StoreError {
  return new StoreError('PEERS_STORE_CORRUPT', `store ${path} is unreadable: ${why}; left untouched (move it aside or pass another --db)`)
}

/** The schema number a store file declares, null when the file is missing. Reads only its head. */
export async function peekSchema (path: string): Promise<number | null> {
  let head: string
  try {
    const handle = await open(path, 'r')
    try {
      const buffer = Buffer.alloc(256)
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
      head = buffer.subarray(0, bytesRead).toString('utf8')
    } finally {
      await handle.close()
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new StoreError('PEERS_STORE_IO', `cannot read store ${path}: ${(err as Error).message}`, { cause: err })
  }
  const start = head.trimStart()
  if (start.length === 0) throw corrupt(path, 'the file is empty')
  if (start[0] === '[') throw corrupt(path, 'not a peers store (expected an object)')
  if (start[0] !== '{') throw corrupt(path, 'not valid JSON')
  const m = /^\s*\{\s*"schema"\s*:\s*(\d+)/.exec(head)
  if (m === null) throw corrupt(path, 'not a peers store (no schema version at its start)')
  const schema = Number(m[1])
  if (schema > STORE_SCHEMA_VERSION) {
    throw new StoreError('PEERS_STORE_VERSION', `store ${path} has schema ${schema}, newer than this version of peers reads (${STORE_SCHEMA_VERSION}); left untouched: upgrade peers or pass another --db`)
  }
  if (schema < 1) throw corrupt(path, `unknown schema version ${schema}`)
  return schema
}

/** Reads a v1 store (one JSON text: v1 stores are that) and converts its records to v2. */
export async function readV1 (path: string): Promise<V1Store> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    if (err instanceof SyntaxError) throw corrupt(path, `not valid JSON (${err.message}), perhaps truncated`)
    throw new StoreError('PEERS_STORE_IO', `cannot read store ${path}: ${(err as Error).message}`, { cause: err })
  }
  const file = parsed as { peers?: unknown, runs?: unknown }
  if (typeof file.peers !== 'object' || file.peers === null || Array.isArray(file.peers)) throw corrupt(path, '"peers" is not an object')
  if (!Array.isArray(file.runs)) throw corrupt(path, '"runs" is not an array')
  const peers: Record<string, PeerRecord[]> = {}
  for (const [network, records] of Object.entries(file.peers as Record<string, unknown>)) {
    if (!Array.isArray(records)) throw corrupt(path, `"peers.${network}" is not an array`)
    peers[network] = records.map((r) => {
      const p = r as Partial<PeerRecord> | null
      if (typeof p !== 'object' || p === null || typeof p.host !== 'string' || typeof p.port !== 'number' || p.network !== network) {
        throw corrupt(path, `a record of "${network}" is malformed: ${JSON.stringify(r)?.slice(0, 120)}`)
      }
      return recordV1ToV2(p as V1Record)
    })
  }
  return { peers, runs: file.runs as RunRecord[] }
}

type V1Record = PeerRecord & { lastSeen?: string, advertisedBy?: number }

/**
 * v1 → v2 record. Round 1 wrote `lastSeen` (set at discovery, then at every advertisement)
 * and `advertisedBy` (advertising sessions); main before the bump already wrote the v2 names.
 */
export function recordV1ToV2 (r: V1Record): PeerRecord {
  const { lastSeen, advertisedBy, ...rest } = r
  const out: PeerRecord = { ...rest, advertisements: rest.advertisements ?? advertisedBy ?? 0 }
  // A v1 lastSeen of a never-advertised record (a seed) was only its discovery time.
  if (out.lastAdvertised === undefined && lastSeen !== undefined && (advertisedBy ?? 0) > 0) out.lastAdvertised = lastSeen
  return out
}

/** Migrates the v1 store at `path` to v2 on disk (the caller holds the lock). */
export async function migrateV1File (path: string, log: Logger): Promise<void> {
  const v1 = await readV1(path)
  const backup = `${path}.v1.bak`
  try {
    await copyFile(path, backup, constants.COPYFILE_EXCL)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError('PEERS_STORE_IO', `cannot back up store ${path} to ${backup}: ${(err as Error).message}`, { cause: err })
  }
  const networks = Object.keys(v1.peers)
  for (const network of networks) {
    const dir = networkDir(path, network)
    await mkdir(dir, { recursive: true })
    const records = v1.peers[network]
    await replaceFile(join(dir, 'state.jsonl'), join(dir, `.state.jsonl.${process.pid}.tmp`), dir, async (write) => {
      for (let i = 0; i < records.length; i += 1000) {
        await write(Buffer.from(records.slice(i, i + 1000).map((r) => JSON.stringify(r) + '\n').join(''), 'utf8'))
      }
    })
    // A journal left by an earlier, interrupted migration belongs to nothing.
    await truncate(join(dir, 'journal.jsonl'), 0).catch(() => {})
  }
  await writeManifest(path, { schema: STORE_SCHEMA_VERSION, runs: v1.runs, networks })
  log.warn(`store ${path}: migrated from schema 1 to ${STORE_SCHEMA_VERSION} (${networks.map((n) => `${v1.peers[n].length} ${n}`).join(', ') || 'no records'}); the schema 1 file is kept as ${backup}`)
}

/** Where a v2 store is kept by its migration: a directory holding a complete v2 store of the same name. */
export function v2BackupDir (path: string): string {
  return `${path}.v2.bak`
}

/**
 * Migrates the v2 store at `path` to v3 on disk (the caller holds the lock): keeps the v2 store
 * in <db>.v2.bak/ (state hard-linked: compactions replace it by rename, never in place;
 * manifest and journals copied), then rewrites the manifest. A crash before the manifest is
 * rewritten leaves a v2 store, migrated again next time; the backup is made in a temp directory
 * and renamed, so a backup that exists is whole and is never overwritten.
 */
export async function migrateV2File (path: string, manifest: Manifest, log: Logger): Promise<void> {
  const backup = v2BackupDir(path)
  const exists = await stat(backup).then(() => true, () => false)
  if (!exists) {
    const temp = `${backup}.${process.pid}.tmp`
    try {
      await rm(temp, { recursive: true, force: true })
      await mkdir(temp, { recursive: true })
      await copyFile(path, join(temp, basename(path)))
      for (const dir of await readdir(dataDir(path)).catch(() => [] as string[])) {
        const from = join(dataDir(path), dir)
        const to = join(temp, `${basename(path)}.d`, dir)
        await mkdir(to, { recursive: true })
        await link(join(from, 'state.jsonl'), join(to, 'state.jsonl')).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return
          await copyFile(join(from, 'state.jsonl'), join(to, 'state.jsonl'))
        })
        await copyFile(join(from, 'journal.jsonl'), join(to, 'journal.jsonl')).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err
        })
      }
      await rename(temp, backup)
    } catch (err) {
      await rm(temp, { recursive: true, force: true }).catch(() => {})
      throw new StoreError('PEERS_STORE_IO', `cannot back up store ${path} to ${backup}: ${(err as Error).message}`, { cause: err })
    }
  }
  await writeManifest(path, { ...manifest, schema: STORE_SCHEMA_VERSION })
  log.warn(`store ${path}: migrated from schema 2 to ${STORE_SCHEMA_VERSION} (uptime kept as text); the schema 2 store is kept in ${backup}`)
}
