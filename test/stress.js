#!/usr/bin/env node
// `npm run test:stress`: the whole suite once (test/run.js) while one busy worker per core
// spins, within a fixed time budget. A suite that passes only on a quiet machine teaches
// everyone to rerun until green; this run is the check that it holds on a busy one.
// PEERS_STRESS_BUDGET_S overrides the budget (default 900 s, sized for 2 cores);
// PEERS_STRESS_WORKERS the number of busy workers (default: one per core).
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'

const budgetS = Number(process.env.PEERS_STRESS_BUDGET_S ?? 900)
const workers = Number(process.env.PEERS_STRESS_WORKERS ?? availableParallelism())
const args = process.argv.slice(2)

// Each worker spins, and every ~10^8 turns checks that we are alive: a worker never outlives
// this script, even if it is killed with SIGKILL.
const SPIN = 'const p = Number(process.argv[1]); for (let i = 1; ; i++) { if (i % 1e8 === 0) { try { process.kill(p, 0) } catch { process.exit(0) } } }'
const busy = []
for (let i = 0; i < workers; i++) busy.push(spawn(process.execPath, ['-e', SPIN, String(process.pid)], { stdio: 'ignore' }))

let suite
function stopAll () {
  for (const w of busy) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL')
  // The suite runs in its own process group: its test files and their children go with it.
  if (suite !== undefined && suite.exitCode === null && suite.signalCode === null) {
    try { process.kill(-suite.pid, 'SIGKILL') } catch { /* already gone */ }
  }
}
process.on('exit', stopAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => { stopAll(); process.exit(130) })

console.error(`test:stress: the whole suite with ${workers} busy worker(s) (node -e 'for(;;){}'), budget ${budgetS} s`)
const started = performance.now()
suite = spawn(process.execPath, ['test/run.js', ...args], { stdio: 'inherit', detached: true })
let overBudget = false
const timer = setTimeout(() => {
  overBudget = true
  try { process.kill(-suite.pid, 'SIGKILL') } catch { /* already gone */ }
}, budgetS * 1000)
suite.on('exit', (code, signal) => {
  clearTimeout(timer)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  stopAll()
  if (overBudget) {
    console.error(`test:stress: FAILED: over the ${budgetS} s budget (stopped after ${seconds} s with ${workers} busy workers)`)
    process.exit(1)
  }
  const ok = code === 0
  console.error(`test:stress: ${ok ? 'passed' : `FAILED (exit ${code ?? signal})`} in ${seconds} s with ${workers} busy worker(s); budget ${budgetS} s`)
  process.exit(ok ? 0 : 1)
})
