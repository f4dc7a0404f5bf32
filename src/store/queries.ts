// What `peers runs`, `peers diff` and `peers history` ask of a store's runs and history.
import { UsageError } from '../errors.js'
import { lastOutcomesPerWindow } from './history.js'
import type { RunRecord } from './types.js'

/** A span of time the history is read over, and what it was named by. */
export interface Window {
  label: string
  fromMs: number
  toMs: number
  run?: RunRecord
}

const DAY_MS = 86_400_000

/** The last two finished runs of a network (older first), for `peers diff` without arguments. */
export function lastTwoFinished (runs: readonly RunRecord[]): [RunRecord, RunRecord] | undefined {
  const finished = runs.filter((r) => r.status === 'finished' && r.endedAt !== undefined)
  return finished.length < 2 ? undefined : [finished[finished.length - 2], finished[finished.length - 1]]
}

export function runWindow (run: RunRecord): Window {
  return { label: `run ${run.id.slice(0, 8)}`, fromMs: Date.parse(run.startedAt), toMs: run.endedAt === undefined ? Date.now() : Date.parse(run.endedAt), run }
}

/**
 * A diff side: a run id (or a prefix of at least 4 characters, as `peers runs` shows it),
 * a date (YYYY-MM-DD: that UTC day), or a time (ISO 8601 with a time: the run under way then,
 * else the 24 hours before it).
 */
export function resolveWindow (text: string, runs: readonly RunRecord[]): Window {
  const byId = runs.filter((r) => r.id === text || (text.length >= 4 && r.id.startsWith(text)))
  if (byId.length === 1) return runWindow(byId[0])
  if (byId.length > 1) throw new UsageError(`run id '${text}' is ambiguous: ${byId.map((r) => r.id).join(', ')}`)
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const fromMs = Date.parse(`${text}T00:00:00.000Z`)
    if (Number.isNaN(fromMs)) throw new UsageError(`'${text}' is not a date`)
    return { label: text, fromMs, toMs: fromMs + DAY_MS - 1 }
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = Date.parse(text)
    if (Number.isNaN(at)) throw new UsageError(`'${text}' is not an ISO 8601 time`)
    const during = runs.filter((r) => Date.parse(r.startedAt) <= at && (r.endedAt === undefined || Date.parse(r.endedAt) >= at))
    if (during.length > 0) return runWindow(during[during.length - 1])
    return { label: `24 h before ${new Date(at).toISOString()}`, fromMs: at - DAY_MS, toMs: at }
  }
  throw new UsageError(`'${text}' is neither a run id (see peers runs) nor an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)`)
}

export interface PeerDiff {
  a: { label: string, from: string, to: string, reachable: number }
  b: { label: string, from: string, to: string, reachable: number }
  /** Reachable in B, not in A (not observed in A, or down there). */
  joined: string[]
  /** Reachable in A, not in B. */
  left: string[]
  /** Reachable in both. */
  stayed: number
}

/** Per window, the endpoints reachable in it: their last observation there succeeded. */
async function reachableIn (historyDir: string, windows: readonly Window[]): Promise<Array<Set<string>>> {
  return (await lastOutcomesPerWindow(historyDir, windows)).map((outcomes) => {
    const up = new Set<string>()
    for (const [e, o] of outcomes) if (o.ok) up.add(e)
    return up
  })
}

/** Joined: reachable in B, not in A; left: reachable in A, not in B. */
function compare (upA: Set<string>, upB: Set<string>): { joined: string[], left: string[], stayed: number } {
  const joined = [...upB].filter((e) => !upA.has(e))
  const left = [...upA].filter((e) => !upB.has(e))
  return { joined, left, stayed: upB.size - joined.length }
}

/** Reachable = the endpoint's last observation in the window succeeded. */
export async function diffWindows (historyDir: string, a: Window, b: Window): Promise<PeerDiff> {
  const [upA, upB] = await reachableIn(historyDir, [a, b])
  const side = (w: Window, up: Set<string>): PeerDiff['a'] => ({ label: w.label, from: new Date(w.fromMs).toISOString(), to: new Date(w.toMs).toISOString(), reachable: up.size })
  return { a: side(a, upA), b: side(b, upB), ...compare(upA, upB) }
}

export interface RunChurn {
  /** The earlier run (A) and the later one (B) of the pair. */
  from: RunRecord
  to: RunRecord
  joined: number
  left: number
  stayed: number
}

/**
 * Joins and leaves between each consecutive pair of the network's last `maxRuns` finished runs,
 * as `peers diff A B` counts them, with the history read once.
 */
export async function churnPerRun (historyDir: string, runs: readonly RunRecord[], maxRuns = 30): Promise<RunChurn[]> {
  const finished = runs.filter((r) => r.status === 'finished' && r.endedAt !== undefined)
    .sort((a, b) => (a.endedAt as string) < (b.endedAt as string) ? -1 : 1).slice(-maxRuns)
  if (finished.length < 2) return []
  const up = await reachableIn(historyDir, finished.map(runWindow))
  return finished.slice(1).map((to, i) => {
    const { joined, left, stayed } = compare(up[i], up[i + 1])
    return { from: finished[i], to, joined: joined.length, left: left.length, stayed }
  })
}
