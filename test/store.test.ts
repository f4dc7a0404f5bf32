import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { Endpoint, Logger, SessionResult } from '../src/contract.js'
import { PeersError } from '../src/errors.js'
import { openStore, resolveStorePath } from '../src/store/store.js'
import { isReachable, type PeerStore } from '../src/store/types.js'
import { seededRandom } from '../adapters/bitcoin/simnet/random.js'
import { testSeed, waitFor } from './helpers/wait.js'

const NET = 'signet'
const A: Endpoint = { host: '192.0.2.10', port: 38333, type: 'ipv4' }
const B: Endpoint = { host: '2001:db8::7', port: 38333, type: 'ipv6' }

function tempStorePath (): string {
  return join(mkdtempSync(join(tmpdir(), 'peers-store-')), 'peers.json')
}

/** A clock the test moves by hand. */
function manualClock (start = '2024-10-24T21:00:00.000Z'): { now: () => Date, advance: (ms: number) => void } {
  let t = Date.parse(start)
  return { now: () => new Date(t), advance: (ms) => { t += ms } }
}

function recordingLogger (): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return { warnings, debug () {}, info () {}, warn (m) { warnings.push(m) }, error () {} }
}

function ok (endpoint: Endpoint, extra: Partial<SessionResult> = {}): SessionResult {
  return {
    endpoint,
    ok: true,
    connectMs: 12,
    handshakeMs: 30,
    peer: { protocolVersion: 70016, services: '3081', userAgent: '/Satoshi:27.0.0/', startHeight: 200000, relay: true },
    learned: [],
    addressesReceived: 1000,
    ...extra
  }
}

async function rejectsWith (promise: Promise<unknown>, code: string, pattern: RegExp): Promise<PeersError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof PeersError, `expected a PeersError, got ${String(err)}`)
    assert.equal(err.code, code)
    assert.match(err.message, pattern)
    assert.ok(!err.message.includes('\n'), 'the message is one line')
    return err
  }
  assert.fail(`expected ${code}`)
}

test('resolveStorePath: flag, then PEERS_DB, then output/peers.json', () => {
  const saved = process.env.PEERS_DB
  try {
    process.env.PEERS_DB = '/tmp/from-env.json'
    assert.equal(resolveStorePath('/tmp/flag.json'), '/tmp/flag.json')
    assert.equal(resolveStorePath(), '/tmp/from-env.json')
    delete process.env.PEERS_DB
    assert.equal(resolveStorePath(), resolve('output/peers.json'))
  } finally {
    if (saved === undefined) delete process.env.PEERS_DB
    else process.env.PEERS_DB = saved
  }
})

test('write mode creates the file with the versioned schema; records survive a reload', async () => {
  const path = tempStorePath()
  const clock = manualClock()
  const store = await openStore(path, { mode: 'write', now: clock.now })
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { schema: 3, networks: [], runs: [] })
  store.recordDiscovered(NET, A, null)
  clock.advance(1000)
  store.recordResult(NET, ok(A))
  await store.close()

  const reread = await openStore(path, { mode: 'read' })
  assert.deepEqual(reread.networks(), [NET])
  const record = reread.get(NET, A)
  assert.equal(record?.firstSeen, '2024-10-24T21:00:00.000Z')
  assert.equal(record?.lastSuccess, '2024-10-24T21:00:01.000Z')
  assert.equal(record?.userAgent, '/Satoshi:27.0.0/')
  assert.equal(reread.peers(NET).length, 1)
  assert.equal(reread.peers().length, 1)
  assert.deepEqual(reread.peers('testnet4'), [])
})

test('recordDiscovered: seeds have no advertiser, each advertising session counts once, skipped follows the latest call', async () => {
  const clock = manualClock()
  const store = await openStore(tempStorePath(), { mode: 'write', now: clock.now })
  store.recordDiscovered(NET, A, null)
  assert.equal(store.get(NET, A)?.advertisements, 0)
  clock.advance(5000)
  store.recordDiscovered(NET, A, B)
  store.recordDiscovered(NET, A, { host: '192.0.2.99', port: 38333, type: 'ipv4' }, 'denied')
  const record = store.get(NET, A)
  assert.equal(record?.advertisements, 2)
  assert.equal(record?.firstSeen, '2024-10-24T21:00:00.000Z')
  assert.equal(record?.lastAdvertised, '2024-10-24T21:00:05.000Z')
  assert.equal(record?.skipped, 'denied')
  store.recordDiscovered(NET, A, B)
  assert.equal(store.get(NET, A)?.skipped, undefined)
  // The same address on another network is another peer.
  store.recordDiscovered('testnet4', A, null)
  assert.equal(store.get('testnet4', A)?.advertisements, 0)
  await store.close()
})

test('recordResult: counts, last success or failure with detail, peer info, latencies, addresses given', async () => {
  const clock = manualClock()
  const store = await openStore(tempStorePath(), { mode: 'write', now: clock.now })
  store.recordResult(NET, { endpoint: B, ok: false, reason: 'connect-timeout', detail: 'no SYN-ACK in 5000 ms', learned: [], addressesReceived: 0 })
  let record = store.get(NET, B)
  assert.ok(record !== undefined)
  assert.equal(record.failures, 1)
  assert.equal(record.successes, 0)
  assert.equal(record.lastFailure, 'connect-timeout')
  assert.equal(record.lastFailureDetail, 'no SYN-ACK in 5000 ms')
  assert.equal(isReachable(record), false)

  clock.advance(60_000)
  store.recordResult(NET, ok(B, { addressesReceived: 1234, learned: [{ endpoint: A }] }))
  record = store.get(NET, B)
  assert.ok(record !== undefined)
  assert.equal(record.successes, 1)
  assert.equal(record.lastTried, record.lastSuccess)
  assert.equal(isReachable(record), true)
  assert.equal(record.services, '3081')
  assert.equal(record.protocolVersion, 70016)
  assert.equal(record.startHeight, 200000)
  assert.equal(record.relay, true)
  assert.equal(record.connectMs, 12)
  assert.equal(record.handshakeMs, 30)
  assert.equal(record.addressesGiven, 1234)

  clock.advance(60_000)
  store.recordResult(NET, { endpoint: B, ok: false, learned: [], addressesReceived: 0 })
  record = store.get(NET, B)
  assert.ok(record !== undefined)
  assert.equal(record.failures, 2)
  assert.equal(record.lastFailure, 'error', 'a failure without a reason is an error')
  assert.equal(record.lastFailureDetail, undefined)
  assert.equal(isReachable(record), false, 'the last attempt failed')
  assert.equal(record.userAgent, '/Satoshi:27.0.0/', 'what the peer said last time stays')
  await store.close()
})

test('isReachable follows the last attempt even when the clock stepped back between attempts', async () => {
  const clock = manualClock()
  const store = await openStore(tempStorePath(), { mode: 'write', now: clock.now })
  store.recordResult(NET, ok(A))
  assert.equal(isReachable(store.get(NET, A)!), true)
  clock.advance(-60_000) // NTP stepped the clock back
  store.recordResult(NET, { endpoint: A, ok: false, reason: 'refused', learned: [], addressesReceived: 0 })
  assert.equal(isReachable(store.get(NET, A)!), false, 'the last attempt failed')
  clock.advance(-60_000)
  store.recordResult(NET, ok(A))
  assert.equal(isReachable(store.get(NET, A)!), true, 'the last attempt succeeded')
  await store.close()
})

test('setAsn sets and clears AS data', async () => {
  const store = await openStore(tempStorePath(), { mode: 'write' })
  store.recordDiscovered(NET, A, null)
  store.setAsn(NET, A, 64500, 'Example Hosting')
  assert.equal(store.get(NET, A)?.asn, 64500)
  assert.equal(store.get(NET, A)?.asOrg, 'Example Hosting')
  store.setAsn(NET, A, undefined, undefined)
  assert.equal(store.get(NET, A)?.asn, undefined)
  assert.ok(!('asOrg' in (store.get(NET, A) ?? {})))
  await store.close()
})

test('runs: begin and finish are stored; a run left running is reported interrupted', async () => {
  const path = tempStorePath()
  const store = await openStore(path, { mode: 'write' })
  const finished = store.beginRun('bitcoin', NET)
  store.finishRun(finished, 'finished', { tried: 10, reachable: 4, failed: { refused: 6 } })
  store.beginRun('bitcoin', NET)
  await store.checkpoint()
  // Simulate a process that died: the file says 'running' and no lock is held.
  const saved = readFileSync(path, 'utf8')
  await store.close()
  writeFileSync(path, saved)
  assert.match(saved, /"status":"running"/)

  const reader = await openStore(path, { mode: 'read' })
  assert.deepEqual(reader.runs(NET).map((r) => r.status), ['finished', 'interrupted'])
  assert.deepEqual(reader.runs(NET)[0].counts, { tried: 10, reachable: 4, failed: { refused: 6 } })
  assert.equal(reader.runs('testnet4').length, 0)

  const log = recordingLogger()
  const writer = await openStore(path, { mode: 'write', log })
  assert.deepEqual(writer.runs().map((r) => r.status), ['finished', 'interrupted'])
  assert.match(log.warnings.join('\n'), /1 earlier run/)
  await writer.close()
  assert.doesNotMatch(readFileSync(path, 'utf8'), /"status":"running"/, 'the writer stored the verdict')
})

test('a reader does not call a live writer\'s run interrupted', async () => {
  const path = tempStorePath()
  const writer = await openStore(path, { mode: 'write' })
  writer.beginRun('bitcoin', NET)
  await writer.checkpoint()
  const reader = await openStore(path, { mode: 'read' })
  assert.deepEqual(reader.runs().map((r) => r.status), ['running'])
  await writer.close()
})

test('read mode: a missing store is one clear error', async () => {
  const path = tempStorePath()
  await rejectsWith(openStore(path, { mode: 'read' }), 'PEERS_STORE_IO', /^no store at .*peers\.json; run a crawl first/)
  assert.equal(existsSync(path), false, 'reading does not create it')
})

test('read mode refuses to write', async () => {
  const path = tempStorePath()
  await (await openStore(path, { mode: 'write' })).close()
  const reader = await openStore(path, { mode: 'read' })
  await rejectsWith(reader.checkpoint(), 'PEERS_STORE_IO', /read-only/)
})

const CORRUPT_FILES: Array<[name: string, content: string, why: RegExp]> = [
  ['empty', '', /empty/],
  ['truncated', '{"schema":1,"peers":{"signet":[{"network":"signet","host":"192.0.2.1","port":38333', /not valid JSON.*truncated/],
  ['not JSON', 'hello', /not valid JSON/],
  ['an array', '[]', /not a peers store/],
  ['a bad manifest', '{"schema":3,"peers":{},"runs":[]}', /not a schema 3 manifest/],
  ['no version', '{"peers":{},"runs":[]}', /no schema version/],
  ['bad peers', '{"schema":1,"peers":[],"runs":[]}', /"peers" is not an object/],
  ['bad record', '{"schema":1,"peers":{"signet":[{"host":5}]},"runs":[]}', /record of "signet" is malformed/]
]

for (const [name, content, why] of CORRUPT_FILES) {
  test(`a store that is ${name} is PEERS_STORE_CORRUPT naming the file, and is left untouched`, async () => {
    const path = tempStorePath()
    writeFileSync(path, content)
    for (const mode of ['read', 'write'] as const) {
      const err = await rejectsWith(openStore(path, { mode }), 'PEERS_STORE_CORRUPT', why)
      assert.ok(err.message.includes(path), 'names the file')
      assert.equal(readFileSync(path, 'utf8'), content, `${mode} mode left the bytes alone`)
      assert.equal(existsSync(`${path}.lock`), false, 'a failed open releases the lock')
    }
  })
}

test('lock: a second writer is refused with the holder; after close it can open', async () => {
  const path = tempStorePath()
  const first = await openStore(path, { mode: 'write' })
  const holder = JSON.parse(readFileSync(`${path}.lock`, 'utf8')) as { pid: number, hostname: string, startedAt: string }
  assert.equal(holder.pid, process.pid)
  assert.equal(holder.hostname, hostname())
  await rejectsWith(openStore(path, { mode: 'write' }), 'PEERS_STORE_LOCKED', new RegExp(`^store .*peers\\.json is in use by pid ${process.pid} since ${holder.startedAt}`))
  // Readers are not blocked by the writer.
  await (await openStore(path, { mode: 'read' })).close()
  await first.close()
  assert.equal(existsSync(`${path}.lock`), false)
  await (await openStore(path, { mode: 'write' })).close()
})

async function exitedPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  assert.ok(child.pid !== undefined)
  return child.pid
}

test('lock: a stale lock (pid not alive on this host) is taken over with a warning', async () => {
  const path = tempStorePath()
  const deadPid = await exitedPid()
  writeFileSync(`${path}.lock`, JSON.stringify({ pid: deadPid, hostname: hostname(), startedAt: '2024-01-01T00:00:00.000Z' }))
  const log = recordingLogger()
  const store = await openStore(path, { mode: 'write', log })
  assert.match(log.warnings.join('\n'), new RegExp(`taking over stale lock .*pid ${deadPid}`))
  assert.equal(JSON.parse(readFileSync(`${path}.lock`, 'utf8')).pid, process.pid)
  await store.close()
  assert.deepEqual(readdirSync(join(path, '..')).filter((f) => f.includes('lock')), [], 'no lock debris')
})

test('lock: held by a live process, or by another host, is refused', async () => {
  const path = tempStorePath()
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
  try {
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: child.pid, hostname: hostname(), startedAt: '2024-01-01T00:00:00.000Z' }))
    await rejectsWith(openStore(path, { mode: 'write' }), 'PEERS_STORE_LOCKED', new RegExp(`in use by pid ${child.pid} since 2024-01-01`))
  } finally {
    child.kill()
  }
  const deadPid = await exitedPid()
  writeFileSync(`${path}.lock`, JSON.stringify({ pid: deadPid, hostname: 'some-other-host', startedAt: '2024-01-01T00:00:00.000Z' }))
  await rejectsWith(openStore(path, { mode: 'write' }), 'PEERS_STORE_LOCKED', /on some-other-host/)
})

test('checkpoint reports bytes and the longest block; changes made during a checkpoint reach the next write', async () => {
  const path = tempStorePath()
  const store = await openStore(path, { mode: 'write' })
  for (let i = 0; i < 5000; i++) store.recordDiscovered(NET, { host: `10.0.${i >> 8}.${i & 255}`, port: 38333, type: 'ipv4' }, null)
  const pending = store.checkpoint()
  store.recordDiscovered(NET, A, null) // while the write is under way
  const figures = await pending
  assert.ok(figures.blockedMs > 0)
  assert.ok(store.maxBlockedMs >= figures.blockedMs)
  assert.ok(figures.bytes > 5000 * 100)
  await store.close()
  const reread = await openStore(path, { mode: 'read' })
  assert.equal(reread.peers(NET).length, 5001)
  assert.ok(reread.get(NET, A) !== undefined)
})

test('startAutoCheckpoint writes changes without close', async () => {
  const path = tempStorePath()
  const store = await openStore(path, { mode: 'write' })
  store.startAutoCheckpoint(20)
  store.recordDiscovered(NET, A, null)
  const journal = join(`${path}.d`, NET, 'journal.jsonl')
  const text = (): string => existsSync(journal) ? readFileSync(journal, 'utf8') : ''
  await waitFor(() => text().includes('192.0.2.10'), { what: 'an automatic checkpoint with the record', timeoutMs: 30_000 })
  assert.match(text(), /192\.0\.2\.10/)
  await store.close()
})

test('a peer-supplied string with JSON-like text round-trips', async () => {
  const path = tempStorePath()
  const store = await openStore(path, { mode: 'write' })
  const userAgent = '/evil:1.0/},{"x":"\n\u0000"'
  store.recordResult(NET, ok(A, { peer: { userAgent } }))
  await store.close()
  assert.equal((await openStore(path, { mode: 'read' })).get(NET, A)?.userAgent, userAgent)
})

// A child process writes checkpoints in a loop and is killed with SIGKILL mid-write; the store
// must be the last complete checkpoint, and the next writer takes over the stale lock. Which
// write is torn and how long after it paused the kill comes are seeded; the store's write hook
// (src/store/write-hook.ts) holds that write open half-way and traces every write, so the
// kill provably lands mid-write.
test('SIGKILL during a checkpoint leaves the previous complete checkpoint', async () => {
  const seed = testSeed('store SIGKILL mid-checkpoint')
  const random = seededRandom(seed)
  // Write #1 is at open, #2 the first full checkpoint (before "ready"); the loop's are #3 on.
  const nth = 3 + Math.floor(random() * 3)
  const afterPauseMs = Math.floor(random() * 200)
  const path = tempStorePath()
  const traceFile = join(mkdtempSync(join(tmpdir(), 'peers-store-trace-')), 'writes.trace')
  const storeModule = new URL('../src/store/store.ts', import.meta.url).href
  const script = `
    const { openStore } = await import(${JSON.stringify(storeModule)})
    const store = await openStore(${JSON.stringify(path)}, { mode: 'write' })
    for (let i = 0; i < 60000; i++) store.recordDiscovered('signet', { host: '10.1.' + (i >> 8 & 255) + '.' + (i & 255), port: i >> 16 || 1, type: 'ipv4' }, null)
    await store.checkpoint()
    process.stdout.write('ready\\n')
    for (let round = 0; ; round++) {
      for (let i = 0; i < 60000; i++) store.recordResult('signet', { endpoint: { host: '10.1.' + (i >> 8 & 255) + '.' + (i & 255), port: i >> 16 || 1, type: 'ipv4' }, ok: false, reason: 'refused', learned: [], addressesReceived: 0 })
      await store.checkpoint()
    }
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, PEERS_TEST_STORE_WRITE_TRACE: traceFile, PEERS_TEST_STORE_WRITE_PAUSE: String(nth) }
  })
  let exited = false
  child.on('exit', () => { exited = true })
  const trace = (): string[] => existsSync(traceFile) ? readFileSync(traceFile, 'utf8').trim().split('\n') : []
  await waitFor(() => exited || trace().includes(`paused ${child.pid} ${nth}`), { what: `checkpoint #${nth} to pause half-way`, timeoutMs: 120_000 })
  assert.equal(exited, false, `the writer exited before write #${nth} paused: does the store's write path call storeWriteHook (src/store/write-hook.ts)?`)
  await new Promise((resolve) => setTimeout(resolve, afterPauseMs))
  child.kill('SIGKILL')
  await once(child, 'exit')
  const lines = trace()
  assert.ok(lines.includes(`begin ${child.pid} ${nth}`) && !lines.includes(`end ${child.pid} ${nth}`), `the kill landed mid-write #${nth}: ${lines.join(' | ')}`)
  assert.ok(lines.includes(`end ${child.pid} ${nth - 1}`), 'the write before it completed')
  console.log(`# store SIGKILL: landed mid-write (checkpoint #${nth} torn, ${afterPauseMs} ms after it paused)`)

  const log = recordingLogger()
  const store = await openStore(path, { mode: 'write', log })
  assert.equal(store.peers(NET).length, 60000)
  const counts = new Set(store.peers(NET).map((p) => p.failures))
  assert.equal(counts.size, 1, `one checkpoint's records, not a mix: ${[...counts].join(', ')}`)
  // Checkpoint #n−1 was the (n−3)-th round of the loop: each round adds one failure.
  assert.deepEqual([...counts], [nth - 3], 'the last complete checkpoint, not an older one')
  assert.match(log.warnings.join('\n'), /taking over stale lock/)
  await store.close()
  assert.deepEqual(readdirSync(join(path, '..')), ['peers.json', 'peers.json.d'], 'the dead writer\'s temp file and lock are gone')
  assert.deepEqual(readdirSync(join(`${path}.d`, NET)).filter((n) => n.endsWith('.tmp')), [], 'no temp state left')
})

test('close() twice is harmless; a closed store refuses checkpoints', async () => {
  const store: PeerStore = await openStore(tempStorePath(), { mode: 'write' })
  await store.close()
  await store.close()
  await rejectsWith(store.checkpoint(), 'PEERS_STORE_IO', /closed/)
})
