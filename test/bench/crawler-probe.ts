// Preloaded into the crawler (`node --import`) so the bench measures the real CLI without
// changing it: on exit, writes the process's peak RSS, CPU time and longest event-loop
// delay to the file named by PEERS_BENCH_PROBE_FILE.
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'

export interface ProbeReport {
  maxRssKb: number
  userCpuMs: number
  systemCpuMs: number
  /** Longest event-loop delay over the whole process, start-up included. */
  maxEventLoopDelayMs: number
}

const probeFile = process.env.PEERS_BENCH_PROBE_FILE
if (probeFile !== undefined) {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  process.on('exit', () => {
    const usage = process.resourceUsage()
    const report: ProbeReport = {
      maxRssKb: usage.maxRSS,
      userCpuMs: usage.userCPUTime / 1000,
      systemCpuMs: usage.systemCPUTime / 1000,
      maxEventLoopDelayMs: loopDelay.max / 1e6
    }
    writeFileSync(probeFile, JSON.stringify(report))
  })
}
