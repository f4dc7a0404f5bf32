// The effective open-file limit and the concurrency it allows (docs/design.md §1.2). Node
// raises the soft RLIMIT_NOFILE to the hard one at start-up; /proc/self/limits shows what it
// became. Node has no getrlimit, so on other systems the limit is unknown.
import { readFileSync } from 'node:fs'
import { AUTO_CONCURRENCY_MAX, FALLBACK_CONCURRENCY, FD_RESERVE } from './defaults.js'

/** The soft "Max open files" of this process, or undefined when it cannot be read (not Linux) or is unlimited. */
export function openFileLimit (limitsText?: string): number | undefined {
  let text = limitsText
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'latin1')
    } catch {
      return undefined
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'))
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0]
  if (soft === undefined || !/^\d+$/.test(soft)) return undefined
  return Number(soft)
}

export interface ConcurrencyChoice {
  /** Sessions at once. */
  concurrency: number
  /** The open-file limit it was sized from, when known. */
  fdLimit?: number
  /** One line for the log when the requested value was lowered to fit the limit. */
  notice?: string
}

/** `requested` undefined means auto: as many as the limit allows, at most AUTO_CONCURRENCY_MAX. */
export function chooseConcurrency (requested: number | undefined, fdLimit = openFileLimit()): ConcurrencyChoice {
  const room = fdLimit === undefined ? undefined : Math.max(1, fdLimit - FD_RESERVE)
  if (requested === undefined) {
    return { concurrency: room === undefined ? FALLBACK_CONCURRENCY : Math.min(room, AUTO_CONCURRENCY_MAX), fdLimit }
  }
  if (room !== undefined && requested > room) {
    return {
      concurrency: room,
      fdLimit,
      notice: `--concurrency ${requested} lowered to ${room}: the open-file limit is ${fdLimit} and ${FD_RESERVE} stay free for the store and Node (raise it with ulimit -n)`
    }
  }
  return { concurrency: requested, fdLimit }
}
