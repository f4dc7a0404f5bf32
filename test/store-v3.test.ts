// Store schema 3 (#13's scale targets): uptime kept as text, migrated from schema 2 with the v2
// store kept beside it; the record index keyed by host (several ports of one host included);
// the line reader's chunk boundaries with multi-byte characters and a torn tail.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Endpoint, SessionResult } from '../src/contract.js'
import { forEachLine } from '../src/store/jsonl.js'
import { openStore } from '../src/store/store.js'
import { encodeUptime, recordTry, uptimeFigures, uptimeValues } from '../src/store/uptime.js'
import { seededRandom } from '../adapters/bitcoin/simnet/random.js'

const NET = 'regtest'

function tempDir (): string {
  return mkdtempSync(join(tmpdir(), 'peers-store3-'))
}

function failed (endpoint: Endpoint): SessionResult {
  return { endpoint, ok: false, reason: 'refused', learned: [], addressesReceived: 0 }
}

/** A schema 2 line as the v2 writer wrote it (uptime an object; figures of one failed and one good try). */
const V2_UPTIME = { lastTry: 1793491200000, stats: [0.129675274, 1, 0, 0.034126323, 1, 0, 0.011507352, 1, 0, 0.001652073, 1, 0, 0.000385728, 1, 0] }
const V2_UPTIME_JOURNAL = { lastTry: 1793494800000, stats: [0.507748217, 1.135335283, 0.377986951, 0.140817226, 1.606530660, 0.106690903, 0.049787068, 1.846481725, 0.038279716, 0.007614488, 1.978900804, 0.005962415, 0.001815228, 1.995012479, 0.001429500] }

function v2Store (): { path: string, manifest: string, state: string, journal: string } {
  const path = join(tempDir(), 'peers.json')
  const dir = join(`${path}.d`, NET)
  mkdirSync(dir, { recursive: true })
  const manifest = `{"schema":2,"networks":["${NET}"],\n"runs":[]}\n`
  const base = { network: NET, port: 18444, type: 'ipv4', firstSeen: '2026-11-01T00:00:00.000Z', successes: 0, failures: 1, advertisements: 0, lastTried: '2026-11-01T00:00:00.000Z', lastFailure: 'refused' }
  const state = `${JSON.stringify({ ...base, host: '10.0.0.1', uptime: V2_UPTIME })}\n${JSON.stringify({ ...base, host: '10.0.0.2', uptime: V2_UPTIME })}\n`
  const journal = `${JSON.stringify({ ...base, host: '10.0.0.2', successes: 1, failures: 1, lastSuccess: '2026-11-01T01:00:00.000Z', lastTried: '2026-11-01T01:00:00.000Z', uptime: V2_UPTIME_JOURNAL })}\n{"checkpoint":1793494800000}\n`
  writeFileSync(path, manifest)
  writeFileSync(join(dir, 'state.jsonl'), state)
  writeFileSync(join(dir, 'journal.jsonl'), journal)
  return { path, manifest, state, journal }
}

test('schema 2 → 3: a reader converts uptime in memory and writes nothing; a writer keeps the v2 store in <db>.v2.bak and bumps the manifest', async () => {
  const v2 = v2Store()
  const dir = join(`${v2.path}.d`, NET)
  const a = { host: '10.0.0.1', port: 18444, type: 'ipv4' as const }
  const b = { host: '10.0.0.2', port: 18444, type: 'ipv4' as const }

  const reader = await openStore(v2.path, { mode: 'read' })
  assert.deepEqual(uptimeValues(reader.get(NET, a)!.uptime!), V2_UPTIME)
  assert.deepEqual(uptimeValues(reader.get(NET, b)!.uptime!), V2_UPTIME_JOURNAL, 'the journal replays over the state')
  assert.equal(reader.get(NET, b)?.successes, 1)
  assert.equal(readFileSync(v2.path, 'utf8'), v2.manifest, 'a reader writes nothing')
  assert.equal(existsSync(`${v2.path}.v2.bak`), false)

  const warnings: string[] = []
  const writer = await openStore(v2.path, { mode: 'write', log: { debug () {}, info () {}, warn: (m: string) => warnings.push(m), error () {} } })
  assert.match(warnings.join('\n'), /migrated from schema 2 to 3/)
  assert.equal(JSON.parse(readFileSync(v2.path, 'utf8')).schema, 3)
  const backup = join(`${v2.path}.v2.bak`)
  assert.equal(readFileSync(join(backup, 'peers.json'), 'utf8'), v2.manifest)
  assert.equal(readFileSync(join(backup, 'peers.json.d', NET, 'state.jsonl'), 'utf8'), v2.state)
  assert.equal(readFileSync(join(backup, 'peers.json.d', NET, 'journal.jsonl'), 'utf8'), v2.journal)
  // The same figures as sipa's update from the v2 object: the conversion loses nothing.
  writer.recordResult(NET, failed(a))
  const triedAt = uptimeValues(writer.get(NET, a)!.uptime!).lastTry
  assert.equal(writer.get(NET, a)?.uptime, recordTry(encodeUptime(V2_UPTIME), false, triedAt))
  await writer.close()

  // close() compacted: the state is in the v3 form, the backup (hard-linked) is still v2's.
  const lines = readFileSync(join(dir, 'state.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string, uptime: unknown })
  assert.ok(lines.every((l) => typeof l.uptime === 'string'), 'v3 lines keep uptime as text')
  assert.equal(readFileSync(join(backup, 'peers.json.d', NET, 'state.jsonl'), 'utf8'), v2.state, 'compaction replaced the state by rename, not in place')
  const again = await openStore(v2.path, { mode: 'read' })
  assert.deepEqual(uptimeValues(again.get(NET, b)!.uptime!), V2_UPTIME_JOURNAL)
  assert.ok(uptimeFigures(again.get(NET, a)!.uptime!).count['30d'] > 1, 'the try after the migration counts on top of the v2 figures')
  // A second writer does not migrate again.
  const quiet: string[] = []
  await (await openStore(v2.path, { mode: 'write', log: { debug () {}, info () {}, warn: (m: string) => quiet.push(m), error () {} } })).close()
  assert.deepEqual(quiet, [])
})

test('several ports of one host are distinct records, through retention, journal and reload', async () => {
  const path = join(tempDir(), 'peers.json')
  let now = Date.parse('2026-11-01T00:00:00.000Z')
  const store = await openStore(path, { mode: 'write', now: () => new Date(now), retention: { forgetAfterMs: 0, maxFailures: 2 } })
  const ports = [8333, 18333, 8334]
  const at = (host: string, port: number): Endpoint => ({ host, port, type: host.includes(':') ? 'ipv6' : 'ipv4' })
  for (const host of ['10.0.0.1', '2001:db8::1']) for (const port of ports) store.recordDiscovered(NET, at(host, port), null)
  assert.equal(store.peers(NET).length, 6)
  // The first port of each host fails twice: retention forgets it; the others stay findable.
  for (const host of ['10.0.0.1', '2001:db8::1']) {
    store.recordResult(NET, failed(at(host, 8333)))
    store.recordResult(NET, failed(at(host, 8333)))
    store.recordResult(NET, { ...failed(at(host, 18333)), ok: true, reason: undefined, connectMs: 5, handshakeMs: 5 })
  }
  now += 120_000
  await store.compact()
  for (const host of ['10.0.0.1', '2001:db8::1']) {
    assert.equal(store.get(NET, at(host, 8333)), undefined, `${host}:8333 forgotten`)
    assert.equal(store.get(NET, at(host, 18333))?.successes, 1)
    assert.equal(store.get(NET, at(host, 8334))?.port, 8334)
  }
  // Back again after it was forgotten: a new record, journaled, found after a reload.
  store.recordDiscovered(NET, at('10.0.0.1', 8333), null)
  store.recordResult(NET, failed(at('10.0.0.1', 18333)))
  await store.checkpoint()
  const reader = await openStore(path, { mode: 'read' })
  assert.deepEqual(reader.peers(NET).map((r) => `${r.host}/${r.port}`).sort(), ['10.0.0.1/18333', '10.0.0.1/8333', '10.0.0.1/8334', '2001:db8::1/18333', '2001:db8::1/8334'])
  assert.equal(reader.get(NET, at('10.0.0.1', 18333))?.failures, 1)
  assert.equal(reader.get(NET, at('10.0.0.1', 8333))?.failures, 0)
  await store.close()
})

test('the line reader: lines across 1 MiB chunks, multi-byte characters at the cuts, a torn tail', async () => {
  const seed = Number(process.env.PEERS_TEST_SEED ?? Date.now() % 1_000_000)
  console.log(`# line reader: seed ${seed} (replay with PEERS_TEST_SEED=${seed})`)
  const random = seededRandom(seed)
  const alphabet = ['a', 'Z', '{', '"', 'é', '€', '𝄞', ' ', '\\']
  const lines: string[] = []
  let bytes = 0
  while (bytes < 3.5 * (1 << 20)) {
    const length = Math.floor(random() * (random() < 0.01 ? 300_000 : 400))
    let line = ''
    for (let i = 0; i < length; i++) line += alphabet[Math.floor(random() * alphabet.length)]
    lines.push(line)
    bytes += Buffer.byteLength(line) + 1
  }
  const torn = 'tail without a newline €'
  const path = join(tempDir(), 'lines.jsonl')
  writeFileSync(path, lines.join('\n') + '\n' + torn)
  const seen: string[] = []
  const scan = await forEachLine(path, (line) => seen.push(line))
  assert.equal(scan.lines, lines.length)
  assert.deepEqual(seen, lines.filter((l) => l.length > 0))
  assert.equal(scan.tornBytes, Buffer.byteLength(torn))
  assert.equal(scan.completeBytes, bytes)
  const missing = await forEachLine(join(tempDir(), 'none.jsonl'), () => assert.fail('no lines'))
  assert.equal(missing.exists, false)
})
