// `peers crawl --metrics`: a scrape during a simulated crawl, read with a strict parser of the
// Prometheus text format, agrees with the simnet's truth and with the crawl's own summary.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { Simnet } from '../adapters/bitcoin/simnet/index.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import { parseListen } from '../src/metrics/crawl-metrics.js'
import { runCli, startCli } from './helpers/cli.js'
import { parseExposition, total, type Sample } from './helpers/prometheus-text.js'

const LOOPBACK = ['--allow-cidr', '127.0.0.0/8', '--only-cidr', '127.0.0.0/8']
let dir: string

describe('crawl --metrics', { timeout: 120_000 }, () => {
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'peers-metrics-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('serves /metrics during a continuous crawl; the counts match the simnet and the summary', async () => {
    const simnet = new Simnet({ nodes: 25, refused: 2, silent: 2, wrongNetwork: 2, closeImmediately: 2, basePort: 0, seed: 21, knownPerNode: 60, seedCount: 2 })
    await simnet.start()
    try {
      const seeds = simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)])
      // Long revisit and retry intervals: after the first pass the crawl idles, so a scrape then is final.
      const run = startCli(['crawl', 'bitcoin', '--net', 'regtest', ...seeds, ...LOOPBACK, '--db', join(dir, 'peers.json'), '--no-export',
        '--continuous', '--revisit-interval', '3600', '--retry-interval', '3600', '--retries', '0',
        '--handshake-timeout', '1000', '--getaddr-timeout', '3000', '--metrics', '127.0.0.1:0', '--json'])
      // A failed assertion must not leave the crawl running (it would keep this test file alive).
      const killCrawl = (): void => { if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL') }
      try {
        let url: string | undefined
        while (url === undefined) {
          const m = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(run.stderr())
          if (m !== null) url = m[1]
          else if (run.child.exitCode !== null) assert.fail(`the crawl ended early: ${run.stderr()}`)
          else await once(run.child.stderr as NodeJS.ReadableStream, 'data')
        }

        // Scrape until the first pass is over: nothing in flight, one session per endpoint held
        // (every simnet address is dialable; revisits wait an hour).
        let samples: Sample[] = []
        for (let scrapes = 0; ; scrapes++) {
          const res: Response = await fetch(url)
          assert.equal(res.status, 200)
          assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
          samples = parseExposition(await res.text())
          const ended = total(samples, 'peers_sessions_total')
          if (total(samples, 'peers_sessions_in_flight') === 0 && ended > 0 && ended === total(samples, 'peers_frontier_endpoints')) break
          assert.ok(scrapes < 600, 'the first pass did not end')
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404)

        // The simnet's truth: every honest node reachable, over IPv4.
        const truth = simnet.truth()
        assert.equal(total(samples, 'peers_reachable', { network: 'regtest', address_type: 'ipv4' }), truth.length)
        for (const name of ['peers_frontier_endpoints', 'peers_store_records', 'peers_store_last_checkpoint_seconds', 'peers_store_checkpoint_max_blocked_seconds', 'peers_crawl_rate_sessions_per_second', 'peers_process_resident_memory_bytes']) {
          assert.ok(samples.some((s) => s.name === name), `no ${name}`)
        }
        assert.ok(total(samples, 'peers_crawl_rate_sessions_per_second') > 0)

        run.child.kill('SIGINT')
        const outcome = await run.done
        assert.equal(outcome.code, 0, outcome.stderr)
        const summary = JSON.parse(outcome.stdout) as { reachable: number, tried: number, discovered: number, sessions: number, cancelled: number, failed: Record<string, number> }
        assert.equal(summary.cancelled, 0)
        assert.equal(total(samples, 'peers_reachable'), summary.reachable)
        assert.equal(total(samples, 'peers_sessions_total', { outcome: 'reachable' }), summary.reachable)
        for (const [reason, n] of Object.entries(summary.failed)) {
          assert.equal(total(samples, 'peers_sessions_total', { outcome: reason }), n, reason)
        }
        assert.equal(total(samples, 'peers_sessions_total'), summary.sessions)
        assert.equal(total(samples, 'peers_frontier_endpoints'), summary.discovered)
        // Every endpoint waits for its revisit or retry.
        assert.equal(total(samples, 'peers_frontier_queued'), summary.tried)
        assert.ok(total(samples, 'peers_store_records') >= summary.tried)
        assert.ok(Object.keys(summary.failed).length >= 3, JSON.stringify(summary.failed))
      } finally {
        killCrawl()
      }
    } finally {
      await simnet.stop()
    }
  })

  it('a busy port is one clear line at start, before the store is touched', async () => {
    const busy = createServer()
    busy.listen({ host: '127.0.0.1', port: 0 })
    await once(busy, 'listening')
    try {
      const port = (busy.address() as { port: number }).port
      const db = join(dir, 'busy.json')
      const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', '--seed', '127.0.0.1:1', ...LOOPBACK, '--db', db, '--metrics', `127.0.0.1:${port}`])
      assert.equal(r.code, 2)
      assert.equal(r.stderr, `peers: [PEERS_USAGE] --metrics 127.0.0.1:${port}: the port is already in use; pick another, e.g. --metrics 127.0.0.1:9464\n`)
      assert.equal(existsSync(db), false)
    } finally {
      busy.close()
    }
  })

  it('listens on loopback unless told otherwise', () => {
    assert.deepEqual(parseListen('9464'), { host: '127.0.0.1', port: 9464 })
    assert.deepEqual(parseListen('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 })
    assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 })
    assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 })
    assert.throws(() => parseListen('localhost:9464'), /not an address/)
    assert.throws(() => parseListen('127.0.0.1'), /needs a port/)
    assert.throws(() => parseListen('99999'), /invalid port/)
  })
})
