// Small file helpers shared by the store's adapters: durable rename and appends.
import { open, rename, unlink } from 'node:fs/promises'
import { StoreError } from '../errors.js'

/** Makes a rename durable; some platforms cannot open a directory, which is harmless. */
export async function syncDirectory (dir: string): Promise<void> {
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

/** Replaces `path` atomically with what `fill` writes to a temp file beside it (fsync, rename, directory fsync). */
export async function replaceFile (path: string, temp: string, dir: string, fill: (write: (buffer: Buffer) => Promise<void>) => Promise<void>): Promise<void> {
  const handle = await open(temp, 'w')
  try {
    await fill(async (buffer) => { await handle.write(buffer) })
    await handle.sync()
  } catch (err) {
    await handle.close().catch(() => {})
    await unlink(temp).catch(() => {})
    throw new StoreError('PEERS_STORE_IO', `cannot write ${path}: ${(err as Error).message}`, { cause: err })
  }
  await handle.close()
  try {
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw new StoreError('PEERS_STORE_IO', `cannot replace ${path}: ${(err as Error).message}`, { cause: err })
  }
  await syncDirectory(dir)
}

/** Appends and fsyncs (the file is created when missing). */
export async function appendDurably (path: string, buffers: Buffer[]): Promise<number> {
  let bytes = 0
  const handle = await open(path, 'a')
  try {
    for (const b of buffers) {
      await handle.write(b)
      bytes += b.length
    }
    await handle.sync()
  } catch (err) {
    throw new StoreError('PEERS_STORE_IO', `cannot append to ${path}: ${(err as Error).message}`, { cause: err })
  } finally {
    await handle.close().catch(() => {})
  }
  return bytes
}
