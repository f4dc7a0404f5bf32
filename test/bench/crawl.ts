// A crawl scenario: the simulated network in one child process, the real CLI
// (`bin/run.js crawl bitcoin …`) in another with crawler-probe.js preloaded, then the store
// compared with the simulated truth.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { CrawlResult } from '../../src/commands/crawl/index.js'
import { DEFAULT_RETRY_BACKOFF_MS } from '../../src/engine/defaults.js'
import { assertDialAllowed } from '../../src/net/dial-guard.js'
import { formatEndpoint } from '../../src/net/endpoint.js'
import { runNode } from './child.js'
import { openStore } from '../../src/store/store.js'
import { isReachable } from '../../src/store/types.js'
import type { ProbeReport } from './crawler-probe.js'
import { lowerBound, type LowerBound } from './lower-bound.js'
import type { CrawlScenario } from './scenarios.js'
import type { SimnetProcessConfig, SimnetReady } from './simnet-process.js'

export interface CrawlSettings {
  concurrency: number
  connectTimeoutMs: number
  handshakeTimeoutMs: number
  getaddrTimeoutMs: number
  retries: number
  /** The simnet's PRNG seed. */
  seed: number
  /** Whether dials to 127.9.0.0/16 are dropped (HOLE=1 netns-run); without it the timeouts are skipped. */
  hole: boolean
  /** Write a V8 CPU profile of the crawler here. */
  cpuProfileDir?: string
}

export interface CrawlFigures {
  wallMs: number
  /** The crawl's own elapsed time (engine start to end), from its summary. */
  engineElapsedMs: number
  lowerBound: LowerBound
  discoveryDepth: number
  /** Sessions that completed a handshake. */
  completeSessions: number
  sessions: number
  /** CPU of the whole crawler process. */
  cpuMs: number
  /** CPU from the first dial on (start-up left out). */
  crawlCpuMs: number
  completeSessionsPerCpuSecond: number
  completeSessionsPerCrawlCpuSecond: number
  peakRssMb: number
  /** The crawler's memory at its highest sampled RSS. */
  memoryAtPeakMb: ProbeReport['memoryAtPeakMb']
  /** Its largest JS heap just after a full GC (live data). */
  maxHeapAfterMajorGcMb: number
  reachableTrue: number
  reachableFound: number
  recall: number
  precision: number
  /** The longest the store's writes blocked the crawler's event loop, from its summary. */
  checkpointMaxBlockedMs: number
  /** The crawler's longest event-loop delay from its first dial on. */
  maxEventLoopDelayMs: number
  /** Its longest garbage-collection pause from its first dial on. */
  maxGcPauseMs: number
  summary: CrawlResult
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const CHILD_ENV = { ...process.env, PEERS_LOOPBACK_ONLY: '1' }
const NETWORK = 'regtest'

/** Whether 127.9.0.1 drops SYNs (HOLE=1 netns-run) rather than refusing at once. */
export async function holeIsActive (waitMs = 1000): Promise<boolean> {
  const host = '127.9.0.1'
  assertDialAllowed(host)
  return await new Promise((resolve) => {
    const socket = connect({ host, port: 18444 })
    const timer = setTimeout(() => { socket.destroy(); resolve(true) }, waitMs)
    const answered = (): void => { clearTimeout(timer); socket.destroy(); resolve(false) }
    socket.once('connect', answered)
    socket.once('error', answered)
  })
}

export async function runCrawlScenario (scenario: CrawlScenario, settings: CrawlSettings): Promise<CrawlFigures> {
  const work = await mkdtemp(join(tmpdir(), `peers-bench-${scenario.name}-`))
  const connectTimeouts = settings.hole ? scenario.connectTimeouts : 0
  try {
    const simnetConfig: SimnetProcessConfig = {
      nodes: scenario.nodes,
      refused: scenario.refused,
      silent: scenario.silent,
      wrongNetwork: scenario.wrongNetwork,
      hole: connectTimeouts,
      getaddrDelayMeanMs: scenario.getaddrDelayMeanMs,
      seed: settings.seed,
      network: NETWORK,
      truthFile: join(work, 'truth.json')
    }
    const simnet = await startSimnet(simnetConfig)
    try {
      const truth = new Set(JSON.parse(await readFile(simnetConfig.truthFile, 'utf8')) as string[])
      const storePath = join(work, 'peers.json')
      const crawl = await runCli(simnet.ready.seeds, storePath, work, settings)
      const found = await reachableInStore(storePath)
      const hits = [...found].filter((k) => truth.has(k)).length
      return {
        wallMs: crawl.wallMs,
        engineElapsedMs: crawl.summary.elapsedMs,
        lowerBound: lowerBound({
          population: { reachable: truth.size, refused: scenario.refused, connectTimeouts, silent: scenario.silent, wrongNetwork: scenario.wrongNetwork },
          concurrency: settings.concurrency,
          connectTimeoutMs: settings.connectTimeoutMs,
          handshakeTimeoutMs: settings.handshakeTimeoutMs,
          getaddrTimeoutMs: settings.getaddrTimeoutMs,
          retries: settings.retries,
          // Not a CLI flag: the crawl runs with the engine's.
          retryBackoffMs: DEFAULT_RETRY_BACKOFF_MS,
          getaddrDelayMeanMs: scenario.getaddrDelayMeanMs,
          discoveryDepth: simnet.ready.discoveryDepth
        }),
        discoveryDepth: simnet.ready.discoveryDepth,
        completeSessions: crawl.summary.reachable,
        sessions: crawl.summary.sessions,
        cpuMs: crawl.probe.cpuMs,
        crawlCpuMs: crawl.probe.crawlCpuMs,
        completeSessionsPerCpuSecond: crawl.summary.reachable / (crawl.probe.cpuMs / 1000),
        completeSessionsPerCrawlCpuSecond: crawl.summary.reachable / (crawl.probe.crawlCpuMs / 1000),
        peakRssMb: crawl.probe.maxRssKb / 1024,
        memoryAtPeakMb: crawl.probe.memoryAtPeakMb,
        maxHeapAfterMajorGcMb: crawl.probe.maxHeapAfterMajorGcMb,
        reachableTrue: truth.size,
        reachableFound: found.size,
        recall: truth.size === 0 ? 1 : hits / truth.size,
        precision: found.size === 0 ? 0 : hits / found.size,
        checkpointMaxBlockedMs: crawl.summary.checkpointMaxBlockedMs,
        maxEventLoopDelayMs: crawl.probe.maxEventLoopDelayMs,
        maxGcPauseMs: crawl.probe.maxGcPauseMs,
        summary: crawl.summary
      }
    } finally {
      await simnet.stop()
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

interface RunningSimnet {
  ready: SimnetReady
  stop: () => Promise<void>
}

async function startSimnet (config: SimnetProcessConfig): Promise<RunningSimnet> {
  const child = spawn(process.execPath, [join(ROOT, 'dist-test/test/bench/simnet-process.js'), JSON.stringify(config)], {
    cwd: ROOT,
    env: CHILD_ENV,
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const firstLine = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> })
    lines.once('line', (line) => { lines.close(); resolve(line) })
    child.once('exit', (code) => reject(new Error(`the simnet process exited (${code}) before it was ready`)))
  })
  const ready = JSON.parse(await firstLine) as SimnetReady
  return {
    ready,
    stop: async () => {
      child.stdin?.end()
      await exited
    }
  }
}

interface CliRun {
  wallMs: number
  summary: CrawlResult
  probe: ProbeReport
}

async function runCli (seeds: readonly string[], storePath: string, work: string, settings: CrawlSettings): Promise<CliRun> {
  const probeFile = join(work, 'probe.json')
  const nodeArgs = ['--import', join(ROOT, 'dist-test/test/bench/crawler-probe.js')]
  if (settings.cpuProfileDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`)
  const cliArgs = [
    join(ROOT, 'bin/run.js'), 'crawl', 'bitcoin', '--net', NETWORK,
    ...seeds.flatMap((s) => ['--seed', s]),
    '--allow-cidr', '127.0.0.0/8', '--only-cidr', '127.0.0.0/8',
    '--db', storePath, '--out', work, '--no-export', '--json', '--quiet',
    '--concurrency', String(settings.concurrency),
    '--connect-timeout', String(settings.connectTimeoutMs),
    '--handshake-timeout', String(settings.handshakeTimeoutMs),
    '--getaddr-timeout', String(settings.getaddrTimeoutMs),
    '--retries', String(settings.retries)
  ]
  const started = performance.now()
  const stdout = await runNode([...nodeArgs, ...cliArgs], { cwd: ROOT, env: { ...CHILD_ENV, PEERS_BENCH_PROBE_FILE: probeFile }, what: 'the crawl' })
  const wallMs = performance.now() - started
  return {
    wallMs,
    summary: JSON.parse(stdout) as CrawlResult,
    probe: JSON.parse(await readFile(probeFile, 'utf8')) as ProbeReport
  }
}

async function reachableInStore (path: string): Promise<Set<string>> {
  const store = await openStore(path, { mode: 'read' })
  try {
    return new Set(store.peers(NETWORK).filter(isReachable).map(formatEndpoint))
  } finally {
    await store.close()
  }
}
