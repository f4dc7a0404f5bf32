// Crash safety of `peers crawl` and its store: a real crawl (the CLI in a child process)
// killed with SIGKILL at random moments, again and again on the same store; a second
// crawl on a store in use; a corrupt or truncated store.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { StoreError } from '../src/errors.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import { isLockHeld, readLockHolder } from '../src/store/lock.js'
import { openStore } from '../src/store/store.js'
import { isReachable, type PeerStore } from '../src/store/types.js'
import { Simnet } from '../adapters/bitcoin/simnet/index.js'
import { seededRandom } from '../adapters/bitcoin/simnet/random.js'
import { startCli, type CliOutcome } from './helpers/cli.js'
import { testSeed, waitFor } from './helpers/wait.js'

process.env.PEERS_LOOPBACK_ONLY = '1'

const NET = 'regtest'
/**
 * Kills, by what triggers them: during start-up (a random time after the spawn: deaths while
 * opening the store, taking the lock, or early in the crawl); mid store-write (the store's
 * write hook, src/store/write-hook.ts, pauses the n-th write half-way and says so: the kill
 * provably tears a write); during the crawl (after the k-th logged handshake, so it cannot
 * have finished). Which kill gets which trigger, the delays and n and k come from the seed.
 */
const STARTUP_KILLS = 5
const MID_WRITE_KILLS = 5
const CRAWL_KILLS = 10
const KILLS = STARTUP_KILLS + MID_WRITE_KILLS + CRAWL_KILLS
const STARTUP_WINDOW_MS: [number, number] = [50, 2000]
const CHECKPOINT_S = 1
/** Beyond the checkpoint interval: the write itself (with fsync) and a busy machine's scheduling (an upper bound). */
const CHECKPOINT_SLACK_MS = 2000
const SEED = testSeed('crash test kill plan')

// Slow getaddr answers (an exponential delay per node, mean 1 s) keep each crawl going for several seconds.
const simnet = new Simnet({ nodes: 60, getaddrDelayMeanMs: 1000, knownPerNode: 60, basePort: 0, seed: 9 })

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peers-crash-'))
  await simnet.start()
})
after(async () => {
  await simnet.stop()
  await rm(dir, { recursive: true, force: true })
})

interface Crawl {
  child: ChildProcess
  /** Peers the crawl logged as reachable, with when the line reached us (performance.now()). */
  handshakes: Array<{ endpoint: string, at: number }>
  /** Resolves when the crawl logs that it starts dialing (or exits first). */
  dialing: Promise<void>
  done: Promise<CliOutcome>
}

function crawlArgs (db: string, extra: string[] = []): string[] {
  return ['crawl', 'bitcoin', '--net', NET, ...simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)]),
    '--allow-cidr', '127.0.0.0/8', '--only-cidr', '127.0.0.0/8', '--db', db, '--out', join(dir, 'out'), '--no-export',
    '--retries', '0', '--handshake-timeout', '10000', '--getaddr-timeout', '8000', '--checkpoint-interval', String(CHECKPOINT_S), ...extra]
}

function start (args: string[], env: Record<string, string> = {}): Crawl {
  const handshakes: Crawl['handshakes'] = []
  let startedDialing = (): void => {}
  const dialing = new Promise<void>((resolve) => { startedDialing = resolve })
  let scanned = 0 // stderr before this offset has been read, whole lines only
  const run = startCli(args, {
    env,
    onStderr: (stderr) => {
      const end = stderr.lastIndexOf('\n') + 1
      for (const line of stderr.slice(scanned, end).split('\n')) {
        if (/ crawling bitcoin /.test(line)) startedDialing()
        const m = /successful handshake with (\S+) /.exec(line)
        if (m !== null) handshakes.push({ endpoint: m[1], at: performance.now() })
      }
      scanned = Math.max(scanned, end)
    }
  })
  run.done.then(startedDialing, startedDialing)
  return { child: run.child, handshakes, dialing, done: run.done }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The write hook's trace of one process: its writes begun, paused and made durable. */
function writesOf (traceFile: string, pid: number | undefined): { begun: Set<number>, paused: Set<number>, ended: Set<number> } {
  const w = { begun: new Set<number>(), paused: new Set<number>(), ended: new Set<number>() }
  const text = existsSync(traceFile) ? readFileSync(traceFile, 'utf8') : ''
  for (const line of text.split('\n')) {
    const [what, p, n] = line.split(' ')
    if (Number(p) !== pid) continue
    if (what === 'begin') w.begun.add(Number(n))
    else if (what === 'paused') w.paused.add(Number(n))
    else if (what === 'end') w.ended.add(Number(n))
  }
  return w
}

/** The store as a reader sees it; undefined when the crawl died before creating it. */
async function load (db: string): Promise<PeerStore | undefined> {
  if (!existsSync(db)) return undefined
  return await openStore(db, { mode: 'read' })
}

function reachableSet (store: PeerStore | undefined): Set<string> {
  return new Set((store?.peers(NET) ?? []).filter(isReachable).map(formatEndpoint))
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs (start-up, mid store-write, mid-crawl); the next crawl takes over; a last crawl finds exactly the truth`, async () => {
    const db = join(dir, 'killed.json')
    const traceFile = join(dir, 'store-writes.trace')
    const random = seededRandom(SEED)
    const plan: Array<'startup' | 'mid-write' | 'crawl'> = [
      ...Array<'startup'>(STARTUP_KILLS).fill('startup'),
      ...Array<'mid-write'>(MID_WRITE_KILLS).fill('mid-write'),
      ...Array<'crawl'>(CRAWL_KILLS).fill('crawl')
    ]
    for (let i = plan.length - 1; i > STARTUP_KILLS; i--) { // the first kills stay start-up ones (an empty store); the rest shuffled
      const j = STARTUP_KILLS + Math.floor(random() * (i - STARTUP_KILLS + 1));
      [plan[i], plan[j]] = [plan[j], plan[i]]
    }
    let previous = new Set<string>()
    let previousRecords = 0
    let lockWasLeft = false
    const killed: number[] = []
    const tally = { landed: 0, duringCrawl: 0, midWrite: 0, forcedMidWrite: 0 }
    for (const [k, trigger] of plan.entries()) {
      // Start-up: a delay after the spawn. Mid-write: the n-th store write (the first is at open). Crawl: the k-th handshake.
      const delayMs = STARTUP_WINDOW_MS[0] + random() * (STARTUP_WINDOW_MS[1] - STARTUP_WINDOW_MS[0])
      const nthWrite = 2 + Math.floor(random() * 3)
      const nthHandshake = 1 + Math.floor(random() * 40)
      const what = trigger === 'startup' ? `${Math.round(delayMs)} ms after the spawn` : trigger === 'mid-write' ? `mid store-write #${nthWrite}` : `after handshake #${nthHandshake}`
      const where = `kill ${k + 1} (${what}; PEERS_TEST_SEED=${SEED})`
      const crawl = start(crawlArgs(db), { PEERS_TEST_STORE_WRITE_TRACE: traceFile, ...(trigger === 'mid-write' ? { PEERS_TEST_STORE_WRITE_PAUSE: String(nthWrite) } : {}) })
      let exited = false
      void crawl.done.then(() => { exited = true })
      if (trigger === 'startup') {
        await sleep(delayMs)
      } else if (trigger === 'mid-write') {
        await waitFor(() => exited || writesOf(traceFile, crawl.child.pid).paused.has(nthWrite), { what: `${where}: the store write hook to pause`, timeoutMs: 60_000 })
        if (exited) {
          const early = await crawl.done
          assert.fail(`${where}: the crawl ended (exit ${early.code}) before its write #${nthWrite} paused: does the store's write path call storeWriteHook (src/store/write-hook.ts)? ${early.stderr.trim().split('\n').slice(-5).join(' | ')}`)
        }
      } else {
        await waitFor(() => exited || crawl.handshakes.length >= nthHandshake, { what: `${where}: handshake #${nthHandshake}`, timeoutMs: 60_000 })
        if (exited) {
          const early = await crawl.done
          assert.fail(`${where}: the crawl ended (exit ${early.code}) after ${crawl.handshakes.length} handshakes, before ${nthHandshake}: ${early.stderr.trim().split('\n').slice(-5).join(' | ')}`)
        }
      }
      crawl.child.kill('SIGKILL')
      const killedAt = performance.now()
      const outcome = await crawl.done
      if (outcome.signal !== 'SIGKILL') {
        // It finished first (a start-up kill only): then it must have finished cleanly.
        assert.equal(outcome.code, 0, `${where}: ${outcome.stderr}`)
      } else {
        tally.landed++
        if (/ crawling bitcoin /.test(outcome.stderr)) tally.duringCrawl++
        const writes = writesOf(traceFile, crawl.child.pid)
        const torn = [...writes.begun].filter((n) => !writes.ended.has(n))
        if (torn.length > 0) tally.midWrite++
        if (trigger === 'mid-write') {
          assert.deepEqual(torn, [nthWrite], `${where}: the kill did not land in the paused write`)
          tally.forcedMidWrite++
        }
      }
      if (trigger !== 'startup') assert.equal(outcome.signal, 'SIGKILL', `${where}: the crawl was not killed mid-crawl`)
      if (lockWasLeft && outcome.stderr.includes('crawling')) {
        assert.match(outcome.stderr, /taking over stale lock/, `${where}: a lock left by a killed crawl was not taken over`)
      }

      // The lock, if the crawl got that far, names a dead process: stale, not held.
      const holder = readLockHolder(db)
      lockWasLeft = holder !== undefined
      if (crawl.child.pid !== undefined) killed.push(crawl.child.pid)
      if (holder !== undefined) {
        // This crawl's, or an earlier one's when this one died before taking it over.
        assert.ok(killed.includes(holder.pid), `${where}: the lock names pid ${holder.pid}, not a crawl of this test`)
        assert.equal(isLockHeld(db), false, `${where}: a dead crawl's lock counts as held`)
      }

      // The store loads; nothing saved before is lost; whatever the crawl logged more than one
      // checkpoint interval before its death is on disk.
      const store = await load(db)
      const reachable = reachableSet(store)
      for (const endpoint of previous) assert.ok(reachable.has(endpoint), `${where}: ${endpoint} was reachable before and is lost`)
      const settled = crawl.handshakes.filter((h) => h.at < killedAt - CHECKPOINT_S * 1000 - CHECKPOINT_SLACK_MS)
      for (const h of settled) assert.ok(reachable.has(h.endpoint), `${where}: ${h.endpoint}, logged ${Math.round(killedAt - h.at)} ms before the kill, is not in the store`)
      const records = store?.peers(NET).length ?? 0
      assert.ok(records >= previousRecords, `${where}: the store shrank from ${previousRecords} to ${records} records`)
      for (const run of store?.runs() ?? []) assert.notEqual(run.status, 'running', `${where}: a dead crawl's run still shows as running`)
      previous = reachable
      previousRecords = records
    }

    console.log(`# crash test: ${KILLS} SIGKILLs sent, ${tally.landed} landed (killed the crawl), ${tally.duringCrawl} during the crawl (after its first dial), ${tally.midWrite} mid store-write (${tally.forcedMidWrite} forced by the write hook)`)
    assert.ok(tally.duringCrawl >= MID_WRITE_KILLS + CRAWL_KILLS, `only ${tally.duringCrawl} kills landed during a crawl`)
    assert.equal(tally.forcedMidWrite, MID_WRITE_KILLS, 'every forced mid-write kill tore a write')
    assert.ok(tally.midWrite >= MID_WRITE_KILLS)

    const last = start([...crawlArgs(db), '--json'])
    const outcome = await last.done
    assert.equal(outcome.code, 0, outcome.stderr)
    const summary = JSON.parse(outcome.stdout) as { reachable: number, interrupted: boolean }
    const truth = simnet.truth().map(formatEndpoint).sort()
    assert.equal(summary.interrupted, false)
    assert.equal(summary.reachable, truth.length)
    assert.deepEqual([...reachableSet(await load(db))].sort(), truth)
    assert.equal(readLockHolder(db), undefined, 'a finished crawl left its lock')
  })

  it('a second crawl on a store in use refuses with one line and a non-zero exit', async () => {
    const db = join(dir, 'busy.json')
    // --continuous: it holds the store until killed, however long the second crawl takes to start.
    const first = start(crawlArgs(db, ['--continuous']))
    try {
      await waitFor(() => readLockHolder(db) !== undefined, { what: 'the first crawl to take the lock', timeoutMs: 60_000 })
      const second = await start(crawlArgs(db)).done
      assert.notEqual(second.code, 0)
      const lines = second.stderr.trim().split('\n')
      assert.equal(lines.length, 1, `expected one line, got:\n${second.stderr}`)
      assert.match(lines[0], /PEERS_STORE_LOCKED/)
      assert.match(lines[0], new RegExp(`in use by pid ${first.child.pid}`))
    } finally {
      first.child.kill('SIGKILL')
      await first.done
    }
  })

  for (const [name, make] of [
    ['truncated', (valid: string) => valid.slice(0, Math.floor(valid.length / 2))],
    ['empty', () => ''],
    ['not JSON', () => '\u0000\u0001garbage{{{'],
    ['of an unknown schema', (valid: string) => valid.replace(/"schema":\s*\d+/, '"schema":999')]
  ] as const) {
    it(`a ${name} store: one clear line, non-zero exit, the file byte-for-byte unchanged`, async () => {
      const source = join(dir, 'killed.json')
      const valid = existsSync(source) ? await readFile(source, 'utf8') : '{"schema":1,"peers":{"regtest":[]},"runs":[]}\n'
      const db = join(dir, `corrupt-${name.replace(/\W+/g, '-')}.json`)
      const bytes = Buffer.from(make(valid), 'utf8')
      await writeFile(db, bytes)

      const crawl = await start(crawlArgs(db)).done
      assert.notEqual(crawl.code, 0)
      const lines = crawl.stderr.trim().split('\n')
      assert.equal(lines.length, 1, `expected one line, got:\n${crawl.stderr}`)
      // A newer schema is not corrupt: it is refused as such (docs/design.md §2.5).
      const code = name === 'of an unknown schema' ? 'PEERS_STORE_VERSION' : 'PEERS_STORE_CORRUPT'
      assert.match(lines[0], new RegExp(code))
      assert.ok(lines[0].includes(db), 'the message does not name the file')
      assert.deepEqual(await readFile(db), bytes, 'the corrupt store was modified')
      assert.equal(readLockHolder(db), undefined, 'the failed crawl left its lock')
      await assert.rejects(openStore(db, { mode: 'read' }), (err: unknown) => err instanceof StoreError && err.code === code)
      assert.deepEqual(await readFile(db), bytes)
    })
  }
})
