// Preloaded into the crawler (`node --import`) so the bench measures the real CLI without
// changing it: on exit, writes the process's peak RSS, CPU time and longest event-loop
// delay to the file named by PEERS_BENCH_PROBE_FILE, each also from the first dial on
// (the first TCP client socket), which leaves out start-up (module loading, store open).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'

export interface ProbeReport {
  maxRssKb: number
  /** User + system CPU of the whole process. */
  cpuMs: number
  /** User + system CPU from the first dial to exit; equals cpuMs if nothing was dialed. */
  crawlCpuMs: number
  /** Longest event-loop delay from the first dial to exit. */
  maxEventLoopDelayMs: number
}

const probeFile = process.env.PEERS_BENCH_PROBE_FILE
if (probeFile !== undefined) {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  let cpuAtFirstDial = { user: 0, system: 0 }
  const onFirstDial = (): void => {
    unsubscribe('net.client.socket', onFirstDial)
    cpuAtFirstDial = process.cpuUsage()
    loopDelay.reset()
  }
  subscribe('net.client.socket', onFirstDial)
  process.on('exit', () => {
    const usage = process.resourceUsage()
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000
    const report: ProbeReport = {
      maxRssKb: usage.maxRSS,
      cpuMs,
      crawlCpuMs: cpuMs - (cpuAtFirstDial.user + cpuAtFirstDial.system) / 1000,
      maxEventLoopDelayMs: loopDelay.max / 1e6
    }
    writeFileSync(probeFile, JSON.stringify(report))
  })
}
