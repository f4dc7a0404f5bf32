// History: one observation per session outcome, appended to <db>.d/<network>/history/<YYYY-MM-DD>.jsonl
// (UTC day of the observation). Never rewritten, never held in lowdb's memory; read by streaming.
// Line format (fixed key order, so readers can pick t, e and ok without parsing the line):
//   {"t":<unix ms>,"e":"<host:port>","ok":1,"ms":<connect ms>,"h":<height>,"v":<protocol version>,"ua":"<user agent>"}
//   {"t":<unix ms>,"e":"<host:port>","ok":0,"r":"<failure reason>"}
// `v` and `ua` appear only when they differ from the peer's previous values; `h` on every success.
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { appendDurably } from './files.js'
import { forEachLine } from './jsonl.js'

export interface Observation {
  /** Unix ms. */
  t: number
  /** host:port as formatEndpoint writes it. */
  e: string
  ok: boolean
  /** Failure reason, when not ok. */
  r?: string
  /** Connect latency, ms. */
  ms?: number
  /** Start height the peer announced. */
  h?: number
  /** Protocol version, when it changed. */
  v?: number
  /** User agent, when it changed. */
  ua?: string
}

export function historyDir (shardDir: string): string {
  return join(shardDir, 'history')
}

export function dayOf (ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

export function formatObservation (o: Observation): string {
  let line = `{"t":${Math.round(o.t)},"e":${JSON.stringify(o.e)},"ok":${o.ok ? 1 : 0}`
  if (o.r !== undefined) line += `,"r":${JSON.stringify(o.r)}`
  if (o.ms !== undefined) line += `,"ms":${Math.round(o.ms)}`
  if (o.h !== undefined) line += `,"h":${o.h}`
  if (o.v !== undefined) line += `,"v":${o.v}`
  if (o.ua !== undefined) line += `,"ua":${JSON.stringify(o.ua)}`
  return line + '}'
}

function parseObservation (line: string): Observation | undefined {
  try {
    const raw = JSON.parse(line) as { t?: unknown, e?: unknown, ok?: unknown } & Omit<Observation, 't' | 'e' | 'ok'>
    if (typeof raw.t !== 'number' || typeof raw.e !== 'string') return undefined
    return { ...raw, t: raw.t, e: raw.e, ok: raw.ok === 1 || raw.ok === true }
  } catch {
    return undefined // a torn or foreign line: history is a log, one bad line costs one observation
  }
}

/** t, e and ok without JSON.parse (the writer's fixed prefix); undefined for a line of another shape. */
function quickFields (line: string): { t: number, e: string, ok: boolean } | undefined {
  if (!line.startsWith('{"t":')) return undefined
  const comma = line.indexOf(',"e":"', 5)
  if (comma < 0) return undefined
  const t = Number(line.slice(5, comma))
  const eStart = comma + 6
  const eEnd = line.indexOf('","ok":', eStart)
  if (eEnd < 0 || !Number.isFinite(t)) return undefined
  const e = line.slice(eStart, eEnd)
  if (e.includes('\\')) return undefined
  return { t, e, ok: line.charCodeAt(eEnd + 7) === 49 /* '1' */ }
}

/** Observations waiting for the next checkpoint, per day file. */
export class HistoryWriter {
  readonly dir: string
  private pending = new Map<string, string[]>()
  private made = false

  constructor (dir: string) {
    this.dir = dir
  }

  get size (): number {
    let n = 0
    for (const lines of this.pending.values()) n += lines.length
    return n
  }

  add (o: Observation): void {
    const day = dayOf(o.t)
    let lines = this.pending.get(day)
    if (lines === undefined) {
      lines = []
      this.pending.set(day, lines)
    }
    lines.push(formatObservation(o))
  }

  /** Appends what is pending (fsync per day file); returns the bytes written. */
  async flush (): Promise<number> {
    if (this.pending.size === 0) return 0
    const pending = this.pending
    this.pending = new Map()
    if (!this.made) {
      await mkdir(this.dir, { recursive: true })
      this.made = true
    }
    let bytes = 0
    for (const [day, lines] of pending) {
      try {
        bytes += await appendDurably(join(this.dir, `${day}.jsonl`), [Buffer.from(lines.join('\n') + '\n', 'utf8')])
      } catch (err) {
        // Kept for the next checkpoint (a torn tail line, if any, is skipped by readers).
        const again = this.pending.get(day) ?? []
        this.pending.set(day, [...lines, ...again])
        throw err
      }
    }
    return bytes
  }
}

/** Day files (YYYY-MM-DD) of a history directory, oldest first, optionally only those overlapping [fromMs, toMs]. */
export async function historyDays (dir: string, fromMs = -Infinity, toMs = Infinity): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  const days = names.filter((n) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(n)).map((n) => n.slice(0, 10)).sort()
  return days.filter((d) => {
    const start = Date.parse(`${d}T00:00:00.000Z`)
    return start + 86_400_000 > fromMs && start <= toMs
  })
}

/** One endpoint's observations in [fromMs, toMs], oldest first. */
export async function readTimeline (dir: string, endpoint: string, fromMs = -Infinity, toMs = Infinity): Promise<Observation[]> {
  const needle = `"e":${JSON.stringify(endpoint)},`
  const out: Observation[] = []
  for (const day of await historyDays(dir, fromMs, toMs)) {
    await forEachLine(join(dir, `${day}.jsonl`), (line) => {
      if (!line.includes(needle)) return
      const o = parseObservation(line)
      if (o !== undefined && o.e === endpoint && o.t >= fromMs && o.t <= toMs) out.push(o)
    })
  }
  return out.sort((a, b) => a.t - b.t)
}

/** Per endpoint, its last observation in [fromMs, toMs]: whether it was up then, and when. */
export async function lastOutcomes (dir: string, fromMs: number, toMs: number): Promise<Map<string, { ok: boolean, t: number }>> {
  return (await lastOutcomesPerWindow(dir, [{ fromMs, toMs }]))[0]
}

/**
 * lastOutcomes for several windows in one pass over the day files (each file read once, however
 * many windows it overlaps): what the report's joins and leaves over many runs need.
 */
export async function lastOutcomesPerWindow (dir: string, windows: ReadonlyArray<{ fromMs: number, toMs: number }>): Promise<Array<Map<string, { ok: boolean, t: number }>>> {
  const out = windows.map(() => new Map<string, { ok: boolean, t: number }>())
  if (windows.length === 0) return out
  const fromMs = Math.min(...windows.map((w) => w.fromMs))
  const toMs = Math.max(...windows.map((w) => w.toMs))
  const days = (await historyDays(dir, fromMs, toMs)).filter((d) => {
    const start = Date.parse(`${d}T00:00:00.000Z`)
    return windows.some((w) => start + 86_400_000 > w.fromMs && start <= w.toMs)
  })
  for (const day of days) {
    await forEachLine(join(dir, `${day}.jsonl`), (line) => {
      let f = quickFields(line)
      if (f === undefined) {
        const o = parseObservation(line)
        if (o === undefined) return
        f = o
      }
      for (let i = 0; i < windows.length; i++) {
        if (f.t < windows[i].fromMs || f.t > windows[i].toMs) continue
        const seen = out[i].get(f.e)
        if (seen === undefined || seen.t <= f.t) out[i].set(f.e, { ok: f.ok, t: f.t })
      }
    })
  }
  return out
}
