// One `peers crawl` (the CLI in a child process) over a simulated network of honest nodes
// with every hostile peer of test/fixtures/bitcoin/hostile.ts mixed in. The crawl must
// finish, find every honest node, record each hostile peer with its normalised verdict,
// keep each session within its caps, and never dial a non-routable address it was given.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Endpoint } from '../src/contract.js'
import { DEFAULT_LIMITS } from '../src/engine/defaults.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import { openStore } from '../src/store/store.js'
import { isReachable, type PeerRecord } from '../src/store/types.js'
import { bitcoinAdapter } from '../adapters/bitcoin/index.js'
import { Simnet } from '../adapters/bitcoin/simnet/index.js'
import { runCli } from './helpers/cli.js'
import { HOSTILE_KINDS, HOSTILE_VERDICTS, NON_ROUTABLE_SAMPLES, hostileBehaviour, type HostileBehaviour } from './fixtures/bitcoin/hostile.js'

process.env.PEERS_LOOPBACK_ONLY = '1'

const NET = 'regtest'
/**
 * Generous: on a busy machine the addr flood's messages before its verack take the simulator
 * (building them) and the crawler (reading them) several seconds.
 */
const HANDSHAKE_MS = 8000
const GETADDR_MS = 5000
/**
 * Scheduling on a busy machine: an upper bound only. A session that hangs (the failure this
 * catches) never ends; one that ends late because the machine is starved still ends.
 */
const SLACK_MS = 30_000
const FLOOD_FIRST_OCTET = 11
/** Full addr messages before the verack: enough to show they are all ignored, few enough to build quickly. */
const FLOOD_MESSAGES = 150
/** Lone self-announcements (its own host, a new port each) before its answer: with the answer's 1,000, past the cap. */
const FLOOD_SELF_MESSAGES = 1600

const behaviours: HostileBehaviour[] = HOSTILE_KINDS.map((kind) => hostileBehaviour(kind, {
  seed: 3,
  dripMs: 100,
  floodMessages: FLOOD_MESSAGES,
  floodSelfMessages: FLOOD_SELF_MESSAGES,
  floodFirstOctet: FLOOD_FIRST_OCTET,
  knows: (): Endpoint[] => simnet.endpointsOf('honest').slice(0, 3)
}))
const simnet = new Simnet({
  nodes: 30,
  wrongNetwork: 1,
  closeImmediately: 1,
  custom: behaviours.map((behaviour) => ({ count: 1, behaviour })),
  basePort: 0,
  seed: 5,
  knownPerNode: 60
})

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peers-hostile-'))
  await simnet.start()
})
after(async () => {
  await simnet.stop()
  await rm(dir, { recursive: true, force: true })
})

function only (kind: string): Endpoint {
  const [endpoint] = simnet.endpointsOf(kind)
  assert.ok(endpoint !== undefined, `no ${kind} node`)
  return endpoint
}

function inRange (record: PeerRecord, firstOctet: number): boolean {
  return record.type === 'ipv4' && record.host.startsWith(`${firstOctet}.`)
}

test('a crawl with every hostile peer mixed in finishes, finds every honest node and records each hostile one', async () => {
  const db = join(dir, 'hostile.json')
  const hostile = [...behaviours.map((b) => only(b.kind)), only('wrong-network'), only('close-immediately')]
  // Every hostile peer is also a seed: the crawl dials each exactly once, however the honest nodes' samples fall.
  const seeds = [...simnet.seeds(), ...hostile].flatMap((e) => ['--seed', formatEndpoint(e)])
  const r = await runCli(['crawl', 'bitcoin', '--net', NET, ...seeds, '--allow-cidr', '127.0.0.0/8', '--only-cidr', '127.0.0.0/8',
    '--db', db, '--out', join(dir, 'out'), '--no-export', '--json', '--retries', '0', '--connect-timeout', '1000',
    '--handshake-timeout', String(HANDSHAKE_MS), '--getaddr-timeout', String(GETADDR_MS), '--checkpoint-interval', '1'])
  assert.equal(r.code, 0, r.stderr)
  const summary = JSON.parse(r.stdout) as { reachable: number, untried: number, interrupted: boolean }
  assert.equal(summary.untried, 0)
  assert.equal(summary.interrupted, false)

  const store = await openStore(db, { mode: 'read' })
  const records = store.peers(NET)
  const record = (e: Endpoint): PeerRecord => {
    const found = store.get(NET, e)
    assert.ok(found !== undefined, `${formatEndpoint(e)} is not in the store`)
    return found
  }

  // Each hostile peer: one session (no retries, no second dial through its own or others' advertisements), its verdict recorded.
  const verdicts: Record<string, string> = { ...HOSTILE_VERDICTS, 'wrong-network': 'wrong-network', 'close-immediately': 'closed' }
  for (const e of hostile) {
    const kind = Object.keys(verdicts).find((k) => simnet.endpointsOf(k).some((x) => x.port === e.port && x.host === e.host)) as string
    const rec = record(e)
    assert.equal(rec.successes + rec.failures, 1, `${kind} was dialed ${rec.successes + rec.failures} times`)
    if (verdicts[kind] === 'reachable') assert.ok(isReachable(rec), `${kind}: expected reachable, got ${rec.lastFailure}: ${rec.lastFailureDetail}`)
    // In this crowded crawl on a loaded machine the reset now and then reaches the crawler as a
    // plain close (about 1 run in 8 under test:stress, cause not found); either way the peer
    // dropped the handshake. test/hostile-session.test.ts pins 'reset' on a quiet connection.
    else if (kind === 'reset-mid-message') assert.ok(rec.lastFailure === 'reset' || rec.lastFailure === 'closed', `${kind}: ${rec.lastFailure}: ${rec.lastFailureDetail}`)
    else assert.equal(rec.lastFailure, verdicts[kind], `${kind}: ${rec.lastFailureDetail}`)
  }

  // The reachable set is the simnet's truth: every honest node plus the hostile peers whose handshake was valid.
  const reachable = records.filter(isReachable).map(formatEndpoint).sort()
  assert.deepEqual(reachable, simnet.truth().map(formatEndpoint).sort())
  for (const honest of simnet.endpointsOf('honest')) assert.ok(isReachable(record(honest)), `honest ${formatEndpoint(honest)} not reachable`)
  assert.equal(summary.reachable, reachable.length)

  // Time per session: every hostile connection ended within its phase timeouts.
  for (const b of behaviours) {
    assert.equal(b.stats.connections, 1, `${b.kind} saw ${b.stats.connections} connections`)
    const longest = Math.max(...b.stats.connectionMs)
    assert.ok(longest < HANDSHAKE_MS + GETADDR_MS + SLACK_MS, `${b.kind} held its session ${longest} ms`)
  }

  // Addresses per session: the flood is counted in full (the part before verack too), but
  // nothing before the handshake is kept, and no more than maxAddresses of the rest.
  const flood = behaviours.find((b) => b.kind === 'addr-flood') as HostileBehaviour
  assert.equal(flood.stats.hostileWrites, FLOOD_MESSAGES + FLOOD_SELF_MESSAGES + 1)
  assert.equal(record(only('addr-flood')).addressesGiven, FLOOD_MESSAGES * 1000 + FLOOD_SELF_MESSAGES + 1000)
  // Kept: its self-announcements, then the answer's first entries up to the cap.
  const floodHost = only('addr-flood').host
  const selfPorts = records.filter((p) => p.host === floodHost && p.port !== only('addr-flood').port)
  assert.equal(selfPorts.length, FLOOD_SELF_MESSAGES)
  for (const p of selfPorts) assert.equal(p.lastFailure, 'refused', `${p.host}:${p.port}`)
  const flooded = records.filter((p) => inRange(p, FLOOD_FIRST_OCTET))
  assert.equal(flooded.length, DEFAULT_LIMITS.maxAddresses - FLOOD_SELF_MESSAGES)
  for (const p of flooded) {
    assert.equal(p.skipped, 'outside-only')
    assert.equal(p.lastTried, undefined)
  }

  // Lying counts and broken addrv2 messages teach nothing; addrv2 entries of unknown networks are skipped.
  assert.equal(record(only('lying-addr-count')).addressesGiven, 0)
  assert.equal(records.filter((p) => inRange(p, 12)).length, 0)
  assert.equal(record(only('bad-addrv2')).addressesGiven, 20 + 3)

  // Non-routable addresses are recorded as skipped and never dialed; duplicates within a session count once.
  for (const host of NON_ROUTABLE_SAMPLES) {
    const rec = record(bitcoinAdapter.parseEndpoint(host.includes(':') ? `[${host}]:8333` : `${host}:8333`, { id: NET, name: NET, defaultPort: 18444, description: '' }))
    assert.equal(rec.skipped, 'non-routable', `${host}: skipped ${rec.skipped}`)
    assert.equal(rec.lastTried, undefined, `${host} was dialed`)
    assert.equal(rec.successes + rec.failures, 0)
    assert.equal(rec.advertisements, 1, `${host}: advertised ${rec.advertisements} times by one session`)
  }
})
