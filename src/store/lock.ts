// The writer's lock: `<store>.lock` holds `{ pid, hostname, startedAt }` of the one process
// allowed to write the store. Created exclusively (the content is written to a temp file
// first and hard-linked into place, so a lock file is never seen half-written). A lock
// whose pid is not alive on this host is stale and is taken over.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Logger } from '../contract.js'
import { StoreError } from '../errors.js'

export interface LockHolder {
  pid: number
  hostname: string
  startedAt: string
}

/** Locks this process holds: its own pid in a lock file is then a live holder, not a stale one. */
const heldByThisProcess = new Set<string>()
/** Release of each held lock, run at process exit too: process.exit() (a second Ctrl-C) must not leave the lock behind. */
const releaseAtExit = new Map<string, () => void>()
let exitHookInstalled = false

export interface HeldLock {
  readonly path: string
  release (): void
}

export function acquireLock (storePath: string, log: Logger): HeldLock {
  const lockPath = `${storePath}.lock`
  const me: LockHolder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() }
  const content = JSON.stringify(me)
  const temp = `${lockPath}.${process.pid}.tmp`
  writeFileSync(temp, content)
  try {
    // Usually two rounds: a stale lock is moved aside in the first, the link succeeds in the second.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(temp, lockPath)
        heldByThisProcess.add(lockPath)
        const release = (): void => {
          if (!heldByThisProcess.delete(lockPath)) return
          releaseAtExit.delete(lockPath)
          // Only our own lock: a lock taken over by another process after we were presumed dead stays.
          if (readHolderText(lockPath) === content) unlinkQuietly(lockPath)
        }
        releaseAtExit.set(lockPath, release)
        if (!exitHookInstalled) {
          exitHookInstalled = true
          process.on('exit', () => { for (const r of [...releaseAtExit.values()]) r() })
        }
        return { path: lockPath, release }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StoreError('PEERS_STORE_IO', `cannot create lock ${lockPath}: ${(err as Error).message}`, { cause: err })
        }
      }
      const text = readHolderText(lockPath)
      if (text === undefined) continue // released meanwhile
      const holder = parseHolder(text)
      if (holder !== undefined && isAlive(holder, lockPath)) {
        throw new StoreError('PEERS_STORE_LOCKED', `store ${storePath} is in use by pid ${holder.pid}${holder.hostname === me.hostname ? '' : ` on ${holder.hostname}`} since ${holder.startedAt} (lock ${lockPath})`)
      }
      takeOverStale(lockPath, text, holder, log)
    }
    throw new StoreError('PEERS_STORE_LOCKED', `store ${storePath} is contended: could not take lock ${lockPath}`)
  } finally {
    unlinkQuietly(temp)
  }
}

/**
 * Moves the stale lock aside with a rename (only one contender's rename succeeds). If what
 * was moved is not the lock we judged stale (another process took over in between), it is
 * linked back, which fails rather than overwrite a newer lock.
 */
function takeOverStale (lockPath: string, staleText: string, holder: LockHolder | undefined, log: Logger): void {
  const aside = `${lockPath}.stale.${process.pid}`
  try {
    renameSync(lockPath, aside)
  } catch {
    return // someone else moved it; retry the link
  }
  const moved = readHolderText(aside)
  if (moved !== staleText) {
    try { linkSync(aside, lockPath) } catch { /* a newer lock is in place */ }
  } else {
    log.warn(holder === undefined
      ? `taking over unreadable lock ${lockPath}`
      : `taking over stale lock ${lockPath}: pid ${holder.pid} (since ${holder.startedAt}) is no longer running`)
  }
  unlinkQuietly(aside)
}

function isAlive (holder: LockHolder, lockPath: string): boolean {
  // On another host we cannot tell: assume alive, the message names the host.
  if (holder.hostname !== hostname()) return true
  // Our own pid: alive if we hold it; else a previous process that had our pid (containers).
  if (holder.pid === process.pid) return heldByThisProcess.has(lockPath)
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // exists, owned by someone else
  }
}

/** The holder named by a lock file, if one exists and is readable. */
export function readLockHolder (storePath: string): LockHolder | undefined {
  const text = readHolderText(`${storePath}.lock`)
  return text === undefined ? undefined : parseHolder(text)
}

/** Whether a live process on this host (or any process on another host) holds the store's lock. */
export function isLockHeld (storePath: string): boolean {
  const holder = readLockHolder(storePath)
  return holder !== undefined && isAlive(holder, `${storePath}.lock`)
}

function readHolderText (path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function parseHolder (text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>
    if (typeof h.pid === 'number' && typeof h.hostname === 'string' && typeof h.startedAt === 'string') return h as LockHolder
  } catch { /* unreadable */ }
  return undefined
}

function unlinkQuietly (path: string): void {
  try { unlinkSync(path) } catch { /* already gone */ }
}
