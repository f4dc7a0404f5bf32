// LagMonitor: the median event-loop lag of about the last second (docs/design.md §1.5). Driven
// by deliberate synchronous blocks; every wait is for a condition, with a generous deadline.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { LagMonitor } from '../src/engine/lag.js'
import { waitFor } from './helpers/wait.js'

function block (ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) { /* a deliberate synchronous block */ }
}

test('lagMs rises above 100 ms while the loop is blocked 250 ms at a time, and falls back once it is not', async () => {
  const monitor = new LagMonitor({ resolutionMs: 10, windowMs: 1000 })
  assert.equal(monitor.lagMs, 0, 'not started: no reading')
  monitor.start()
  // Blocks of 250 ms with one turn of the loop between them: nearly every sample is late.
  // Stopped in `finally` too: a failed assertion must not leave the loop blocking forever.
  let blocking = true
  try {
    const blocker = (): void => { if (blocking) { block(250); setImmediate(blocker) } }
    setImmediate(blocker)
    const { lag: high } = await waitFor(() => monitor.lagMs > 100 ? { lag: monitor.lagMs } : undefined, { what: 'lagMs > 100 while blocked', timeoutMs: 20_000 })
    assert.ok(high > 100 && high < 2000, `lag while blocked: ${high} ms`)
    blocking = false
    const low = await waitFor(() => monitor.lagMs < 100 ? { lag: monitor.lagMs } : undefined, { what: 'lagMs < 100 after the blocks end', timeoutMs: 20_000 })
    assert.ok(low.lag < 100)
  } finally {
    blocking = false
    monitor.stop()
  }
  assert.equal(monitor.lagMs, 0, 'stopped: no reading')
})

test('start and stop are idempotent and leave no timer holding the process', () => {
  const monitor = new LagMonitor()
  monitor.start()
  monitor.start()
  monitor.stop()
  monitor.stop()
  assert.equal(monitor.lagMs, 0)
})

test('cpuShare tells a loop starved by another process (one core shared with a busy one) from our own work', async (t) => {
  // This process and a busy child pinned to one core: each gets about half of it.
  const busy = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' })
  const all = `0-${availableParallelism() - 1}`
  t.after(() => {
    busy.kill('SIGKILL')
    execFileSync('taskset', ['-cp', all, String(process.pid)], { stdio: 'ignore' })
  })
  execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' })
  const monitor = new LagMonitor({ resolutionMs: 10, windowMs: 1000 })
  monitor.start()
  let blocking = true
  try {
    const blocker = (): void => { if (blocking) { block(250); setImmediate(blocker) } }
    setImmediate(blocker)
    // Wait for a full window of sharing, then for a reading that is lagging.
    const reading = await waitFor(() => monitor.lagMs > 100 && monitor.cpuShare < 0.75 ? { lag: monitor.lagMs, share: monitor.cpuShare } : undefined, { what: 'lagMs > 100 with cpuShare < 0.75 while sharing a core', timeoutMs: 20_000 })
    // Half a core or less (a third when a stress run's busy worker shares it too), never nothing.
    assert.ok(reading.share > 0.1 && reading.share < 0.75, `share ${reading.share}`)
  } finally {
    blocking = false
    monitor.stop()
  }
})
