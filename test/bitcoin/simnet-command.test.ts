// `peers simnet`: prints its seeds and the crawl command at once, serves until SIGINT.
import assert from 'node:assert/strict'
import { startCli, type CliRun } from '../helpers/cli.js'
import { describe, it } from 'node:test'
import { bitcoinAdapter } from '../../adapters/bitcoin/index.js'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'

const regtest = BITCOIN_NETWORKS.find((n) => n.id === 'regtest')!

const start = (args: string[]): CliRun => startCli(['simnet', ...args])

async function until<T> (probe: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('peers simnet', () => {
  it('--json prints the seeds while it runs; they answer a session; SIGINT stops it cleanly', async () => {
    const run = start(['--nodes', '30', '--refused', '3', '--port', '0', '--seed', '5', '--json'])
    const summary = await until(() => {
      try { return JSON.parse(run.stdout()) as { seeds: string[], reachable: number, crawlCommand: string, nodes: Record<string, number> } } catch { return undefined }
    }, 15_000)
    assert.equal(summary.reachable, 30)
    assert.equal(summary.nodes.refused, 3)
    assert.equal(summary.seeds.length, 1)
    assert.match(summary.seeds[0], /^127\.1\.0\.1:\d+$/)
    assert.equal(summary.crawlCommand, `peers crawl bitcoin --net regtest --seed ${summary.seeds[0]} --allow-cidr 127.0.0.0/8`)

    const r = await bitcoinAdapter.runSession(bitcoinAdapter.parseEndpoint(summary.seeds[0], regtest), {
      network: regtest,
      timeouts: { connectMs: 2000, handshakeMs: 2000, askPeersMs: 2000 },
      limits: { maxBufferedBytes: 1 << 20, maxAddresses: 1000, maxSessionMs: 5000 },
      signal: new AbortController().signal,
      userAgent: '/peers-test:0.1.0/'
    })
    assert.equal(r.ok, true)

    run.child.kill('SIGINT')
    assert.equal((await run.done).code, 0)
    assert.match(run.stderr(), /simnet stopped: 1 connections, 1 handshakes/)
  })

  it('`peers simnet bitcoin` is the same simulation; an adapter without one is one clear line', async () => {
    const run = start(['bitcoin', '--nodes', '2', '--port', '0', '--json'])
    const summary = await until(() => {
      try { return JSON.parse(run.stdout()) as { reachable: number, crawlCommand: string } } catch { return undefined }
    }, 15_000)
    assert.equal(summary.reachable, 2)
    assert.match(summary.crawlCommand, /^peers crawl bitcoin --net regtest --seed 127\.1\.0\.1:\d+ --allow-cidr 127\.0\.0\.0\/8$/)
    run.child.kill('SIGINT')
    assert.equal((await run.done).code, 0)

    const avax = start(['avax', '--nodes', '2'])
    assert.equal((await avax.done).code, 2)
    assert.equal(avax.stderr().trim(), "peers: [PEERS_USAGE] the avax adapter offers no simulated network: try 'peers simnet bitcoin'")
  })

  it('--old-core, --small, --mute, --bcoin, --slow and --latency: counted in the summary; every kind reachable', async () => {
    const run = start(['--nodes', '20', '--old-core', '2', '--small', '2', '--mute', '1', '--bcoin', '1', '--slow', '1', '--latency', '10-50', '--port', '0', '--seed', '3', '--json'])
    const summary = await until(() => {
      try { return JSON.parse(run.stdout()) as { reachable: number, nodes: Record<string, number> } } catch { return undefined }
    }, 15_000)
    assert.deepEqual({ ...summary.nodes }, { honest: 20, oldCore: 2, small: 2, mute: 1, bcoin: 1, slow: 1, refused: 0, silent: 0, wrongNetwork: 0, closeImmediately: 0, hole: 0 })
    assert.equal(summary.reachable, 27)
    run.child.kill('SIGINT')
    assert.equal((await run.done).code, 0)
  })

  it('rejects a bad --latency in one line with exit code 2', async () => {
    const run = start(['--nodes', '1', '--latency', '50-10'])
    assert.equal((await run.done).code, 2)
    assert.equal(run.stderr().trim(), "peers: [PEERS_USAGE] --latency '50-10' is not valid: expected MIN-MAX in ms with MIN <= MAX, or one value")
  })

  it('rejects a bad count in one line with exit code 2', async () => {
    const run = start(['--nodes', '0'])
    assert.equal((await run.done).code, 2)
    assert.equal(run.stderr().trim(), "peers: [PEERS_USAGE] --nodes '0' is not valid: expected an integer >= 1")
  })
})
