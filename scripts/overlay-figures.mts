// Figures for #12 (run as root): a crawl of clear, onion, I2P and CJDNS nodes inside a private
// mount+network namespace, onion through microsocks, I2P through the SAM simulator, CJDNS direct.
//   unshare -m -n -- node --import tsx scripts/overlay-figures.mts
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Simnet } from '../adapters/bitcoin/simnet/index.js'
import { formatEndpoint } from '../src/net/endpoint.js'
import { openStore } from '../src/store/store.js'
import { isReachable } from '../src/store/types.js'

const links = execFileSync('ip', ['-o', 'link', 'show']).toString().trim().split('\n').map((l) => l.split(':')[1].trim())
if (links.join() !== 'lo') throw new Error('run inside unshare -m -n')
execFileSync('ip', ['link', 'set', 'lo', 'up'])
const counts = { nodes: Number(process.env.CLEAR ?? 3000), onion: Number(process.env.ONION ?? 1500), i2p: Number(process.env.I2P ?? 500), cjdns: Number(process.env.CJDNS ?? 50) }
const simnet = new Simnet({ ...counts, deadOverlay: 100, refused: 300, seed: 3 })
const listeners = simnet.overlayListeners()
for (const l of listeners.filter((x) => x.endpoint.type === 'cjdns')) execFileSync('ip', ['-6', 'addr', 'add', `${l.endpoint.host}/128`, 'dev', 'lo', 'nodad'])
await simnet.start()
const dir = mkdtempSync(join(tmpdir(), 'peers-fig-'))
writeFileSync(join(dir, 'hosts'), ['127.0.0.1 localhost', ...listeners.filter((l) => l.endpoint.type === 'onion').map((l) => `${l.listen.host} ${l.endpoint.host}`)].join('\n') + '\n')
execFileSync('mount', ['--bind', join(dir, 'hosts'), '/etc/hosts'])
const socks = spawn(process.env.PEERS_TEST_MICROSOCKS ?? '/usr/bin/microsocks', ['-i', '127.0.0.1', '-p', '1080'], { stdio: 'ignore' })
await new Promise((resolve) => setTimeout(resolve, 300))
const db = join(dir, 'peers.json')
const args = ['-f', '%e s wall, %M KB peak RSS', process.execPath, 'bin/run.js', 'crawl', 'bitcoin', '--net', 'regtest', ...simnet.seeds().flatMap((e) => ['--seed', formatEndpoint(e)]),
  '--allow-cidr', '127.0.0.0/8', '--concurrency', process.env.CONC ?? '1000', '--connect-timeout', process.env.CONNECT ?? '5000', '--db', db, '--no-export', '--quiet', '--json', '--retries', '0',
  '--onion-proxy', '127.0.0.1:1080', '--i2p-sam', `${simnet.sam!.host}:${simnet.sam!.port}`, '--cjdns-reachable']
const child = spawn('/usr/bin/time', args, { env: { ...process.env, PEERS_TEST_ALLOW: simnet.cjdnsAddresses().map((h) => `${h}/128`).join(',') }, stdio: ['ignore', 'pipe', 'pipe'] })
let out = ''
let err = ''
child.stdout.on('data', (d: Buffer) => { out += d.toString() })
child.stderr.on('data', (d: Buffer) => { err += d.toString() })
await new Promise((resolve) => child.on('close', resolve))
socks.kill()
const summary = JSON.parse(out) as { elapsedMs: number, reachable: number, failed: Record<string, number>, tried: number }
const truth = simnet.truth()
const store = await openStore(db, { mode: 'read' })
const reachable = store.peers('regtest').filter(isReachable)
const byType = (list: Array<{ type: string }>): Record<string, number> => list.reduce<Record<string, number>>((o, e) => { o[e.type] = (o[e.type] ?? 0) + 1; return o }, {})
const sample = (type: string): unknown[] => store.peers('regtest').filter((p) => p.type === type && !isReachable(p)).slice(0, 2).map((p) => [p.lastFailure, p.lastFailureDetail])
console.log(JSON.stringify({ i2p: sample('i2p'), onion: sample('onion') }))
const same = JSON.stringify(reachable.map(formatEndpoint).sort()) === JSON.stringify(truth.map(formatEndpoint).sort())
console.log(JSON.stringify({ exact: same, truth: byType(truth), reachable: byType(reachable), tried: summary.tried, failed: summary.failed, elapsedMs: summary.elapsedMs, time: err.trim().split('\n').at(-1) }, null, 1))
await simnet.stop()
process.exit(0)
