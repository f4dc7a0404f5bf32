// Store benchmark: fills a store with N endpoints (half reachable, with peer info), then
// measures a checkpoint (and the longest event-loop block during it), a reload, and, for
// comparison, one JSON.stringify of the whole data (the naive write this store avoids).
// Run: node --import tsx test/bench/store-bench.ts [endpoints]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import type { Endpoint } from '../../src/contract.js'
import { openStore } from '../../src/store/store.js'

export interface StoreBenchFigures {
  endpoints: number
  fillMs: number
  checkpointMs: number
  /** Longest synchronous step of the checkpoint, as the store measures it. */
  maxBlockedMs: number
  /** Largest event-loop delay seen by perf_hooks during the checkpoint (independent check). */
  loopDelayMaxMs: number
  /** One JSON.stringify of the whole store data: the block a naive write would cause. */
  wholeStringifyMs: number
  loadMs: number
  bytes: number
  rssMb: number
}

function endpointOf (i: number): Endpoint {
  if (i % 10 === 9) return { host: `2001:db8:${(i >>> 16).toString(16)}::${(i & 0xffff).toString(16)}`, port: 8333, type: 'ipv6' }
  return { host: `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, port: 8333, type: 'ipv4' }
}

export async function benchStore (options: { endpoints: number }): Promise<StoreBenchFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'peers-bench-'))
  const path = join(dir, 'peers.json')
  try {
    const fillStart = performance.now()
    const store = await openStore(path, { mode: 'write' })
    const seed = endpointOf(0)
    for (let i = 0; i < options.endpoints; i++) {
      const endpoint = endpointOf(i)
      store.recordDiscovered('bench', endpoint, i === 0 ? null : seed)
      if (i % 2 === 0) {
        store.recordResult('bench', {
          endpoint,
          ok: true,
          connectMs: 20 + (i % 300),
          handshakeMs: 40 + (i % 500),
          peer: { protocolVersion: 70016, services: '3081', userAgent: `/Satoshi:${25 + (i % 4)}.0.0/`, startHeight: 850000 + (i % 100), relay: true },
          learned: [],
          addressesReceived: 1000
        })
        store.setAsn('bench', endpoint, 64500 + (i % 400), `Example Hosting ${i % 400} GmbH`)
      } else {
        store.recordResult('bench', { endpoint, ok: false, reason: 'connect-timeout', learned: [], addressesReceived: 0 })
      }
    }
    const fillMs = performance.now() - fillStart

    const wholeStart = performance.now()
    JSON.stringify({ schema: 1, peers: { bench: store.peers('bench') }, runs: store.runs() })
    const wholeStringifyMs = performance.now() - wholeStart

    const histogram = monitorEventLoopDelay({ resolution: 1 })
    histogram.enable()
    const checkpointStart = performance.now()
    const { blockedMs, bytes } = await store.checkpoint()
    const checkpointMs = performance.now() - checkpointStart
    histogram.disable()
    await store.close()

    const loadStart = performance.now()
    const reloaded = await openStore(path, { mode: 'read' })
    const loadMs = performance.now() - loadStart
    if (reloaded.peers('bench').length !== options.endpoints) throw new Error(`reload found ${reloaded.peers('bench').length} records, expected ${options.endpoints}`)
    const rssMb = process.memoryUsage().rss / 2 ** 20
    await reloaded.close()
    return { endpoints: options.endpoints, fillMs, checkpointMs, maxBlockedMs: blockedMs, loopDelayMaxMs: histogram.max / 1e6, wholeStringifyMs, loadMs, bytes, rssMb }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const endpoints = Number(process.argv[2] ?? 300000)
  const f = await benchStore({ endpoints })
  const fixed = (n: number): string => n.toFixed(1)
  console.log(`store bench, ${f.endpoints} endpoints (node ${process.version})`)
  console.log(`  fill (in memory)        ${fixed(f.fillMs)} ms`)
  console.log(`  whole JSON.stringify    ${fixed(f.wholeStringifyMs)} ms   (the block a naive write would cause)`)
  console.log(`  checkpoint (chunked)    ${fixed(f.checkpointMs)} ms wall, longest block ${fixed(f.maxBlockedMs)} ms, loop delay max ${fixed(f.loopDelayMaxMs)} ms`)
  console.log(`  file size               ${(f.bytes / 2 ** 20).toFixed(1)} MiB`)
  console.log(`  load (read + parse)     ${fixed(f.loadMs)} ms`)
  console.log(`  rss                     ${fixed(f.rssMb)} MiB`)
}
