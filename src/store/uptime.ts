// Rolling reliability per peer, as the sipa DNS seeder keeps it (bitcoin-seeder db.h CAddrStat,
// db.cpp CAddrInfo::Update; ../shared/seeds-format.md §2): per window τ, on every try,
//   f = exp(-age/τ); reliability = reliability·f + (good ? 1-f : 0); count = count·f + 1; weight = weight·f + (1-f)
// where age is the time since our previous try, and 1000 s (MIN_RETRY) for the first one.
// Start rule: sipa's. Unobserved time counts as down, so `reliability` (what the seeds dump
// prints) never overstates a node we have watched only briefly; `reliability / weight` is the
// share of the watched time the node was up, which `peers list`/`stats` show beside it.
// Stored form (schema 3): the 16 numbers as one text, `lastTry,w,c,r,w,c,r,…` (types.ts says why);
// everything else reads and updates it through this module.
import type { UptimeState } from './types.js'

/** The five windows: name and τ in seconds (db.h: stat2H, stat8H, stat1D, stat1W, stat1M). */
export const UPTIME_WINDOWS = [
  { name: '2h', tauS: 2 * 3600 },
  { name: '8h', tauS: 8 * 3600 },
  { name: '1d', tauS: 86400 },
  { name: '7d', tauS: 7 * 86400 },
  { name: '30d', tauS: 30 * 86400 }
] as const

export type UptimeWindowName = typeof UPTIME_WINDOWS[number]['name']
export const UPTIME_WINDOW_NAMES: readonly UptimeWindowName[] = UPTIME_WINDOWS.map((w) => w.name)

/** db.cpp: `if (ourLastTry == 0) ourLastTry = now - MIN_RETRY;` with MIN_RETRY = 1000 s. */
export const FIRST_TRY_AGE_S = 1000

/** Offsets in a window's triple of UptimeState.stats. */
const WEIGHT = 0
const COUNT = 1
const RELIABILITY = 2

/** Numbers in a state: the last try, then weight, count, reliability per window. */
const FIGURES = 1 + 3 * UPTIME_WINDOWS.length

/** A state's numbers: the time of the last try (unix ms) and sipa's 15 figures, `[weight, count, reliability]` per window. */
export interface UptimeValues { lastTry: number, stats: number[] }

export function encodeUptime (values: UptimeValues): UptimeState {
  // One join: a template literal would make a cons string of three (twice the memory per record).
  return [values.lastTry, ...values.stats].join(',')
}

/** The numbers of a state (the form `peers list --json` and the json/csv exports show). */
export function uptimeValues (state: UptimeState): UptimeValues {
  const parts = state.split(',')
  const stats = new Array<number>(FIGURES - 1)
  for (let i = 1; i < FIGURES; i++) stats[i - 1] = Number(parts[i] ?? 0)
  return { lastTry: Number(parts[0]), stats }
}

/**
 * A stored `uptime` as this version keeps it: the text as is; schema 2's object
 * `{ lastTry, stats }` encoded; anything else (a hand-edited file) is no uptime.
 */
export function uptimeFromStored (value: unknown): UptimeState | undefined {
  if (typeof value === 'string') return value
  if (typeof value !== 'object' || value === null) return undefined
  const { lastTry, stats } = value as Partial<UptimeValues>
  if (typeof lastTry !== 'number' || !Array.isArray(stats) || stats.length !== FIGURES - 1 || !stats.every((x) => typeof x === 'number')) return undefined
  return encodeUptime({ lastTry, stats })
}

/** One window of a state: sipa's CAddrStat fields. */
export function uptimeWindow (state: UptimeState, index: number): { weight: number, count: number, reliability: number } {
  return windowOf(uptimeValues(state).stats, index)
}

function windowOf (stats: readonly number[], index: number): { weight: number, count: number, reliability: number } {
  return { weight: stats[3 * index + WEIGHT], count: stats[3 * index + COUNT], reliability: stats[3 * index + RELIABILITY] }
}

/**
 * Kept to 1e-9: the JSON of a record stays short (sipa keeps these as 32-bit floats, coarser
 * still); the rounding error stays below 1e-7 after any number of tries, as it decays with them.
 */
function round9 (x: number): number {
  return Math.round(x * 1e9) / 1e9
}

/** The state after a try at `nowMs` that succeeded when `good` (the first try when `state` is undefined). */
export function recordTry (state: UptimeState | undefined, good: boolean, nowMs: number): UptimeState {
  const s = state === undefined ? { lastTry: nowMs - FIRST_TRY_AGE_S * 1000, stats: new Array<number>(FIGURES - 1).fill(0) } : uptimeValues(state)
  // A clock stepped back gives no negative age (sipa's time(NULL) can step back too; it would raise the figures).
  const ageS = Math.max(0, (nowMs - s.lastTry) / 1000)
  const stats = s.stats
  for (let i = 0; i < UPTIME_WINDOWS.length; i++) {
    const f = Math.exp(-ageS / UPTIME_WINDOWS[i].tauS)
    const at = 3 * i
    stats[at + RELIABILITY] = round9(stats[at + RELIABILITY] * f + (good ? 1 - f : 0))
    stats[at + COUNT] = round9(stats[at + COUNT] * f + 1)
    stats[at + WEIGHT] = round9(stats[at + WEIGHT] * f + (1 - f))
  }
  s.lastTry = Math.max(s.lastTry, nowMs)
  return encodeUptime(s)
}

/** sipa's reliability of one window (0..1), 0 when never tried. */
export function reliabilityOf (state: UptimeState | undefined, window: UptimeWindowName): number {
  return state === undefined ? 0 : uptimeWindow(state, UPTIME_WINDOW_NAMES.indexOf(window)).reliability
}

export interface UptimeFigures {
  /** 100 × reliability per window, as sipa's dump prints it (unobserved time counts as down). */
  percent: Record<UptimeWindowName, number>
  /** 100 × reliability / weight: the share of the watched time it was up (0 when never tried). */
  normalised: Record<UptimeWindowName, number>
  /** The decayed number of tries per window (sipa's `count`, used by its IsGood rules). */
  count: Record<UptimeWindowName, number>
}

/** Figures as of the last try (as sipa reports them; the ratio does not decay, the raw figure would). */
export function uptimeFigures (state: UptimeState | undefined): UptimeFigures {
  const percent = {} as Record<UptimeWindowName, number>
  const normalised = {} as Record<UptimeWindowName, number>
  const count = {} as Record<UptimeWindowName, number>
  const stats = state === undefined ? undefined : uptimeValues(state).stats
  UPTIME_WINDOWS.forEach((w, i) => {
    const s = stats === undefined ? undefined : windowOf(stats, i)
    percent[w.name] = s === undefined ? 0 : 100 * s.reliability
    normalised[w.name] = s === undefined || s.weight <= 0 ? 0 : 100 * s.reliability / s.weight
    count[w.name] = s?.count ?? 0
  })
  return { percent, normalised, count }
}

/** 100 × reliability per window (sipa's dump columns), for the seeds dump. */
export function uptimePercents (state: UptimeState | undefined): Record<UptimeWindowName, number> {
  return uptimeFigures(state).percent
}

/** `7d:90` → window 7d, at least 90 % (normalised). A UsageError-worthy message on bad input. */
export function parseUptimeFilter (text: string): { window: UptimeWindowName, min: number } | string {
  const m = /^(2h|8h|1d|7d|30d):(\d+(?:\.\d+)?)$/.exec(text.trim())
  if (m === null) return `--min-uptime ${JSON.stringify(text)}: expected WINDOW:PERCENT with WINDOW one of ${UPTIME_WINDOW_NAMES.join(', ')}, e.g. 7d:90`
  const min = Number(m[2])
  if (min > 100) return `--min-uptime ${text}: a percentage is at most 100`
  return { window: m[1] as UptimeWindowName, min }
}

export function windowIndex (name: UptimeWindowName): number {
  return UPTIME_WINDOW_NAMES.indexOf(name)
}
