// `peers crawl --continuous` against peers that go down and come back on a schedule, then
// `peers diff`, `peers history` and `peers list` on what it stored. The schedule is kept by
// a gate in front of each simulated peer (test-local): per connection attempt it either
// passes the connection through or drops it at once (the peer looks down).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getAdapter, getNetwork } from '../adapters/index.js'
import type { Endpoint, SimulatedPeer } from '../src/contract.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import { runCli } from './helpers/cli.js'
import { uptimeReference } from './helpers/uptime-reference.js'

process.env.PEERS_LOOPBACK_ONLY = '1'

const LOOPBACK = ['--allow-cidr', '127.0.0.0/8', '--only-cidr', '127.0.0.0/8']

interface Gate {
  endpoint: Endpoint
  /** Attempts seen (connections accepted). */
  attempts: number
  /** Whether attempt number `n` (0-based) gets through. */
  up: (n: number) => boolean
  target?: Endpoint
  server: Server
  sockets: Set<Socket>
}

async function startGate (): Promise<Gate> {
  const server = createServer()
  const gate: Gate = { endpoint: { host: '127.0.0.1', port: 0, type: 'ipv4' }, attempts: 0, up: () => true, server, sockets: new Set() }
  server.on('connection', (socket) => {
    const n = gate.attempts++
    gate.sockets.add(socket)
    socket.once('close', () => gate.sockets.delete(socket))
    if (!gate.up(n) || gate.target === undefined) {
      socket.destroy()
      return
    }
    const inner = connect(gate.target.port, gate.target.host)
    gate.sockets.add(inner)
    inner.once('close', () => { gate.sockets.delete(inner); socket.destroy() })
    socket.once('close', () => inner.destroy())
    inner.on('error', () => socket.destroy())
    socket.on('error', () => inner.destroy())
    socket.pipe(inner).pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('gate has no address')
  gate.endpoint.port = address.port
  return gate
}

let dir: string | undefined
const gates: Gate[] = []
const peers: SimulatedPeer[] = []
after(async () => {
  for (const p of peers) await p.close()
  for (const g of gates) {
    for (const s of g.sockets) s.destroy()
    await new Promise<void>((resolve) => g.server.close(() => resolve()))
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

/** The reference as the store's flat form: weight, count, reliability per window. */
function reference (times: number[], goods: boolean[]): number[] {
  return uptimeReference(times, goods).flatMap((w) => [w.weight, w.count, w.reliability])
}

test('continuous crawls of peers going down and up: uptime as the history says, diff of the two runs', async () => {
  dir = await mkdtemp(join(tmpdir(), 'peers-uptime-'))
  const db = join(dir, 'peers.json')
  const adapter = getAdapter('bitcoin')
  const network = getNetwork(adapter, 'regtest')
  for (let i = 0; i < 3; i++) gates.push(await startGate())
  const [steady, late, flapping] = gates
  for (const g of gates) {
    const peer = await adapter.simulation.startPeer(network, { kind: 'honest', knows: gates.filter((o) => o !== g).map((o) => o.endpoint) })
    peers.push(peer)
    g.target = peer.endpoint
  }
  const crawl = async (): Promise<void> => {
    const r = await runCli(['crawl', 'bitcoin', '--net', 'regtest', '--seed', formatEndpoint(steady.endpoint), '--seed', formatEndpoint(late.endpoint), '--seed', formatEndpoint(flapping.endpoint),
      ...LOOPBACK, '--db', db, '--no-export', '--continuous', '--revisit-interval', '1', '--retry-interval', '1', '--duration', '4', '--retries', '0', '--handshake-timeout', '2000', '--getaddr-timeout', '2000', '--quiet'])
    assert.equal(r.code, 0, r.stderr)
  }
  // Run 1: steady up, late down, flapping up on every other attempt.
  steady.up = () => true
  late.up = () => false
  flapping.up = (n) => n % 2 === 0
  await crawl()
  // Run 2: steady down, late up.
  const steadyBefore = steady.attempts
  steady.up = () => false
  late.up = () => true
  await crawl()
  assert.ok(steady.attempts - steadyBefore >= 2 && flapping.attempts >= 4, `each peer was tried several times (steady ${steady.attempts}, flapping ${flapping.attempts})`)

  const diff = await runCli(['diff', '--net', 'regtest', '--db', db, '--json'])
  assert.equal(diff.code, 0, diff.stderr)
  const d = JSON.parse(diff.stdout) as { joined: string[], left: string[] }
  assert.deepEqual(d.joined, [formatEndpoint(late.endpoint)])
  assert.deepEqual(d.left, [formatEndpoint(steady.endpoint)])

  const list = await runCli(['list', '--all', '--net', 'regtest', '--db', db, '--json', '--quiet'])
  assert.equal(list.code, 0, list.stderr)
  const records = JSON.parse(list.stdout) as Array<{ address: string, uptime?: { lastTry: number, stats: number[] } }>
  for (const g of gates) {
    const key = formatEndpoint(g.endpoint)
    const history = await runCli(['history', key, '--net', 'regtest', '--db', db, '--json'])
    assert.equal(history.code, 0, history.stderr)
    const [timeline] = JSON.parse(history.stdout) as Array<{ observations: Array<{ t: number, ok: boolean }> }>
    const obs = timeline.observations
    // The gate saw every try the store recorded (and no more: no session was cancelled before connecting).
    assert.equal(obs.length, g.attempts, `${key}: ${obs.length} observations, ${g.attempts} attempts at the gate`)
    if (g === flapping) assert.deepEqual(obs.map((o) => o.ok), obs.map((_, n) => n % 2 === 0), 'flapping: up on every other try')
    if (g === steady) assert.deepEqual(obs.map((o) => o.ok), obs.map((_, n) => n < steadyBefore), 'steady: up in run 1, down in run 2')
    const record = records.find((r) => r.address === key)
    assert.ok(record?.uptime !== undefined, `${key} has uptime`)
    const want = reference(obs.map((o) => o.t / 1000), obs.map((o) => o.ok))
    want.forEach((w, i) => assert.ok(Math.abs(record.uptime!.stats[i] - w) < 1e-6, `${key} uptime[${i}]: ${record.uptime!.stats[i]} vs ${w}`))
  }
  // The late peer was down in run 1 and up in run 2: its history shows exactly that.
  const lateHistory = JSON.parse((await runCli(['history', formatEndpoint(late.endpoint), '--net', 'regtest', '--db', db, '--json'])).stdout) as Array<{ observations: Array<{ ok: boolean }> }>
  const lateOk = lateHistory[0].observations.map((o) => o.ok)
  const firstUp = lateOk.indexOf(true)
  assert.ok(firstUp > 0 && lateOk.slice(0, firstUp).every((ok) => !ok) && lateOk.slice(firstUp).every((ok) => ok), `late: down, then up: ${lateOk.join(',')}`)

  const stats = await runCli(['stats', '--net', 'regtest', '--db', db, '--json', '--quiet'])
  const [report] = JSON.parse(stats.stdout) as Array<{ uptime: Array<{ window: string, tried: number }> }>
  assert.equal(report.uptime.find((u) => u.window === '30d')?.tried, 3)
})
