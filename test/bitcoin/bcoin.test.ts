// A real, independent Bitcoin implementation: five bcoin 1.0.2 full nodes (npm `bcoin`,
// regtest, in-memory chain) on loopback, in a ring where each knows only the next, crawled
// through the CLI. bcoin answers getaddr at once with its whole host list (lib/net/pool.js,
// handleGetAddr), here one entry: the crawl must take that for the answer, not wait it out.
// bcoin's leveldown dependency is mapped to test/stubs/leveldown (package.json `overrides`);
// `memory: true` never loads it.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Endpoint } from '../../src/contract.js'
import { formatEndpoint } from '../../src/net/endpoint.js'
import { openStore } from '../../src/store/store.js'
import { isReachable } from '../../src/store/types.js'
import { bitcoinAdapter } from '../../adapters/bitcoin/index.js'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'
import { runCli } from '../helpers/cli.js'

/** The parts of bcoin this test touches (the package ships no types). */
interface BcoinNode {
  pool: {
    server: { address: () => { port: number } }
    hosts: { add: (addr: unknown) => boolean, toArray: () => unknown[] }
    discoverExternal: () => Promise<void>
    fillOutbound: () => void
  }
  open: () => Promise<void>
  connect: () => Promise<void>
  close: () => Promise<void>
}
interface Bcoin {
  FullNode: new (options: Record<string, unknown>) => BcoinNode
  net: { NetAddress: { fromHost: (host: string, port: number, network: string) => { time: number, services: number } } }
}

const require = createRequire(import.meta.url)
const bcoin = require('bcoin') as Bcoin
const regtest = BITCOIN_NETWORKS.find((n) => n.id === 'regtest')!

const COUNT = 5
/** Each run its own /24 of 127/8 (by pid, printed), so parallel test runs rarely share one; ports the OS says are free. */
const SUBNET = `127.77.${process.pid % 250}`
/** Far above anything a recognised answer needs: a crawl that waited it out even once could not finish before it. */
const ASK_PEERS_MS = 60_000

const nodes: BcoinNode[] = []
const endpoints: Endpoint[] = []
let dir: string

before(async () => {
  console.log(`# bcoin nodes on ${SUBNET}.11-${10 + COUNT}`)
  dir = await mkdtemp(join(tmpdir(), 'peers-bcoin-'))
  for (let i = 0; i < COUNT; i++) {
    const host = `${SUBNET}.${11 + i}`
    const node = new bcoin.FullNode({
      network: 'regtest',
      memory: true,
      workers: false,
      listen: true,
      host,
      // bcoin refuses port 0: ask the OS for free ones on this host first.
      port: await freePort(host),
      httpHost: host,
      httpPort: await freePort(host),
      // No DNS seeds, no fixed nodes, no outbound dials: a node knows what this test adds.
      seeds: [],
      nodes: [],
      logLevel: 'error'
    })
    // Its external-address probe would ask a DNS server on the internet (bdns), and outbound
    // dials would let the nodes teach each other: both off.
    node.pool.discoverExternal = async () => {}
    node.pool.fillOutbound = () => {}
    await node.open()
    await node.connect()
    nodes.push(node)
    endpoints.push({ host, port: node.pool.server.address().port, type: 'ipv4' })
  }
  // A ring: each knows only the next, so each one's answer is one entry and every node answers.
  for (let i = 0; i < COUNT; i++) {
    const next = endpoints[(i + 1) % COUNT]
    const addr = bcoin.net.NetAddress.fromHost(next.host, next.port, 'regtest')
    addr.time = Math.floor(Date.now() / 1000)
    addr.services = 9 // NODE_NETWORK | NODE_WITNESS
    nodes[i].pool.hosts.add(addr)
    assert.equal(nodes[i].pool.hosts.toArray().length, 1)
  }
})

async function freePort (host: string): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

after(async () => {
  for (const node of nodes) await node.close()
  await rm(dir, { recursive: true, force: true })
})

test('each bcoin node\'s getaddr answer is recognised by a session', async () => {
  for (const [i, endpoint] of endpoints.entries()) {
    const r = await bitcoinAdapter.runSession(endpoint, {
      network: regtest,
      timeouts: { connectMs: 5000, handshakeMs: 6000, askPeersMs: ASK_PEERS_MS },
      limits: { maxBufferedBytes: 1 << 20, maxAddresses: 2500, maxSessionMs: ASK_PEERS_MS + 20_000 },
      signal: new AbortController().signal,
      userAgent: '/peers-test:0.1.0/'
    })
    assert.equal(r.ok, true, r.detail)
    assert.equal(r.peer?.userAgent, '/bcoin:v1.0.2/')
    assert.equal(r.gotAddressAnswer, true)
    assert.equal(r.answer?.entries, 1)
    assert.deepEqual(r.learned.map((l) => formatEndpoint(l.endpoint)), [formatEndpoint(endpoints[(i + 1) % COUNT])])
  }
})

test('a crawl through the CLI from the first node finds all five, stores bcoin\'s user agent, and recognises every answer', async () => {
  const db = join(dir, 'peers.json')
  const started = performance.now()
  const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', '--seed', formatEndpoint(endpoints[0]),
    '--only-cidr', '127.0.0.0/8', '--allow-cidr', '127.0.0.0/8', '--db', db, '--out', join(dir, 'out'), '--no-export',
    '--retries', '0', '--getaddr-timeout', String(ASK_PEERS_MS), '--json'])
  const wallMs = Math.round(performance.now() - started)
  console.log(`# crawl of ${COUNT} chained bcoin nodes: ${wallMs} ms wall time (CLI start included)`)
  assert.equal(r.code, 0, r.stderr)
  const summary = JSON.parse(r.stdout) as { reachable: number, interrupted: boolean }
  assert.equal(summary.reachable, COUNT)
  assert.equal(summary.interrupted, false)

  const store = await openStore(db, { mode: 'read' })
  const reachable = store.peers('regtest').filter(isReachable).map(formatEndpoint).sort()
  assert.deepEqual(reachable, endpoints.map(formatEndpoint).sort())
  for (const e of endpoints) {
    const record = store.get('regtest', e)
    assert.equal(record?.userAgent, '/bcoin:v1.0.2/', formatEndpoint(e))
    // Every session logged its answer (one entry); none ended without one.
    assert.match(r.stderr, new RegExp(`successful handshake with ${formatEndpoint(e).replace(/\./g, '\\.')} \\(/bcoin:v1\\.0\\.2/, answered 1 entry after \\d+ ms\\)`))
  }
  assert.doesNotMatch(r.stderr, /no address answer/)
  // The chain is five hops long; one session waiting out the ask-for-peers timeout would take longer than this.
  assert.ok(wallMs < ASK_PEERS_MS, `the crawl took ${wallMs} ms`)
})
