// The manifest (`--db` itself): { schema: 3, networks, runs }, small, through lowdb (schema 2's is the same).
// The per-peer state lives beside it in <db>.d/<network>/ (shard-adapter.ts).
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Adapter } from 'lowdb'
import { StoreError } from '../errors.js'
import { replaceFile } from './files.js'
import { STORE_SCHEMA_VERSION, type RunRecord } from './types.js'

export interface Manifest {
  schema: typeof STORE_SCHEMA_VERSION
  runs: RunRecord[]
  /** Network ids with a state directory, in the order they were first recorded. */
  networks: string[]
}

/** The bulk of a v2 store: `<db>.d/`. */
export function dataDir (storePath: string): string {
  return `${storePath}.d`
}

/** The directory of one network's state and history (network ids are plain, but never trusted as paths). */
export function networkDir (storePath: string, network: string): string {
  return join(dataDir(storePath), encodeURIComponent(network))
}

export async function writeManifest (path: string, manifest: Manifest): Promise<number> {
  const text = Buffer.from(`{"schema":${manifest.schema},"networks":${JSON.stringify(manifest.networks)},\n"runs":[${manifest.runs.map((r) => '\n' + JSON.stringify(r)).join(',')}]}\n`, 'utf8')
  await replaceFile(path, manifestTemp(path), dirname(path), async (write) => { await write(text) })
  return text.length
}

/** `.<name>.<pid>.tmp` beside the store: the rename stays on one file system. */
export function manifestTemp (path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
}

/** lowdb adapter of the manifest: a small JSON file replaced atomically. */
export class ManifestFile implements Adapter<Manifest> {
  readonly path: string
  lastBytes = 0
  constructor (path: string) {
    this.path = path
  }

  async read (): Promise<Manifest | null> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new StoreError('PEERS_STORE_IO', `cannot read store ${this.path}: ${(err as Error).message}`, { cause: err })
    }
    let parsed: Partial<Manifest>
    try {
      parsed = JSON.parse(text) as Partial<Manifest>
    } catch (err) {
      throw new StoreError('PEERS_STORE_CORRUPT', `store ${this.path} is unreadable: not valid JSON (${(err as Error).message}); left untouched (move it aside or pass another --db)`)
    }
    // Schema 2 has the same manifest (its records differ in uptime's form, which the shard reader converts).
    const schema = parsed.schema as number | undefined
    if ((schema !== STORE_SCHEMA_VERSION && schema !== 2) || !Array.isArray(parsed.runs) || !Array.isArray(parsed.networks)) {
      throw new StoreError('PEERS_STORE_CORRUPT', `store ${this.path} is unreadable: not a schema ${STORE_SCHEMA_VERSION} manifest; left untouched (move it aside or pass another --db)`)
    }
    return { ...parsed, schema: STORE_SCHEMA_VERSION } as Manifest
  }

  async write (data: Manifest): Promise<void> {
    this.lastBytes = await writeManifest(this.path, data)
  }
}
