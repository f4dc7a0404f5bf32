// Runs only inside the private mount + network namespace that test/overlay/microsocks.test.ts
// makes (`unshare -m -n`): loopback is the only interface, /etc/hosts is bind-mounted over
// with test onion names, and fc00::/8 addresses are added to lo to play CJDNS nodes. A crawl
// of clear, onion, I2P and CJDNS nodes reaches onion peers through microsocks (a real SOCKS5
// server from Debian, which resolves the names with the system resolver), I2P peers through
// the simnet's SAM bridge and CJDNS peers directly (--cjdns-reachable).
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Simnet } from '../../../adapters/bitcoin/simnet/index.js'
import { overlayName } from '../../../adapters/bitcoin/simnet/overlay.js'
import { formatEndpoint } from '../../../src/net/endpoint.js'
import { openStore } from '../../../src/store/store.js'
import { isReachable } from '../../../src/store/types.js'
import { runCli } from '../../helpers/cli.js'

const SEED = Number(process.env.PEERS_TEST_SEED ?? 7)
const MICROSOCKS = process.env.PEERS_TEST_MICROSOCKS ?? '/usr/bin/microsocks'
const SOCKS_PORT = 1080

// Never touch the host's /etc/hosts or interfaces: only inside the namespace the outer test made.
assert.equal(process.env.PEERS_IN_TEST_NAMESPACE, '1', 'run through test/overlay/microsocks.test.ts')
// `ip` asks the kernel about this process's own namespace (/sys/class/net may still show the host's).
const links = execFileSync('ip', ['-o', 'link', 'show']).toString().trim().split('\n').map((l) => l.split(':')[1].trim())
assert.deepEqual(links, ['lo'], 'a network namespace with loopback only')

async function waitForPort (port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true) })
      s.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test(`clear, onion (microsocks), I2P (SAM simulator) and CJDNS nodes crawled exactly (seed ${SEED})`, async (t) => {
  execFileSync('ip', ['link', 'set', 'lo', 'up'])
  const simnet = new Simnet({ nodes: 60, onion: 20, i2p: 12, cjdns: 6, deadOverlay: 3, refused: 3, seed: SEED, knownPerNode: 100 })
  const listeners = simnet.overlayListeners()
  const liveCjdns = listeners.filter((l) => l.endpoint.type === 'cjdns').map((l) => l.endpoint.host)
  // nodad: the address is usable at once, without duplicate address detection's wait.
  for (const host of liveCjdns) execFileSync('ip', ['-6', 'addr', 'add', `${host}/128`, 'dev', 'lo', 'nodad'])
  await simnet.start()
  const dir = mkdtempSync(join(tmpdir(), 'peers-ns-'))
  // An onion name that resolves to a loopback address where nothing listens: microsocks answers "connection refused".
  const refusedOnion = overlayName('onion', SEED + 1000, 0)
  const hosts = ['127.0.0.1 localhost', '::1 localhost', `127.11.0.1 ${refusedOnion}`,
    ...listeners.filter((l) => l.endpoint.type === 'onion').map((l) => `${l.listen.host} ${l.endpoint.host}`)]
  writeFileSync(join(dir, 'hosts'), hosts.join('\n') + '\n')
  execFileSync('mount', ['--bind', join(dir, 'hosts'), '/etc/hosts'])
  const socks = spawn(MICROSOCKS, ['-i', '127.0.0.1', '-p', String(SOCKS_PORT)], { stdio: 'ignore' })
  try {
    await waitForPort(SOCKS_PORT, 10_000)
    const db = join(dir, 'peers.json')
    const sam = simnet.sam!
    const started = Date.now()
    const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest',
      ...simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)]), '--seed', `${refusedOnion}:18444`,
      '--allow-cidr', '127.0.0.0/8', '--db', db, '--out', join(dir, 'out'), '--json', '--retries', '0',
      '--connect-timeout', '3000', '--handshake-timeout', '3000', '--getaddr-timeout', '5000',
      '--onion-proxy', `127.0.0.1:${SOCKS_PORT}`, '--i2p-sam', `${sam.host}:${sam.port}`, '--cjdns-reachable'],
    { env: { PEERS_TEST_ALLOW: simnet.cjdnsAddresses().map((h) => `${h}/128`).join(',') } })
    assert.equal(r.code, 0, r.stderr)

    const truth = simnet.truth()
    const store = await openStore(db, { mode: 'read' })
    const reachable = store.peers('regtest').filter(isReachable)
    assert.deepEqual(reachable.map(formatEndpoint).sort(), truth.map(formatEndpoint).sort())
    const byType: Record<string, number> = {}
    for (const p of reachable) byType[p.type] = (byType[p.type] ?? 0) + 1
    for (const type of ['ipv4', 'onion', 'i2p', 'cjdns']) assert.ok((byType[type] ?? 0) > 0, `some ${type} node reachable`)

    // What each kind of dead address failed with.
    const failures = new Map<string, Set<string>>()
    for (const kind of ['dead-onion', 'dead-i2p', 'dead-cjdns', 'refused']) {
      for (const e of simnet.endpointsOf(kind)) {
        const record = store.get('regtest', e)
        if (record?.lastFailure === undefined) continue
        if (!failures.has(kind)) failures.set(kind, new Set())
        failures.get(kind)?.add(record.lastFailure)
      }
    }
    // microsocks cannot resolve a name that is not in /etc/hosts (no DNS here): it answers 0x01
    // general failure (microsocks.c connect_socks_target: resolve() fails → EC_GENERAL_FAILURE).
    assert.deepEqual([...failures.get('dead-onion') ?? []], ['proxy-error'])
    assert.deepEqual([...failures.get('dead-i2p') ?? []], ['i2p-not-found'])
    assert.deepEqual([...failures.get('dead-cjdns') ?? []], ['unreachable'])
    assert.equal(store.get('regtest', { host: refusedOnion, port: 18444, type: 'onion' })?.lastFailure, 'refused')

    const summary = JSON.parse(r.stdout) as { elapsedMs: number, tried: number }
    t.diagnostic(`crawl: ${summary.elapsedMs} ms wall (${Date.now() - started} ms with start-up), ${summary.tried} tried, reachable by type ${JSON.stringify(byType)}`)
  } finally {
    socks.kill()
    await simnet.stop()
  }
})
