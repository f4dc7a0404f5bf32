// `peers crawl` end to end: the CLI in a child process against a simulated Bitcoin network
// on loopback addresses this test starts.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Simnet } from '../adapters/bitcoin/simnet/index.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import { openStore } from '../src/store/store.js'
import { isReachable } from '../src/store/types.js'
import { runCli, startCli, type CliOptions, type CliOutcome } from './helpers/cli.js'
import { waitFor } from './helpers/wait.js'

const LOOPBACK = ['--allow-cidr', '127.0.0.0/8', '--only-cidr', '127.0.0.0/8']

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'peers-crawl-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

test('crawls a simulated network: the store holds exactly the reachable nodes, JSON on stdout, logs on stderr', async () => {
  const simnet = new Simnet({ nodes: 40, refused: 3, silent: 2, wrongNetwork: 2, closeImmediately: 2, basePort: 0, seed: 11, knownPerNode: 60, seedCount: 2 })
  await simnet.start()
  try {
    const db = join(dir, 'full.json')
    const out = join(dir, 'out')
    const seeds = simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)])
    const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', ...seeds, ...LOOPBACK, '--db', db, '--out', out,
      // Generous upper bounds: an honest simulated peer answers in milliseconds, even on a busy machine.
      '--handshake-timeout', '5000', '--getaddr-timeout', '5000', '--retries', '0', '--log-level', 'debug', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const summary = JSON.parse(r.stdout) as Record<string, unknown>
    const truth = simnet.truth().map(formatEndpoint).sort()
    assert.equal(summary.reachable, truth.length)
    assert.equal(summary.network, 'regtest')
    assert.equal(summary.interrupted, false)
    assert.equal(summary.untried, 0)
    assert.equal(summary.tried, summary.discovered, 'every discovered loopback address was dialed')

    const store = await openStore(db, { mode: 'read' })
    const reachable = store.peers('regtest').filter(isReachable).map(formatEndpoint).sort()
    assert.deepEqual(reachable, truth)
    const expectedFailure: Record<string, string> = { silent: 'handshake-timeout', 'wrong-network': 'wrong-network', 'close-immediately': 'closed', refused: 'refused' }
    let failing = 0
    for (const [kind, reason] of Object.entries(expectedFailure)) {
      for (const e of simnet.endpointsOf(kind)) {
        const record = store.get('regtest', e)
        if (record === undefined) continue // nobody advertised it
        failing++
        assert.equal(record.lastFailure, reason, `${kind} node ${formatEndpoint(e)}`)
      }
    }
    assert.ok(failing > 0, 'some failing nodes were discovered and dialed')
    assert.equal(store.runs('regtest').at(-1)?.status, 'finished')

    assert.match(r.stderr, /DEBUG peers\] starting handshake with 127\./)
    assert.match(r.stderr, /INFO peers\] successful handshake with 127\./)
    assert.match(r.stderr, /DEBUG peers\] new peer discovered @ 127\./)
    const exported = (await readFile(summary.export as string, 'utf8')).trim().split('\n').map((l) => l.split(' / ')[0]).sort()
    assert.deepEqual(exported, truth)
  } finally {
    await simnet.stop()
  }
})

test('bad flags: one line on stderr, exit 2, nothing dialed', async () => {
  const db = join(dir, 'never.json')
  const cases: Array<[string[], RegExp]> = [
    [['--concurrency', 'abc'], /--concurrency 'abc' is not valid: expected an integer 1-100000/],
    [['--duration', '-1'], /--duration '-1' is not valid: expected a number/],
    // Plain decimals only: Number() alone would take these.
    [['--concurrency', '0x10'], /--concurrency '0x10' is not valid/],
    [['--connect-timeout', '1e3'], /--connect-timeout '1e3' is not valid/],
    // Longer than a Node timer can wait: it would fire after 1 ms.
    [['--duration', '3000000'], /--duration '3000000' is not valid: expected a number 0\.001-2147483/],
    [['--getaddr-timeout', '3000000000'], /--getaddr-timeout '3000000000' is not valid/],
    [['--allow-cidr', '10.0.0.0/33'], /--allow-cidr '10\.0\.0\.0\/33' has an invalid prefix length/],
    [['--seed', '127.1.0.1:18444'], /--seed 127\.1\.0\.1:18444 is non-routable \(127\.0\.0\.0\/8, loopback\): pass --allow-cidr 127\.0\.0\.0\/8/],
    [['--net', 'nope'], /unknown network 'nope' for bitcoin/]
  ]
  for (const [args, message] of cases) {
    const net = args.includes('--net') ? [] : ['--net', 'regtest']
    const r = await runCli(['crawl', 'bitcoin', ...net, ...args, '--db', db])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, message)
    assert.equal(r.stdout, '')
  }
  const unknown = await runCli(['crawl', 'dogecoin'])
  assert.equal(unknown.code, 2)
  assert.equal(unknown.stderr.trimEnd().split('\n').length, 1, unknown.stderr)
})

test('Ctrl-C: stops, saves, exports and exits 0; a second Ctrl-C exits 130 leaving a readable store', async () => {
  // Answers to getaddr are held back ~1 min, so sessions are in flight when the signal comes.
  const simnet = new Simnet({ nodes: 20, basePort: 0, seed: 3, knownPerNode: 30, seedCount: 5, getaddrDelayMeanMs: 60_000 })
  await simnet.start()
  try {
    const seeds = simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)])
    const db = join(dir, 'sigint.json')
    const args = ['crawl', 'bitcoin', '--net', 'regtest', ...seeds, ...LOOPBACK, '--db', db, '--out', join(dir, 'out-sigint'), '--json']
    // Signal once the five seed sessions are past their handshakes (each seed node got our pong
    // to the ping it sends after the handshake) and waiting for the held-back answers.
    const interruptAfterHandshakes = async (onStderr?: CliOptions['onStderr']): Promise<CliOutcome> => {
      const base = simnet.stats.pongs
      const run = startCli(args, { onStderr })
      await waitFor(() => simnet.stats.pongs >= base + 5 || run.child.exitCode !== null, { what: 'five handshakes', timeoutMs: 60_000 })
      run.child.kill('SIGINT')
      return await run.done
    }
    const first = await interruptAfterHandshakes()
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stderr, /SIGINT: stopping/)
    const summary = JSON.parse(first.stdout) as Record<string, unknown>
    assert.equal(summary.interrupted, true)
    // Aborted after the handshake, a session still counts as reachable.
    assert.equal(summary.reachable, 5)
    const store = await openStore(db, { mode: 'read' })
    assert.equal(store.runs('regtest').at(-1)?.status, 'interrupted')
    assert.equal(store.peers('regtest').filter(isReachable).length, summary.reachable)
    assert.ok(summary.export !== null)

    let again = false
    const second = await interruptAfterHandshakes((text, child) => {
      if (!again && /SIGINT: stopping/.test(text)) {
        again = true
        child.kill('SIGINT')
      }
    })
    assert.equal(second.code, 130, second.stderr)
    assert.match(second.stderr, /SIGINT again: exiting now/)
    assert.equal(existsSync(`${db}.lock`), false, 'exiting at once still releases the lock')
    const reopened = await openStore(db, { mode: 'read' })
    assert.ok(reopened.peers('regtest').length > 0)
  } finally {
    await simnet.stop()
  }
})

test('--continuous revisits reachable peers on --revisit-interval until --duration ends', async () => {
  const simnet = new Simnet({ nodes: 5, basePort: 0, seed: 12, knownPerNode: 60 })
  await simnet.start()
  try {
    const db = join(dir, 'continuous.json')
    const seeds = simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)])
    const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', ...seeds, ...LOOPBACK, '--db', db, '--no-export',
      '--getaddr-timeout', '300', '--continuous', '--revisit-interval', '1', '--duration', '5', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const summary = JSON.parse(r.stdout) as Record<string, unknown>
    assert.equal(summary.stoppedBy, 'duration')
    const store = await openStore(db, { mode: 'read' })
    const truth = simnet.truth().map(formatEndpoint).sort()
    const records = store.peers('regtest').filter(isReachable)
    assert.deepEqual(records.map(formatEndpoint).sort(), truth)
    // Visited at about 0 s, then every second after each visit ends: at least three visits in
    // 5 s (the third comes at about 2 s; the rest is slack for a busy machine).
    for (const p of records) assert.ok(p.successes >= 3, `${formatEndpoint(p)} visited ${p.successes} times`)
    assert.ok((summary.sessions as number) >= 3 * truth.length)
  } finally {
    await simnet.stop()
  }
})

test('--revisit-interval must be a positive number', async () => {
  const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', '--seed', '127.0.0.1:1', ...LOOPBACK, '--continuous', '--revisit-interval', 'soon'])
  assert.equal(r.code, 2)
  assert.equal(r.stderr.trim().split('\n').length, 1)
  assert.match(r.stderr, /--revisit-interval 'soon' is not valid/)
})

test('a few thousand nodes: the crawl finds exactly the reachable ones', async () => {
  const simnet = new Simnet({ nodes: 2000, refused: 300, silent: 10, wrongNetwork: 10, closeImmediately: 10, basePort: 0, seed: 21 })
  await simnet.start()
  try {
    const db = join(dir, 'thousands.json')
    const seeds = simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)])
    const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', ...seeds, ...LOOPBACK, '--db', db, '--no-export',
      // An upper bound: on a busy machine the simulator's 2,000 nodes answer slowly, but they answer.
      '--handshake-timeout', '8000', '--concurrency', '500', '--retries', '0', '--quiet', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const truth = simnet.truth().map(formatEndpoint).sort()
    assert.ok(truth.length >= 2000)
    const store = await openStore(db, { mode: 'read' })
    assert.deepEqual(store.peers('regtest').filter(isReachable).map(formatEndpoint).sort(), truth)
    assert.equal((JSON.parse(r.stdout) as { reachable: number }).reachable, truth.length)
  } finally {
    await simnet.stop()
  }
})
