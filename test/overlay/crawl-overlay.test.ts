// `peers crawl` over a simulated network with onion and I2P nodes, reached through the
// simnet's own SOCKS5 proxy (playing Tor with ExtendedErrors) and SAM bridge; without them;
// and with a proxy that is down or hangs. The truth is the simnet's breadth-first replay of
// the answers its nodes give (Simnet.truth). Only loopback is dialed: the proxy and bridge
// are on 127.0.0.1 and every node behind them on 127.10.0.0/16 (PEERS_LOOPBACK_ONLY=1).
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Simnet } from '../../adapters/bitcoin/simnet/index.js'
import { formatEndpoint } from '../../src/net/endpoint.js'
import { openStore } from '../../src/store/store.js'
import { isReachable } from '../../src/store/types.js'
import { runCli } from '../helpers/cli.js'

const SEED = 5
let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'peers-overlay-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

// Generous bounds (a busy machine): dead overlay addresses fail at once anyway.
const FAST = ['--connect-timeout', '4000', '--handshake-timeout', '5000', '--getaddr-timeout', '5000', '--retries', '0']

test(`onion and I2P nodes through the simnet's SOCKS5 proxy and SAM bridge: exactly the reachable ones (seed ${SEED})`, async () => {
  const simnet = new Simnet({ nodes: 30, onion: 12, i2p: 8, deadOverlay: 3, refused: 2, basePort: 0, seed: SEED, knownPerNode: 60 })
  await simnet.start()
  try {
    const db = join(dir, 'overlay.json')
    const out = join(dir, 'out')
    const socks = simnet.socks5!
    const sam = simnet.sam!
    const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', ...simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)]),
      '--allow-cidr', '127.0.0.0/8', '--db', db, '--out', out, ...FAST, '--json',
      '--onion-proxy', `${socks.host}:${socks.port}`, '--i2p-sam', `${sam.host}:${sam.port}`])
    assert.equal(r.code, 0, r.stderr)
    const truth = simnet.truth().map(formatEndpoint).sort()
    const types = new Set(simnet.truth().map((e) => e.type))
    assert.deepEqual([...types].sort(), ['i2p', 'ipv4', 'onion'], 'the truth holds every type')
    const store = await openStore(db, { mode: 'read' })
    assert.deepEqual(store.peers('regtest').filter(isReachable).map(formatEndpoint).sort(), truth)
    // Dead overlay addresses fail with what Tor (ExtendedErrors) and the SAM bridge say about them.
    let dead = 0
    for (const [kind, reason] of [['dead-onion', 'onion-descriptor-not-found'], ['dead-i2p', 'i2p-not-found']]) {
      for (const e of simnet.endpointsOf(kind)) {
        const record = store.get('regtest', e)
        if (record === undefined) continue
        dead++
        assert.equal(record.lastFailure, reason, `${kind} ${formatEndpoint(e)}`)
      }
    }
    assert.ok(dead > 0, 'some dead overlay addresses were advertised and dialed')
    // The txt export: onion and I2P names as host:port (I2P port 0), the same three fields as every line.
    const summary = JSON.parse(r.stdout) as { export: string }
    const lines = (await readFile(summary.export, 'utf8')).trim().split('\n')
    assert.deepEqual(lines.map((l) => l.split(' / ')[0]).sort(), truth)
    assert.ok(lines.some((l) => /^[a-z2-7]{56}\.onion:18444 \/ AS\? \/ unknown$/.test(l)), 'an onion line')
    assert.ok(lines.some((l) => /^[a-z2-7]{52}\.b32\.i2p:0 \/ AS\? \/ unknown$/.test(l)), 'an I2P line')
    // stats counts each network type, and the dead ones by what Tor and I2P said.
    const stats = await runCli(['stats', '--net', 'regtest', '--db', db])
    assert.equal(stats.code, 0, stats.stderr)
    const count = (type: string): number => simnet.truth().filter((e) => e.type === type).length
    for (const type of ['ipv4', 'onion', 'i2p']) assert.match(stats.stdout, new RegExp(`^${type} +${count(type)} `, 'm'))
    assert.match(stats.stdout, /^onion +onion-descriptor-not-found +\d+ /m)
    assert.match(stats.stdout, /^i2p +i2p-not-found +\d+ /m)
  } finally {
    await simnet.stop()
  }
})

test('without a proxy: overlay addresses recorded, not dialed, one notice naming the flags; clearnet crawled whole', async () => {
  const simnet = new Simnet({ nodes: 25, onion: 6, i2p: 4, basePort: 0, seed: SEED + 1, knownPerNode: 60 })
  await simnet.start()
  try {
    const db = join(dir, 'plain.json')
    const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', ...simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)]),
      '--allow-cidr', '127.0.0.0/8', '--only-cidr', '127.0.0.0/8', '--db', db, '--no-export', ...FAST, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const summary = JSON.parse(r.stdout) as { reachable: number }
    assert.equal(summary.reachable, simnet.endpointsOf('honest').filter((e) => e.type === 'ipv4').length)
    const notices = r.stderr.split('\n').filter((l) => l.includes('overlay addresses recorded, not dialed'))
    assert.equal(notices.length, 1, r.stderr)
    const store = await openStore(db, { mode: 'read' })
    const onion = store.peers('regtest').filter((p) => p.type === 'onion')
    const i2p = store.peers('regtest').filter((p) => p.type === 'i2p')
    assert.ok(onion.length > 0 && i2p.length > 0, 'overlay addresses were advertised')
    assert.ok([...onion, ...i2p].every((p) => !isReachable(p) && p.lastFailure === undefined), 'none was dialed')
    assert.match(notices[0], new RegExp(`INFO peers\\] overlay addresses recorded, not dialed: (?=.*\\b${onion.length} onion \\(--onion-proxy)(?=.*\\b${i2p.length} i2p \\(--i2p-sam)`))
  } finally {
    await simnet.stop()
  }
})

for (const [what, start] of [
  ['down', async (): Promise<number> => {
    const s = createServer().listen(0, '127.0.0.1')
    await once(s, 'listening')
    const port = (s.address() as { port: number }).port
    await new Promise((resolve) => s.close(resolve))
    return port
  }],
  ['hangs', async (): Promise<number> => {
    const held: Socket[] = []
    const s = createServer((c) => { held.push(c) }).listen(0, '127.0.0.1')
    after(() => { for (const c of held) c.destroy(); s.close() })
    await once(s, 'listening')
    return (s.address() as { port: number }).port
  }]
] as const) {
  test(`an onion proxy that is ${what}: one error line, onion peers fail with proxy-unavailable, clearnet goes on`, async () => {
    const simnet = new Simnet({ nodes: 20, onion: 5, basePort: 0, seed: SEED + 2, knownPerNode: 40 })
    await simnet.start()
    try {
      const port = await start()
      const db = join(dir, `proxy-${what}.json`)
      // The down proxy comes from PEERS_ONION_PROXY, the hung one from the flag.
      const proxy = what === 'down' ? [] : ['--onion-proxy', `127.0.0.1:${port}`]
      const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', ...simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)]),
        '--allow-cidr', '127.0.0.0/8', '--db', db, '--no-export', ...FAST, '--json', ...proxy],
      { env: { PEERS_ONION_PROXY: what === 'down' ? `127.0.0.1:${port}` : undefined } })
      assert.equal(r.code, 0, r.stderr)
      const errors = r.stderr.split('\n').filter((l) => l.includes(' ERROR '))
      assert.equal(errors.length, 1, r.stderr)
      assert.match(errors[0], new RegExp(`onion proxy 127\\.0\\.0\\.1:${port} failed: .*\\[proxy-unavailable\\]; onion peers dialed through it fail, the rest of the crawl goes on`))
      const summary = JSON.parse(r.stdout) as { reachable: number, failed: Record<string, number> }
      assert.equal(summary.reachable, simnet.endpointsOf('honest').filter((e) => e.type === 'ipv4').length)
      assert.equal(summary.failed['proxy-unavailable'], 5)
    } finally {
      await simnet.stop()
    }
  })
}

test('an onion or I2P seed without its flag is one usage line naming the flag', async () => {
  const onion = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'
  const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', '--seed', `${onion}:18444`, '--db', join(dir, 'seed.json'), '--no-export'])
  assert.equal(r.code, 2, r.stderr)
  assert.equal(r.stderr.trim().split('\n').length, 1)
  assert.match(r.stderr, new RegExp(`--seed ${onion}:18444 is an onion address: pass --onion-proxy HOST:PORT`))
})
