// `npm run report:screenshot`: seeds a 20,000-peer store directly (no dials; real-looking
// public addresses, test/helpers/report-store.ts), times `peers report` on it through the
// built CLI (wall time of the whole process, three runs), prints what each part of the page
// weighs, and saves a full-page screenshot of the report opened offline in headless Chromium
// to output/report-screenshot.png.
//   npm run report:screenshot -- --peers 20000 --seed 1
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { chromiumPath, openOffline } from '../test/helpers/chromium.js'
import { seedReportStore } from '../test/helpers/report-store.js'

const { values } = parseArgs({ options: { peers: { type: 'string', default: '20000' }, seed: { type: 'string', default: '1' }, runs: { type: 'string', default: '3' } } })
const peers = Number(values.peers)
const seed = Number(values.seed)
const dir = resolve('output/report-demo')
const db = join(dir, 'peers.json')
const cli = resolve('bin/run.js')
if (!existsSync(resolve('dist/src/commands/report.js'))) {
  process.stderr.write('report:screenshot: run `npm run build` first (the timing is of the built CLI)\n')
  process.exit(2)
}

rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
let t = performance.now()
const seeded = await seedReportStore(db, { peers, seed, runs: 12 })
console.log(`seeded ${db}: ${peers} peers, ${seeded.reachable} reachable (seed ${seed}) in ${((performance.now() - t) / 1000).toFixed(1)} s`)

// Wall time, and the CPU time of the process (bash's `times`: children's user and system), which
// a busy machine inflates far less than the wall time.
const wall: number[] = []
const cpu: number[] = []
let path = ''
const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`
for (let i = 0; i < Number(values.runs); i++) {
  t = performance.now()
  const command = `${[process.execPath, cli, 'report', '--db', db, '--net', 'mainnet', '--out', dir, '--json', '--quiet'].map(quote).join(' ')}; rc=$?; times >&2; exit $rc`
  const run = spawnSync('bash', ['-c', command], { encoding: 'utf8', env: { ...process.env, PEERS_ASN_DB: undefined } })
  wall.push((performance.now() - t) / 1000)
  if (run.status !== 0) {
    process.stderr.write(run.stderr)
    process.exit(1)
  }
  const children = run.stderr.trim().split('\n').pop()?.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/)
  if (children !== null && children !== undefined) cpu.push(Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]))
  path = (JSON.parse(run.stdout) as { report: string }).report
}
const median = (xs: number[]): string => xs.length === 0 ? '?' : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(2)
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]
console.log(`peers report on ${seeded.reachable} reachable of ${peers} peers: wall ${wall.map((s) => s.toFixed(2)).join(', ')} s (median ${median(wall)} s; target < 3 s), CPU ${cpu.map((s) => s.toFixed(2)).join(', ')} s (median ${median(cpu)} s); load average ${load}`)

const html = readFileSync(path, 'utf8')
const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0])
const map = svgs.filter((s) => s.includes('class="map"')).reduce((n, s) => n + s.length, 0)
const charts = svgs.filter((s) => !s.includes('class="map"'))
const chartBytes = charts.reduce((n, s) => n + s.length, 0)
const kb = (n: number): string => `${(n / 1024).toFixed(0)} kB`
console.log(`${path}: ${kb(Buffer.byteLength(html))} in all: ${charts.length} ECharts SVGs ${kb(chartBytes)} (0 kB of JavaScript), world map ${kb(map)}, the rest (text, tables, CSS) ${kb(html.length - chartBytes - map)}`)

if (chromiumPath() === undefined) {
  process.stderr.write('report:screenshot: no Chromium (install the chromium package or set PEERS_TEST_CHROMIUM); no screenshot\n')
  process.exit(1)
}
const page = await openOffline(pathToFileURL(path).href)
try {
  const shot = resolve('output/report-screenshot.png')
  await page.page.screenshot({ path: shot, fullPage: true })
  console.log(`screenshot ${shot}${page.blocked.length > 0 ? `; requests blocked: ${page.blocked.join(', ')}` : ''}${page.errors.length > 0 ? `; console errors: ${page.errors.join(' | ')}` : ''}`)
} finally {
  await page.close()
}
