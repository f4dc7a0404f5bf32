// Store benchmark (issue #13 targets; docs/bench.md):
//  1. fill a store with N endpoints (1 in 10 reachable with peer info, every one tried once:
//     uptime and a history line each), compact it;
//  2. simulate 10 minutes of continuous crawling on a synthetic clock at a stated session rate:
//     the reachable peers revisited every 10 minutes (each answering with 1,000 known addresses
//     and a few new ones), a slice of the unreachable ones retried every hour, a checkpoint every
//     5 s; count the bytes each checkpoint writes and extrapolate per hour;
//  3. close (the final compaction), then load the store as `peers list` does and time it, and
//     as the next crawl does (opened for writing: records indexed as they stream in);
//  4. a month of history for 20,000 peers: time `peers diff` of two days and `peers history`.
// The longest event-loop block is the longest synchronous step of any checkpoint or
// compaction (the store measures it; perf_hooks' loop delay is an independent check).
// Run: node --import tsx test/bench/store-bench.ts [endpoints]
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import type { Endpoint, SessionResult } from '../../src/contract.js'
import { seededRandom } from '../../adapters/bitcoin/simnet/random.js'
import { HistoryWriter, readTimeline } from '../../src/store/history.js'
import { diffWindows } from '../../src/store/queries.js'
import { COMPACT_RATIO, openStore } from '../../src/store/store.js'
import type { CheckpointFigures, PeerStore } from '../../src/store/types.js'

/** The crawl's default --checkpoint-interval. */
const CHECKPOINT_S = 5
const SIMULATED_S = 600
/** Share of endpoints that are reachable (mainnet: ~20k of ~1M known addresses, we take more). */
const REACHABLE_EVERY = 10
/** Reachable peers revisited per 10 minutes (the default --revisit-interval) in the simulation. */
const REVISITED = 20_000
/** Unreachable endpoints retried per second: ~1 M retried once an hour (the default --retry-interval). */
const RETRIES_PER_S = 272
const ANSWER_ENTRIES = 1000
const NEW_PER_ANSWER = 5
const MONTH_PEERS = 20_000

export interface StoreBenchFigures {
  endpoints: number
  fillMs: number
  /** The compaction after the fill: the whole state rewritten. */
  compactMs: number
  stateBytes: number
  /** Mean checkpoint of the simulation: wall ms and bytes (what the bench table shows as "checkpoint"). */
  checkpointMs: number
  bytes: number
  /** Longest synchronous step of any checkpoint or compaction, as the store measures it. */
  maxBlockedMs: number
  /** Largest event-loop delay perf_hooks saw while checkpoints and compactions ran alone. */
  loopDelayMaxMs: number
  loadMs: number
  /** CPU time of the load (the wall time on a shared machine includes waiting for a core). */
  loadCpuMs: number
  /** The same store opened for writing, as the next crawl opens it (records indexed as they stream in). */
  writerLoadMs: number
  /** Live heap after the fill and a full GC: the store's own memory at N endpoints. */
  liveHeapMb: number
  /** Peak RSS of the whole run (fill, simulation, load, month). */
  rssMb: number
  /** Peak RSS before the load: the writer's phases (fill, simulation, close). */
  writerRssMb: number
  simulation: {
    sessionsPerSecond: number
    simulatedS: number
    checkpoints: number
    sessions: number
    /** Journal + manifest bytes, and history bytes, over the simulated time. */
    stateBytesWritten: number
    historyBytes: number
    /** Records journaled, summed over checkpoints. */
    recordsWritten: number
    bytesPerRecord: number
    largestCheckpointBytes: number
    compactions: number
    /** Per hour: 6 × the 10 minutes' journal bytes, plus the compactions they cause (one per 2 × state size of journal), and the history. */
    perHourStateBytes: number
    perHourHistoryBytes: number
    /** perHourStateBytes / state size. */
    perHourRatio: number
  }
  month: { peers: number, observations: number, historyBytes: number, diffTwoDaysMs: number, diffTwoHalvesMs: number, timelineMs: number }
}

function endpointOf (i: number): Endpoint {
  if (i % 10 === 9) return { host: `2001:db8:${(i >>> 16).toString(16)}::${(i & 0xffff).toString(16)}`, port: 8333, type: 'ipv6' }
  return { host: `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, port: 8333, type: 'ipv4' }
}

function reached (endpoint: Endpoint, i: number): SessionResult {
  return {
    endpoint,
    ok: true,
    connectMs: 20 + (i % 300),
    handshakeMs: 40 + (i % 500),
    peer: { protocolVersion: 70016, services: '3081', userAgent: `/Satoshi:${25 + (i % 4)}.0.0/`, startHeight: 850000 + (i % 100), relay: true },
    learned: [],
    addressesReceived: ANSWER_ENTRIES,
    gotAddressAnswer: true,
    answer: { entries: ANSWER_ENTRIES, afterMs: 30 + (i % 200) }
  }
}

function failed (endpoint: Endpoint): SessionResult {
  return { endpoint, ok: false, reason: 'connect-timeout', learned: [], addressesReceived: 0 }
}

export async function benchStore (options: { endpoints: number }): Promise<StoreBenchFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'peers-bench-'))
  const path = join(dir, 'peers.json')
  const n = options.endpoints
  const random = seededRandom(20261130)
  let clockMs = Date.parse('2026-11-01T00:00:00.000Z')
  const now = (): Date => new Date(clockMs)
  let loopDelayMaxMs = 0
  /**
   * Awaits a store write with a loop-delay histogram on (nothing else runs meanwhile). A fresh
   * histogram per write: one re-enabled after disable() counts the whole time it was off
   * (the simulation's own work between checkpoints) as one delay.
   */
  const measured = async (write: () => Promise<CheckpointFigures>): Promise<CheckpointFigures & { ms: number }> => {
    const histogram = monitorEventLoopDelay({ resolution: 1 })
    histogram.enable()
    const start = performance.now()
    const figures = await write()
    const ms = performance.now() - start
    histogram.disable()
    loopDelayMaxMs = Math.max(loopDelayMaxMs, histogram.max / 1e6)
    return { ...figures, ms }
  }
  try {
    // 1. Fill: a day of discovery; every endpoint tried once.
    const fillStart = performance.now()
    let store: PeerStore | undefined = await openStore(path, { mode: 'write', now })
    const seed = endpointOf(0)
    for (let i = 0; i < n; i++) {
      clockMs += 86_400_000 / n
      const endpoint = endpointOf(i)
      store.recordDiscovered('bench', endpoint, i === 0 ? null : seed, undefined, { time: Math.floor(clockMs / 1000) - 3600, services: '1033' })
      store.recordResult('bench', i % REACHABLE_EVERY === 0 ? reached(endpoint, i) : failed(endpoint))
      if (i % REACHABLE_EVERY === 0) store.setAsn('bench', endpoint, 64500 + (i % 400), `Example Hosting ${i % 400} GmbH`)
      if (i % 100_000 === 99_999) await store.checkpoint()
    }
    const fillMs = performance.now() - fillStart
    ;(globalThis as { gc?: () => void }).gc?.()
    const liveHeapMb = process.memoryUsage().heapUsed / 2 ** 20
    const compaction = await measured(async () => await store!.compact())
    const stateBytes = (await stat(join(`${path}.d`, 'bench', 'state.jsonl'))).size

    // 2. Ten minutes of continuous crawling.
    const reachableCount = Math.ceil(n / REACHABLE_EVERY)
    const revisited = Math.min(REVISITED, reachableCount)
    const revisitsPerS = revisited / 600
    const sessionsPerSecond = revisitsPerS + RETRIES_PER_S
    let revisitCursor = 0
    let retryCursor = 0
    let newIndex = n
    let sessions = 0
    let carry = 0
    const sim = { stateBytesWritten: 0, historyBytes: 0, recordsWritten: 0, largest: 0, compactions: 0, checkpoints: 0, checkpointMsSum: 0 }
    let maxBlockedMs = compaction.blockedMs
    for (let s = 0; s < SIMULATED_S; s++) {
      carry += revisitsPerS
      for (; carry >= 1; carry--) {
        const i = (revisitCursor++ % revisited) * REACHABLE_EVERY
        clockMs += 1
        store.recordResult('bench', random() < 0.95 ? reached(endpointOf(i), i) : failed(endpointOf(i)))
        sessions++
        const from = endpointOf(i)
        for (let k = 0; k < ANSWER_ENTRIES; k++) {
          const j = k < NEW_PER_ANSWER ? newIndex++ : Math.floor(random() * n)
          store.recordDiscovered('bench', endpointOf(j), from, undefined, { time: Math.floor(clockMs / 1000) - Math.floor(random() * 86400), services: '1033' })
        }
      }
      for (let r = 0; r < RETRIES_PER_S; r++) {
        let i = 1 + (retryCursor++ % (n - 1))
        if (i % REACHABLE_EVERY === 0) i++
        clockMs += 1
        store.recordResult('bench', failed(endpointOf(i)))
        sessions++
      }
      clockMs = Date.parse('2026-11-02T00:00:00.000Z') + (s + 1) * 1000
      if ((s + 1) % CHECKPOINT_S === 0) {
        const f = await measured(async () => await store!.checkpoint())
        sim.checkpoints++
        sim.checkpointMsSum += f.ms
        sim.historyBytes += f.historyBytes
        sim.stateBytesWritten += f.bytes - f.historyBytes
        sim.recordsWritten += f.records
        sim.largest = Math.max(sim.largest, f.bytes)
        if (f.compacted) sim.compactions++
        maxBlockedMs = Math.max(maxBlockedMs, f.blockedMs)
      }
    }
    // 3. Close (compacts), then load as a reader does. The writer's store is let go first: a
    // reader is another process, and its peak is its own.
    await measured(async () => { await store!.close(); return { blockedMs: 0, bytes: 0, historyBytes: 0, records: 0, compacted: true, forgotten: 0 } })
    maxBlockedMs = Math.max(maxBlockedMs, store.maxBlockedMs)
    store = undefined
    const writerRssMb = process.resourceUsage().maxRSS / 1024
    const { loadMs, loadCpuMs } = await timeLoad(path, n, 'read')
    // A writer (the next crawl) indexes the records as it reads them.
    const writerLoad = await timeLoad(path, n, 'write')

    // Extrapolation: the journal grows by 6× the ten minutes per hour; a compaction rewrites the
    // state each time the journal reaches COMPACT_RATIO times it, so it adds 1/COMPACT_RATIO of that.
    const journalPerHour = 6 * sim.stateBytesWritten
    const perHourStateBytes = journalPerHour + (journalPerHour / (COMPACT_RATIO * stateBytes)) * stateBytes
    // The month is what `peers diff` and `peers history` read, in their own processes: not
    // beside the garbage of the million records loaded above.
    ;(globalThis as { gc?: () => void }).gc?.()
    const month = await benchMonth(dir)
    return {
      endpoints: n,
      fillMs,
      compactMs: compaction.ms,
      stateBytes,
      checkpointMs: sim.checkpointMsSum / sim.checkpoints,
      bytes: (sim.stateBytesWritten + sim.historyBytes) / sim.checkpoints,
      maxBlockedMs,
      loopDelayMaxMs,
      loadMs,
      loadCpuMs,
      writerLoadMs: writerLoad.loadMs,
      liveHeapMb,
      rssMb: process.resourceUsage().maxRSS / 1024,
      writerRssMb,
      simulation: {
        sessionsPerSecond: Math.round(sessionsPerSecond),
        simulatedS: SIMULATED_S,
        checkpoints: sim.checkpoints,
        sessions,
        stateBytesWritten: sim.stateBytesWritten,
        historyBytes: sim.historyBytes,
        recordsWritten: sim.recordsWritten,
        bytesPerRecord: sim.recordsWritten === 0 ? 0 : sim.stateBytesWritten / sim.recordsWritten,
        largestCheckpointBytes: sim.largest,
        compactions: sim.compactions,
        perHourStateBytes,
        perHourHistoryBytes: 6 * sim.historyBytes,
        perHourRatio: perHourStateBytes / stateBytes
      },
      month
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Loads the store as `peers list` does (read) or as the next crawl does (write), after a full GC; the store is unreachable when this returns. */
async function timeLoad (path: string, n: number, mode: 'read' | 'write'): Promise<{ loadMs: number, loadCpuMs: number }> {
  ;(globalThis as { gc?: () => void }).gc?.()
  const loadStart = performance.now()
  const loadCpu = process.cpuUsage()
  const reloaded = await openStore(path, { mode })
  const loadMs = performance.now() - loadStart
  const used = process.cpuUsage(loadCpu)
  const loadedCount = reloaded.peers('bench').length
  if (loadedCount < n) throw new Error(`reload found ${loadedCount} records, expected at least ${n}`)
  await reloaded.close()
  return { loadMs, loadCpuMs: (used.user + used.system) / 1000 }
}

/** A month of history for 20,000 peers (a try every 4 to 12 hours), then the reads `peers diff` and `peers history` do. */
async function benchMonth (dir: string): Promise<StoreBenchFigures['month']> {
  const random = seededRandom(7)
  const historyDir = join(dir, 'month-history')
  const writer = new HistoryWriter(historyDir)
  const start = Date.parse('2026-10-01T00:00:00.000Z')
  const next = Array.from({ length: MONTH_PEERS }, () => start + Math.floor(random() * 3600_000))
  const up = Array.from({ length: MONTH_PEERS }, () => random())
  let observations = 0
  let historyBytes = 0
  for (let day = 0; day < 30; day++) {
    const end = start + (day + 1) * 86_400_000
    for (let p = 0; p < MONTH_PEERS; p++) {
      while (next[p] < end) {
        const ok = random() < up[p]
        writer.add(ok ? { t: next[p], e: `${endpointOf(p).host}:8333`, ok, ms: 40, h: 850000 + day * 144 } : { t: next[p], e: `${endpointOf(p).host}:8333`, ok, r: 'connect-timeout' })
        observations++
        next[p] += 4 * 3600_000 + Math.floor(random() * 8 * 3600_000)
      }
    }
    historyBytes += await writer.flush()
  }
  const day = (d: number): { label: string, fromMs: number, toMs: number } => ({ label: `day ${d}`, fromMs: start + d * 86_400_000, toMs: start + (d + 1) * 86_400_000 - 1 })
  let t = performance.now()
  await diffWindows(historyDir, day(28), day(29))
  const diffTwoDaysMs = performance.now() - t
  t = performance.now()
  await diffWindows(historyDir, { label: 'first half', fromMs: start, toMs: start + 15 * 86_400_000 - 1 }, { label: 'second half', fromMs: start + 15 * 86_400_000, toMs: start + 30 * 86_400_000 })
  const diffTwoHalvesMs = performance.now() - t
  t = performance.now()
  await readTimeline(historyDir, `${endpointOf(12345).host}:8333`)
  const timelineMs = performance.now() - t
  return { peers: MONTH_PEERS, observations, historyBytes, diffTwoDaysMs, diffTwoHalvesMs, timelineMs }
}

/** Rows for test/bench/run.ts (its one registration line calls this). */
export function storeBenchRows (f: StoreBenchFigures, targetsApply: boolean): Array<{ figure: string, value: string, target?: string, met?: boolean }> {
  const ms = (x: number): string => `${x.toFixed(0)} ms`
  const mib = (x: number): string => `${(x / 2 ** 20).toFixed(1)} MiB`
  const s = f.simulation
  const target = <T extends object>(o: T): T | object => (targetsApply ? o : {})
  return [
    { figure: 'fill (in memory, checkpoints every 100k)', value: `${ms(f.fillMs)} for ${f.endpoints} endpoints; state ${mib(f.stateBytes)}` },
    { figure: 'load (read the state, replay the journal)', value: `${ms(f.loadMs)} wall, ${ms(f.loadCpuMs)} CPU`, ...target({ target: '<= 5000 ms at 1 M', met: f.loadMs <= 5000 }) },
    { figure: 'load opened for writing (records indexed as they stream in)', value: `${ms(f.writerLoadMs)} wall`, ...target({ target: '<= 5000 ms at 1 M', met: f.writerLoadMs <= 5000 }) },
    { figure: 'longest event-loop block (checkpoints, compactions)', value: `${ms(f.maxBlockedMs)} (loop delay max ${ms(f.loopDelayMaxMs)})`, ...target({ target: '<= 200 ms', met: f.maxBlockedMs <= 200 && f.loopDelayMaxMs <= 200 }) },
    { figure: 'compaction (whole state)', value: ms(f.compactMs) },
    { figure: `checkpoint, ${s.sessionsPerSecond} sessions/s simulated for ${s.simulatedS} s`, value: `${ms(f.checkpointMs)} mean, ${mib(f.bytes)} mean, ${mib(s.largestCheckpointBytes)} largest; ${s.recordsWritten} records journaled, ${s.bytesPerRecord.toFixed(0)} B each; ${s.compactions} compactions` },
    { figure: 'state bytes per hour (extrapolated)', value: `${mib(s.perHourStateBytes)} = ${s.perHourRatio.toFixed(2)} x state, + history ${mib(s.perHourHistoryBytes)}`, ...target({ target: '<= 2 x state', met: s.perHourRatio <= 2 }) },
    { figure: 'peak RSS', value: `${f.rssMb.toFixed(0)} MB (writer, before the load: ${f.writerRssMb.toFixed(0)} MB; live heap after the fill and a GC: ${f.liveHeapMb.toFixed(0)} MB)`, ...target({ target: '<= 1024 MB', met: f.rssMb <= 1024 }) },
    { figure: `a month of history, ${f.month.peers} peers (${f.month.observations} observations, ${mib(f.month.historyBytes)})`, value: `diff of two days ${ms(f.month.diffTwoDaysMs)}, of two half-months ${ms(f.month.diffTwoHalvesMs)}; one peer's timeline ${ms(f.month.timelineMs)}`, ...target({ target: '< 1000 ms each', met: Math.max(f.month.diffTwoDaysMs, f.month.timelineMs) < 1000 }) }
  ]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const endpoints = Number(process.argv[2] ?? 1_000_000)
  const f = await benchStore({ endpoints })
  console.log(`store bench, ${f.endpoints} endpoints (node ${process.version})`)
  for (const row of storeBenchRows(f, endpoints >= 1_000_000)) console.log(`  ${row.figure}: ${row.value}${'target' in row && row.target !== undefined ? `   [target ${row.target}: ${row.met === true ? 'met' : 'NOT met'}]` : ''}`)
}
