// `peers check` through the CLI against simulated peers: one case per way a node can fail,
// each with its reason code, exit code and the cause a node operator reads. The expected
// reasons come from the fixtures' definitions (adapters/bitcoin/simnet/node.ts behaviours,
// hostile.ts HOSTILE_VERDICTS), not from the command's own code.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Simnet } from '../adapters/bitcoin/simnet/index.js'
import { HOSTILE_VERDICTS, hostileBehaviour, hostileUserAgent } from './fixtures/bitcoin/hostile.js'
import { openStore } from '../src/store/store.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import type { CheckStep } from '../src/cli/check-report.js'
import type { CheckResult } from '../src/commands/check.js'
import { runCli, type CliOutcome } from './helpers/cli.js'
import { startBlackHole, type BlackHole } from './helpers/black-hole.js'

const simnet = new Simnet({
  nodes: 2,
  refused: 1,
  silent: 1,
  wrongNetwork: 1,
  closeImmediately: 1,
  custom: [{ count: 1, behaviour: hostileBehaviour('bad-checksum') }, { count: 1, behaviour: hostileBehaviour('nonsense-version') }],
  basePort: 0,
  seed: 5
})
let hole: BlackHole
let work: string

const TIMEOUTS = ['--connect-timeout', '1500', '--handshake-timeout', '1500', '--getaddr-timeout', '3000']

function target (kind: string): string {
  const [e] = simnet.endpointsOf(kind)
  assert.ok(e !== undefined, `no ${kind} node`)
  return formatEndpoint(e)
}

async function check (where: string, extra: string[] = []): Promise<CliOutcome & { json: CheckResult }> {
  const out = await runCli(['check', where, '--net', 'regtest', '--allow-cidr', '127.0.0.0/8', ...TIMEOUTS, '--db', join(work, 'none.json'), '--json', ...extra])
  let json: CheckResult
  try {
    json = JSON.parse(out.stdout) as CheckResult
  } catch {
    assert.fail(`no JSON on stdout (exit ${out.code}): ${out.stdout} ${out.stderr}`)
  }
  return { ...out, json }
}

function stepNamed (json: CheckResult, name: string): CheckStep & { facts: Record<string, unknown> } {
  const s = json.steps.find((x) => x.name === name)
  assert.ok(s !== undefined, `no ${name} step in ${JSON.stringify(json.steps)}`)
  return { ...s, facts: s.facts ?? {} }
}

describe('peers check', { timeout: 300_000, concurrency: 2 }, () => {
  before(async () => {
    await simnet.start()
    hole = await startBlackHole()
    work = await mkdtemp(join(tmpdir(), 'peers-check-'))
  })
  after(async () => {
    hole?.close()
    await simnet.stop()
    await rm(work, { recursive: true, force: true })
  })

  it('reachable: every step ok with its timing, exit 0, and the stored history when the store knows the node', async () => {
    const [honest] = simnet.endpointsOf('honest')
    const db = join(work, 'peers.json')
    const store = await openStore(db, { mode: 'write' })
    store.recordResult('regtest', { endpoint: honest, ok: true, learned: [], addressesReceived: 0 })
    store.recordResult('regtest', { endpoint: honest, ok: false, reason: 'connect-timeout', learned: [], addressesReceived: 0 })
    await store.close()

    const out = await runCli(['check', formatEndpoint(honest), '--net', 'regtest', '--allow-cidr', '127.0.0.0/8', ...TIMEOUTS, '--db', db, '--json'])
    assert.equal(out.code, 0, out.stderr)
    const json = JSON.parse(out.stdout) as CheckResult
    assert.equal(json.reachable, true)
    assert.equal(json.reason, undefined)
    assert.deepEqual(json.steps.map((s) => s.name), ['policy', 'connect', 'version', 'verack', 'ping', 'addresses'])
    for (const s of json.steps) {
      assert.equal(s.status, 'ok', JSON.stringify(s))
      assert.ok(Number.isInteger(s.ms) && s.ms >= 0 && Number.isInteger(s.atMs), JSON.stringify(s))
    }
    const version = stepNamed(json, 'version')
    // The simnet's Core-like node: node.ts CORE_DEFAULTS and CORE_SERVICES (0x409).
    assert.equal(version.facts.userAgent, '/Satoshi:28.1.0/')
    assert.equal(version.facts.protocolVersion, 70016)
    assert.deepEqual(version.facts.serviceNames, ['NETWORK', 'WITNESS', 'NETWORK_LIMITED'])
    assert.ok((json.answer?.entries ?? 0) > 0)
    assert.ok(Number.isInteger(json.times.connectMs) && Number.isInteger(json.times.handshakeMs) && Number.isInteger(json.times.pingMs))
    assert.equal(json.store?.successes, 1)
    assert.equal(json.store?.failures, 1)
    assert.equal(json.store?.lastFailure, 'connect-timeout')
    // The two sessions recorded above, from the store's history day files, oldest first.
    assert.deepEqual(json.store?.recent?.map((o) => o.outcome), ['up', 'connect-timeout'])
  })

  it('human output: one line per step, then the verdict, cause and advice', async () => {
    const out = await runCli(['check', target('refused'), '--net', 'regtest', '--allow-cidr', '127.0.0.0/8', ...TIMEOUTS, '--db', join(work, 'none.json')])
    assert.equal(out.code, 1, out.stderr)
    const lines = out.stdout.trimEnd().split('\n')
    assert.match(lines[1], /^ {2}ok {4}policy/)
    assert.match(lines[2], /^ {2}FAIL {2}connect .*refused/)
    assert.match(lines.at(-3) ?? '', /^verdict: NOT REACHABLE \[refused\] 127\./)
    assert.match(lines.at(-2) ?? '', /^cause: {3}nothing listens on port \d+/)
    assert.match(lines.at(-1) ?? '', /^try: {5}/)
  })

  const failures: Array<{ name: string, where: () => string, reason: string, step: string, cause: RegExp }> = [
    { name: 'refused', where: () => target('refused'), reason: 'refused', step: 'connect', cause: /nothing listens on port/ },
    { name: 'black-holed', where: () => `${hole.host}:${hole.port}`, reason: 'connect-timeout', step: 'connect', cause: /no answer to the connection attempt within 1500 ms: a firewall drops it/ },
    { name: 'wrong network', where: () => target('wrong-network'), reason: 'wrong-network', step: 'version', cause: /speaks Bitcoin mainnet \(message start f9beb4d9\), not regtest/ },
    { name: 'silent', where: () => target('silent'), reason: 'handshake-timeout', step: 'version', cause: /never said a word/ },
    { name: 'closes at once', where: () => target('close-immediately'), reason: 'closed', step: 'version', cause: /closed it at once/ },
    { name: 'old version', where: () => target('nonsense-version'), reason: HOSTILE_VERDICTS['nonsense-version'], step: 'version', cause: /protocol version 0 is older than 31800/ },
    { name: 'bad checksum', where: () => target('bad-checksum'), reason: HOSTILE_VERDICTS['bad-checksum'], step: 'version', cause: /every message failed its checksum \(2 of 2\)/ }
  ]
  for (const c of failures) {
    it(`${c.name}: [${c.reason}], exit 1, the cause in plain words and what to try`, async () => {
      const out = await check(c.where())
      assert.equal(out.code, 1, out.stderr)
      assert.equal(out.json.reachable, false)
      assert.equal(out.json.reason, c.reason)
      assert.match(out.json.cause ?? '', c.cause)
      assert.ok(typeof out.json.advice === 'string' && out.json.advice.length > 0)
      const failed = out.json.steps.filter((s) => s.status === 'failed')
      assert.deepEqual(failed.map((s) => s.name), [c.step])
    })
  }

  it('old version: the version step still reports what the peer said', async () => {
    const out = await check(target('nonsense-version'))
    const v = stepNamed(out.json, 'version')
    assert.equal(v.facts.userAgent, hostileUserAgent('nonsense-version'))
    assert.equal(v.facts.protocolVersion, 0)
  })

  it('a non-routable address without --allow-cidr: the policy step names the flag', async () => {
    const out = await runCli(['check', target('honest'), '--net', 'regtest', '--db', join(work, 'none.json'), '--json'])
    assert.equal(out.code, 1, out.stderr)
    const json = JSON.parse(out.stdout) as CheckResult
    assert.equal(json.reason, 'non-routable')
    assert.equal(json.advice, 'pass --allow-cidr 127.0.0.0/8 to check it')
    assert.equal(json.steps.length, 1)
  })

  it('a host name is resolved first (here the test guard forbids DNS: the resolve step fails)', async () => {
    const out = await check('node.example.invalid:18444')
    assert.equal(out.code, 1)
    assert.equal(out.json.reason, 'name-not-resolved')
    assert.match(stepNamed(out.json, 'resolve').text, /forbids DNS/)
  })

  it('an adapter without diagnosis steps (AVAX) says so in one line', async () => {
    const out = await runCli(['check', '127.0.0.1:9651', '--net', 'avax-fuji', '--allow-cidr', '127.0.0.0/8'])
    assert.equal(out.code, 1)
    assert.equal(out.stdout, '')
    assert.equal(out.stderr, 'peers: [PEERS_NOT_IMPLEMENTED] the avax adapter cannot diagnose a peer yet (it has no diagnosis steps)\n')
  })

  const usage: Array<[string, string[], RegExp]> = [
    ['malformed host', ['check', 'no_such host!'], /is not a valid host/],
    ['port out of range', ['check', '127.0.0.1:70000', '--net', 'regtest'], /invalid port: expected 1-65535/],
    ['unknown network', ['check', '127.0.0.1', '--net', 'moonnet'], /unknown network 'moonnet'/],
    ['onion without a proxy', ['check', 'vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:8333'], /needs a Tor proxy/]
  ]
  for (const [name, args, message] of usage) {
    it(`bad usage, ${name}: one line, exit 2`, async () => {
      const out = await runCli(args)
      assert.equal(out.code, 2, out.stderr)
      assert.equal(out.stdout, '')
      assert.match(out.stderr, /^peers: \[PEERS_USAGE\] /)
      assert.match(out.stderr, message)
      assert.equal(out.stderr.trimEnd().split('\n').length, 1, out.stderr)
    })
  }
})
