// A crawl through the CLI of a simnet that mixes the node kinds found on the real network:
// current Core, old Core (self-announcement first, answer on the trickle), small address
// books, mute nodes, bcoin-like and slow nodes, each with its own round trip. The crawl must
// find exactly truth(), and take each node's answer for what it is.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { formatEndpoint } from '../../src/net/endpoint.js'
import { openStore } from '../../src/store/store.js'
import { isReachable } from '../../src/store/types.js'
import { Simnet } from '../../adapters/bitcoin/simnet/index.js'
import { runCli } from '../helpers/cli.js'

const SEED = 21
const ASK_PEERS_MS = 8000
/** Old Core's trickle, shortened so the test stays short: P(an answer later than ASK_PEERS_MS) = e^-16 per node. */
const OLD_TRICKLE_MEAN_MS = 500
const simnet = new Simnet({
  nodes: 30,
  oldCore: 8,
  small: 8,
  mute: 5,
  bcoin: 5,
  slow: 3,
  refused: 3,
  latencyMs: { min: 20, max: 300 },
  oldTrickleMeanMs: OLD_TRICKLE_MEAN_MS,
  basePort: 0,
  seed: SEED,
  knownPerNode: 70
})

let dir: string
before(async () => {
  console.log(`# simnet seed ${SEED}`)
  dir = await mkdtemp(join(tmpdir(), 'peers-kinds-'))
  await simnet.start()
})
after(async () => {
  await simnet.stop()
  await rm(dir, { recursive: true, force: true })
})

test('current, old, small, mute, bcoin-like and slow nodes with latency: the crawl finds exactly truth() and recognises each answer', async () => {
  const db = join(dir, 'peers.json')
  const truth = simnet.truth({ askPeersMs: ASK_PEERS_MS }).map(formatEndpoint).sort()
  assert.equal(truth.length, 30 + 8 + 8 + 5 + 5 + 3, 'every reachable node is in truth()')
  const started = performance.now()
  const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', '--seed', formatEndpoint(simnet.seeds()[0]),
    '--only-cidr', '127.0.0.0/8', '--allow-cidr', '127.0.0.0/8', '--db', db, '--out', join(dir, 'out'), '--no-export',
    '--retries', '0', '--handshake-timeout', '6000', '--getaddr-timeout', String(ASK_PEERS_MS), '--json'])
  console.log(`# crawl of ${simnet.size} mixed simnet addresses: ${Math.round(performance.now() - started)} ms wall time (CLI start included)`)
  assert.equal(r.code, 0, r.stderr)

  const store = await openStore(db, { mode: 'read' })
  assert.deepEqual(store.peers('regtest').filter(isReachable).map(formatEndpoint).sort(), truth)

  const line = (e: { host: string, port: number }): string => {
    const found = r.stderr.split('\n').find((l) => l.includes(`successful handshake with ${formatEndpoint(e)} (`))
    assert.ok(found !== undefined, `no session line for ${formatEndpoint(e)}`)
    return found
  }
  for (const kind of ['honest', 'old-core', 'small', 'bcoin', 'slow']) {
    for (const e of simnet.endpointsOf(kind)) assert.match(line(e), /answered \d+ entr(y|ies) after \d+ ms/, kind)
  }
  for (const e of simnet.endpointsOf('mute')) assert.match(line(e), /no address answer/)
  for (const e of simnet.endpointsOf('bcoin')) assert.match(line(e), /\/bcoin:v1\.0\.2\//)
})
