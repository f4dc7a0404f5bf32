// The "starved" scenario (docs/design.md §1.5, issue #17): the same crawl twice, once on a
// quiet machine and once while one busy worker per core spins (node -e 'for(;;){}'), so the
// crawler and the simulator fight for the CPU. Lag-aware phase timers and the engine's dial
// back-off must keep it exact (recall and precision 100 %); the wall times sit side by side.
import { spawn, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { runCrawlScenario, type CrawlFigures, type CrawlSettings } from './crawl.js'
import type { CrawlScenario } from './scenarios.js'
import { formatMs, formatPercent, type Row } from './table.js'

export const STARVED_SCENARIO: CrawlScenario = {
  kind: 'crawl',
  name: 'starved',
  description: '1,000 reachable nodes (getaddr after ~0.5 s), 200 refused, 10 silent, 10 wrong-network: crawled quiet, then with one busy worker per core',
  nodes: 1000,
  refused: 200,
  connectTimeouts: 0,
  silent: 10,
  wrongNetwork: 10,
  getaddrDelayMeanMs: 500
}

export interface StarvedFigures {
  busyWorkers: number
  quiet: CrawlFigures
  loaded: CrawlFigures
}

// A worker spins and now and then checks that the bench is alive: it never outlives it.
const SPIN = 'const p = Number(process.argv[1]); for (let i = 1; ; i++) { if (i % 1e8 === 0) { try { process.kill(p, 0) } catch { process.exit(0) } } }'

export async function runStarvedScenario (scenario: CrawlScenario, settings: CrawlSettings): Promise<StarvedFigures> {
  const quiet = await runCrawlScenario(scenario, settings)
  const busyWorkers = availableParallelism()
  const workers: ChildProcess[] = []
  try {
    for (let i = 0; i < busyWorkers; i++) workers.push(spawn(process.execPath, ['-e', SPIN, String(process.pid)], { stdio: 'ignore' }))
    const loaded = await runCrawlScenario(scenario, settings)
    return { busyWorkers, quiet, loaded }
  } finally {
    for (const w of workers) w.kill('SIGKILL')
  }
}

export function starvedRows (f: StarvedFigures): Row[] {
  const exact = (c: CrawlFigures): boolean => c.recall === 1 && c.precision === 1
  const accuracy = (c: CrawlFigures): string => `recall ${formatPercent(c.recall)}, precision ${formatPercent(c.precision)} (${c.reachableFound} of ${c.reachableTrue})`
  return [
    { figure: 'wall time, quiet', value: `${formatMs(f.quiet.wallMs)} (${f.quiet.sessions} sessions)` },
    { figure: `wall time, ${f.busyWorkers} busy cores`, value: `${formatMs(f.loaded.wallMs)} (${f.loaded.sessions} sessions, ×${(f.loaded.wallMs / f.quiet.wallMs).toFixed(2)})` },
    { figure: 'exact, quiet', value: accuracy(f.quiet), target: '100%', met: exact(f.quiet) },
    { figure: `exact, ${f.busyWorkers} busy cores`, value: accuracy(f.loaded), target: '100%', met: exact(f.loaded) },
    { figure: 'longest event-loop delay', value: `${formatMs(f.quiet.maxEventLoopDelayMs)} quiet, ${formatMs(f.loaded.maxEventLoopDelayMs)} busy` }
  ]
}
