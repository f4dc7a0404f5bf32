// Preloaded into the crawler (`node --import`) so the bench measures the real CLI without
// changing it. On exit it writes to the file named by PEERS_BENCH_PROBE_FILE: peak RSS, CPU
// time, the longest event-loop delay and GC pause, and what memory held at the highest RSS
// sampled (once a second and at exit). CPU, delays and pauses also count from the first dial
// (the first TCP client socket), leaving out start-up (module loading, opening the store).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'

export interface ProbeReport {
  maxRssKb: number
  /** User + system CPU of the whole process. */
  cpuMs: number
  /** User + system CPU from the first dial to exit; equals cpuMs if nothing was dialed. */
  crawlCpuMs: number
  /** Longest event-loop delay from the first dial to exit. */
  maxEventLoopDelayMs: number
  /** Longest garbage-collection pause from the first dial to exit (part of any event-loop delay). */
  maxGcPauseMs: number
  /** Largest JS heap seen just after a full (mark-compact) GC: what the crawler keeps alive. */
  maxHeapAfterMajorGcMb: number
  /** process.memoryUsage() in MB at the highest RSS sampled: JS heap or buffers? */
  memoryAtPeakMb: { rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number }
}

function inMb (usage: NodeJS.MemoryUsage): ProbeReport['memoryAtPeakMb'] {
  const mb = (bytes: number): number => Math.round(bytes / 2 ** 20)
  return { rss: mb(usage.rss), heapTotal: mb(usage.heapTotal), heapUsed: mb(usage.heapUsed), external: mb(usage.external), arrayBuffers: mb(usage.arrayBuffers) }
}

const probeFile = process.env.PEERS_BENCH_PROBE_FILE
if (probeFile !== undefined) {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  let cpuAtFirstDial = { user: 0, system: 0 }
  let maxGcPauseMs = 0
  let maxHeapAfterMajorGc = 0
  const gcPauses = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      maxGcPauseMs = Math.max(maxGcPauseMs, entry.duration)
      // Observers run soon after the GC; little is allocated in between.
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        maxHeapAfterMajorGc = Math.max(maxHeapAfterMajorGc, getHeapStatistics().used_heap_size)
      }
    }
  })
  gcPauses.observe({ entryTypes: ['gc'] })
  const onFirstDial = (): void => {
    unsubscribe('net.client.socket', onFirstDial)
    cpuAtFirstDial = process.cpuUsage()
    loopDelay.reset()
    maxGcPauseMs = 0
  }
  subscribe('net.client.socket', onFirstDial)
  let memoryAtPeak = process.memoryUsage()
  setInterval(() => {
    const usage = process.memoryUsage()
    if (usage.rss > memoryAtPeak.rss) memoryAtPeak = usage
  }, 1000).unref()
  process.on('exit', () => {
    const usage = process.resourceUsage()
    const atExit = process.memoryUsage()
    if (atExit.rss > memoryAtPeak.rss) memoryAtPeak = atExit
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000
    const report: ProbeReport = {
      maxRssKb: usage.maxRSS,
      cpuMs,
      crawlCpuMs: cpuMs - (cpuAtFirstDial.user + cpuAtFirstDial.system) / 1000,
      maxEventLoopDelayMs: loopDelay.max / 1e6,
      maxGcPauseMs,
      maxHeapAfterMajorGcMb: Math.round(maxHeapAfterMajorGc / 2 ** 20),
      memoryAtPeakMb: inMb(memoryAtPeak)
    }
    writeFileSync(probeFile, JSON.stringify(report))
  })
}
