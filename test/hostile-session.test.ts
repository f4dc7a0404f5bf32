// One Bitcoin session against each hostile simulated peer (test/fixtures/bitcoin/hostile.ts):
// the result is a normalised one, the session ends within its caps, and what a peer sends
// cannot grow the session's memory past them. test/hostile.test.ts mixes the same peers
// into a whole crawl.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { FAILURE_REASONS, type Endpoint, type FailureReason, type SessionLimits, type SessionResult, type SessionTimeouts } from '../src/contract.js'
import { bitcoinAdapter } from '../adapters/bitcoin/index.js'
import { BITCOIN_NETWORKS } from '../adapters/bitcoin/params.js'
import { Simnet } from '../adapters/bitcoin/simnet/index.js'
import { waitFor } from './helpers/wait.js'
import { HOSTILE_KINDS, HOSTILE_VERDICTS, NON_ROUTABLE_SAMPLES, hostileBehaviour, hostileUserAgent, type HostileBehaviour, type HostileKind, type HostileOptions } from './fixtures/bitcoin/hostile.js'

process.env.PEERS_LOOPBACK_ONLY = '1'

const NETWORK = BITCOIN_NETWORKS.find((n) => n.id === 'regtest') ?? BITCOIN_NETWORKS[0]
/** Generous handshake bound: a peer that answers must not lose to a busy machine. */
const TIMEOUTS: SessionTimeouts = { connectMs: 5000, handshakeMs: 5000, askPeersMs: 800 }
/** The handshake timeout where ending at it is what the test checks. */
const SHORT_HANDSHAKE = { handshakeMs: 800 }
const LIMITS: SessionLimits = { maxBufferedBytes: 1 << 20, maxAddresses: 2500, maxSessionMs: 6000 }
/** Scheduling and loopback latency on a busy 2-core machine: an upper bound only. */
const SLACK_MS = 5000
/**
 * Pongs we may hold for a peer that reads nothing: with backpressure (stop reading until the
 * socket drains) that is the socket's 16 KB high-water mark plus the pongs for one 64 KB read.
 */
const MAX_PONG_BACKLOG = 96 * 1024

const options: HostileOptions = {
  seed: 7,
  dripMs: 40,
  floodMessages: 300,
  floodSelfMessages: 3000,
  knows: () => simnet.endpointsOf('honest')
}
const behaviours = new Map<HostileKind, HostileBehaviour>(HOSTILE_KINDS.map((kind) => [kind, hostileBehaviour(kind, options)]))
const simnet = new Simnet({
  nodes: 3,
  wrongNetwork: 1,
  closeImmediately: 1,
  custom: [...behaviours.values()].map((behaviour) => ({ count: 1, behaviour })),
  basePort: 0,
  seed: 7
})

function endpointOf (kind: string): Endpoint {
  const [endpoint] = simnet.endpointsOf(kind)
  assert.ok(endpoint !== undefined, `no simulated ${kind} peer`)
  return endpoint
}

async function session (kind: string, limits: Partial<SessionLimits> = {}, timeouts: Partial<SessionTimeouts> = {}): Promise<{ result: SessionResult, ms: number }> {
  const endpoint = endpointOf(kind)
  const started = performance.now()
  const result = await bitcoinAdapter.runSession(endpoint, {
    network: NETWORK,
    timeouts: { ...TIMEOUTS, ...timeouts },
    limits: { ...LIMITS, ...limits },
    signal: new AbortController().signal,
    userAgent: '/peers-hostile-test:0.0.0/'
  })
  const ms = performance.now() - started
  assert.deepEqual(result.endpoint, endpoint)
  assert.ok(result.learned.length <= (limits.maxAddresses ?? LIMITS.maxAddresses), `learned ${result.learned.length} > maxAddresses`)
  assert.ok(result.addressesReceived >= result.learned.length)
  if (!result.ok) assert.ok(FAILURE_REASONS.includes(result.reason as FailureReason), `reason ${result.reason} is not normalised`)
  // Results go to the store as JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result)
  return { result, ms }
}

/** The kind's verdict (test/fixtures/bitcoin/hostile.ts), with what the detail must say. */
function assertVerdict (result: SessionResult, kind: HostileKind, detail?: RegExp): void {
  const verdict = HOSTILE_VERDICTS[kind]
  if (verdict === 'reachable') assertReachable(result, kind)
  else assertFailed(result, verdict, detail)
}

function assertFailed (result: SessionResult, reason: FailureReason, detail?: RegExp): void {
  assert.equal(result.ok, false, `expected ${reason}, got ok`)
  assert.equal(result.reason, reason, `expected ${reason}, got ${result.reason}: ${result.detail}`)
  if (detail !== undefined) assert.match(result.detail ?? '', detail)
  assert.deepEqual(result.learned, [], 'a failed handshake taught us addresses')
}

function assertReachable (result: SessionResult, kind: HostileKind): void {
  assert.equal(result.ok, true, `expected ok, got ${result.reason}: ${result.detail}`)
  assert.equal(result.peer?.userAgent, hostileUserAgent(kind))
}

describe('a session with each hostile peer', () => {
  before(async () => { await simnet.start() })
  after(async () => { await simnet.stop() })

  it('wrong magic → wrong-network', async () => {
    const { result, ms } = await session('wrong-network')
    assertFailed(result, 'wrong-network', /bad-magic/)
    assert.ok(ms < TIMEOUTS.handshakeMs, 'waited for a timeout instead of ending at the bad magic')
  })

  it('bad checksums: messages dropped, then handshake-timeout', async () => {
    const { result, ms } = await session('bad-checksum', {}, SHORT_HANDSHAKE)
    assertVerdict(result, 'bad-checksum', /no version/)
    assert.ok(ms < SHORT_HANDSHAKE.handshakeMs + SLACK_MS)
  })

  it('a header announcing 4 GB → protocol-error at the header, nothing allocated', async () => {
    const { result, ms } = await session('huge-payload')
    assertVerdict(result, 'huge-payload', /oversized-payload/)
    assert.ok(ms < TIMEOUTS.handshakeMs)
  })

  it('a legal 3.9 MB payload over the buffer cap → session-limit', async () => {
    const { result, ms } = await session('oversized-frame')
    assertVerdict(result, 'oversized-frame', /buffer-limit/)
    assert.ok(ms < TIMEOUTS.handshakeMs, 'the crawler waited for the body instead of ending at the header')
  })

  it('slow drip → handshake-timeout; and session-limit when the session cap comes first', async () => {
    const drip = behaviours.get('slow-drip') as HostileBehaviour
    const before = drip.stats.hostileWrites
    const { result, ms } = await session('slow-drip', {}, SHORT_HANDSHAKE)
    assertVerdict(result, 'slow-drip', /no version/)
    assert.ok(ms >= SHORT_HANDSHAKE.handshakeMs - 50 && ms < SHORT_HANDSHAKE.handshakeMs + SLACK_MS)
    assert.ok(drip.stats.hostileWrites - before >= 5, 'the drip did not drip')

    const capped = await session('slow-drip', { maxSessionMs: 300 }, SHORT_HANDSHAKE)
    assertFailed(capped.result, 'session-limit')
    assert.ok(capped.ms < 300 + SLACK_MS)
  })

  it('version but never verack → handshake-timeout (no verack)', async () => {
    const { result } = await session('version-no-verack', {}, SHORT_HANDSHAKE)
    assertVerdict(result, 'version-no-verack', /no verack/)
  })

  it('verack before version → protocol-error', async () => {
    const { result } = await session('verack-before-version')
    assertVerdict(result, 'verack-before-version', /verack before version/)
  })

  it('a user agent length of 2^64-1 → protocol-error, not an allocation', async () => {
    const { result } = await session('huge-user-agent')
    assertVerdict(result, 'huge-user-agent', /user-agent-too-long/)
  })

  it('version 0 with a negative height → obsolete-version', async () => {
    const { result } = await session('nonsense-version')
    assertVerdict(result, 'nonsense-version', /version 0/)
    assert.equal(result.peer?.startHeight, -123456)
  })

  it('random garbage → wrong-network', async () => {
    const { result } = await session('garbage')
    assertVerdict(result, 'garbage', /bad-magic/)
  })

  it('closing at once → closed', async () => {
    const { result } = await session('close-immediately')
    assertFailed(result, 'closed')
  })

  it('a reset in the middle of a message → reset', async () => {
    const { result } = await session('reset-mid-message')
    assertVerdict(result, 'reset-mid-message')
  })

  it('addr counts that lie about their length: each message dropped, peer still reachable', async () => {
    const { result, ms } = await session('lying-addr-count')
    assertVerdict(result, 'lying-addr-count')
    assert.equal(result.gotAddressAnswer, false)
    assert.deepEqual(result.learned, [])
    assert.equal(result.addressesReceived, 0)
    // The one declaring 2^32-1 entries is over the 1,000 limit: counted, with its declared size.
    assert.deepEqual(result.oversizedAddr, { messages: 1, largestDeclared: 0xffffffff })
    assert.ok(ms < TIMEOUTS.handshakeMs + TIMEOUTS.askPeersMs + SLACK_MS)
  })

  // Before #10 the flood sent 10-entry "gossip" messages before its answer, and the session
  // waited through them. Core never sends gossip before its getaddr answer, and the session now
  // takes the first message after getaddr for the answer; the only messages it waits through
  // are lone self-announcements, so the flood is made of those (a new port each).
  it('addr flood: 300 full messages before verack are ignored; then self-announcements past the cap: learned stays at maxAddresses, every entry counted', async () => {
    const flood = behaviours.get('addr-flood') as HostileBehaviour
    const writesBefore = flood.stats.hostileWrites
    // Room for the flood on a loaded machine: 300,000 entries to decode before the verack, 3,000 messages before the answer.
    const { result, ms } = await session('addr-flood', { maxSessionMs: 10_000 }, { handshakeMs: 4000, askPeersMs: 4000 })
    assertVerdict(result, 'addr-flood')
    const sent = flood.stats.hostileWrites - writesBefore
    const pre = options.floodMessages as number
    const selfMessages = options.floodSelfMessages as number
    assert.equal(sent, pre + selfMessages + 1, `${sent} flood messages went out`)
    assert.ok(selfMessages > LIMITS.maxAddresses, 'the self-announcement flood must exceed the cap to test it')
    assert.equal(result.learned.length, LIMITS.maxAddresses)
    assert.ok(result.learned.every((l) => l.endpoint.host === endpointOf('addr-flood').host), 'only its own host:ports, in the order sent')
    assert.equal(result.addressesReceived, pre * 1000 + selfMessages + 1000)
    assert.equal(result.gotAddressAnswer, true)
    assert.equal(result.answer?.entries, 1000)
    assert.ok(ms < 10_000 + SLACK_MS)

    // A lower cap holds the same way, and the session cap ends a flood that outlasts it.
    const capped = await session('addr-flood', { maxAddresses: 10, maxSessionMs: 200 })
    assert.ok(capped.result.learned.length <= 10)
    assert.ok(capped.ms < 200 + SLACK_MS, `the flood held the session ${capped.ms} ms`)
  })

  it('addrv2 with oversized lengths and unknown network ids: bad messages dropped, unknown entries skipped', async () => {
    const { result } = await session('bad-addrv2')
    assertVerdict(result, 'bad-addrv2')
    assert.equal(result.gotAddressAnswer, true)
    const honest = simnet.endpointsOf('honest')
    assert.deepEqual(result.learned.map((l) => l.endpoint).sort(byKey), [...honest].sort(byKey))
    assert.equal(result.addressesReceived, 20 + honest.length)
  })

  it('ping flood that never reads our pongs: ends at the getaddr timeout with bounded buffers', async () => {
    // Long enough for the kernel's socket buffers to fill and the backlog to show.
    const PING_FLOOD_GETADDR_MS = 2500
    const port = endpointOf('ping-flood').port
    const flood = behaviours.get('ping-flood') as HostileBehaviour
    const closedBefore = flood.stats.connectionMs.length
    let maxPending = 0
    let pongs = 0
    const realWrite = Socket.prototype.write
    Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
      const flushed = (realWrite as (...a: unknown[]) => boolean).apply(this, args)
      if (this.remotePort === port) {
        maxPending = Math.max(maxPending, this.writableLength)
        pongs++
      }
      return flushed
    } as typeof Socket.prototype.write
    let outcome: { result: SessionResult, ms: number }
    try {
      outcome = await session('ping-flood', {}, { askPeersMs: PING_FLOOD_GETADDR_MS })
    } finally {
      Socket.prototype.write = realWrite
    }
    assertVerdict(outcome.result, 'ping-flood')
    assert.equal(outcome.result.gotAddressAnswer, false)
    assert.ok(outcome.ms < TIMEOUTS.handshakeMs + PING_FLOOD_GETADDR_MS + SLACK_MS)
    assert.ok(pongs > 1000, `only ${pongs} pongs: the flood did not flood`)
    assert.ok(maxPending <= MAX_PONG_BACKLOG, `${maxPending} bytes of pongs queued for a peer that does not read`)
    // The socket goes too, not only the result: no FIN left waiting behind pongs nobody reads.
    await waitFor(() => flood.stats.connectionMs.length > closedBefore, { what: 'the ping flooder to see its socket closed', timeoutMs: SLACK_MS }).catch(() => {})
    assert.equal(flood.stats.connectionMs.length, closedBefore + 1, 'the crawler kept its socket to the ping flooder open after the session')
  })

  it('non-routable, duplicate and self addresses: learned once each', async () => {
    const { result } = await session('bad-advertiser')
    assertVerdict(result, 'bad-advertiser')
    const honest = simnet.endpointsOf('honest')
    assert.equal(result.addressesReceived, NON_ROUTABLE_SAMPLES.length * 2 + honest.length * 2 + 2)
    const keys = result.learned.map((l) => bitcoinAdapter.key(l.endpoint))
    assert.equal(new Set(keys).size, keys.length, 'duplicates learned twice')
    assert.equal(keys.length, NON_ROUTABLE_SAMPLES.length + honest.length + 1)
    assert.ok(keys.includes(bitcoinAdapter.key(endpointOf('bad-advertiser'))))
  })
})

function byKey (a: Endpoint, b: Endpoint): number {
  return bitcoinAdapter.key(a) < bitcoinAdapter.key(b) ? -1 : 1
}
