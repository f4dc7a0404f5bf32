// Store schema 2: journal and compaction, migration from real v1 files, advertisement
// bookkeeping, retention, and uptime against a reference written here from the formulas of
// the sipa seeder (db.h CAddrStat, db.cpp CAddrInfo::Update; ../shared/seeds-format.md §2),
// driven by a synthetic clock.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, appendFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Endpoint, SessionResult } from '../src/contract.js'
import { PeersError } from '../src/errors.js'
import { readTimeline } from '../src/store/history.js'
import { ShardAdapter } from '../src/store/shard-adapter.js'
import { diffWindows } from '../src/store/queries.js'
import { openStore, sanitiseAdvertisedTime } from '../src/store/store.js'
import { isReachable } from '../src/store/types.js'
import { uptimeValues, uptimeWindow } from '../src/store/uptime.js'
import { seededRandom } from '../adapters/bitcoin/simnet/random.js'
import { TAUS_S, uptimeReference } from './helpers/uptime-reference.js'

const NET = 'regtest'
const FIXTURES = new URL('./fixtures/', import.meta.url)

function tempStorePath (): string {
  return join(mkdtempSync(join(tmpdir(), 'peers-store2-')), 'peers.json')
}

function clockAt (iso: string): { now: () => Date, set: (ms: number) => void, ms: () => number } {
  let t = Date.parse(iso)
  return { now: () => new Date(t), set: (ms) => { t = ms }, ms: () => t }
}

function ep (i: number): Endpoint {
  return { host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 8333, type: 'ipv4' }
}

function outcome (endpoint: Endpoint, good: boolean, height = 100): SessionResult {
  return good
    ? { endpoint, ok: true, connectMs: 12, handshakeMs: 20, peer: { protocolVersion: 70016, userAgent: '/Satoshi:28.0.0/', startHeight: height, services: '1033' }, learned: [], addressesReceived: 0 }
    : { endpoint, ok: false, reason: 'refused', learned: [], addressesReceived: 0 }
}

for (const fixture of ['store-v1-r1.json', 'store-v1.json']) {
  test(`migration: a schema 1 store (${fixture}) is migrated on first write, backup kept; readers migrate in memory`, async () => {
    const path = tempStorePath()
    copyFileSync(new URL(fixture, FIXTURES), path)
    const original = readFileSync(path)
    const v1 = JSON.parse(original.toString()) as { peers: Record<string, Array<Record<string, unknown>>>, runs: unknown[] }

    const reader = await openStore(path, { mode: 'read' })
    assert.equal(reader.peers(NET).length, v1.peers[NET].length)
    assert.deepEqual(readFileSync(path), original, 'a reader writes nothing')
    assert.equal(existsSync(`${path}.v1.bak`), false)

    const warnings: string[] = []
    const writer = await openStore(path, { mode: 'write', log: { debug () {}, info () {}, warn: (m: string) => warnings.push(m), error () {} } })
    assert.match(warnings.join('\n'), /migrated from schema 1 to 3/)
    assert.deepEqual(readFileSync(`${path}.v1.bak`), original, 'the backup is the v1 file, byte for byte')
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).schema, 3)
    for (const old of v1.peers[NET]) {
      const r = writer.get(NET, { host: old.host as string, port: old.port as number, type: 'ipv4' })
      assert.ok(r !== undefined, `${String(old.host)} kept`)
      assert.equal(r.successes, old.successes)
      assert.equal(r.userAgent, old.userAgent)
      assert.equal(r.advertisements, old.advertisements ?? old.advertisedBy)
      assert.equal('lastSeen' in r || 'advertisedBy' in r, false, 'v1 names are gone')
      // Round 1's lastSeen of a seed was its discovery time, not an advertisement.
      if ((old.advertisedBy ?? old.advertisements) === 0) assert.equal(r.lastAdvertised, undefined)
      else assert.equal(r.lastAdvertised, old.lastSeen ?? old.lastAdvertised)
    }
    assert.deepEqual(writer.runs().map((r) => r.id), (v1.runs as Array<{ id: string }>).map((r) => r.id))
    await writer.close()
    const again = await openStore(path, { mode: 'read' })
    assert.equal(again.peers(NET).filter(isReachable).length, v1.peers[NET].filter((p) => p.lastSuccess !== undefined && p.lastSuccess === p.lastTried).length)
    // A second writer does not migrate again, nor touch the backup.
    await (await openStore(path, { mode: 'write' })).close()
    assert.deepEqual(readFileSync(`${path}.v1.bak`), original)
  })
}

test('a store of a newer schema is refused in one line, left untouched', async () => {
  const path = tempStorePath()
  const text = '{"schema":4,"networks":[],"runs":[]}\n'
  writeFileSync(path, text)
  for (const mode of ['read', 'write'] as const) {
    await assert.rejects(openStore(path, { mode }), (err: unknown) => err instanceof PeersError && err.code === 'PEERS_STORE_VERSION' && !err.message.includes('\n') && /schema 4, newer/.test(err.message))
    assert.equal(readFileSync(path, 'utf8'), text)
  }
})

test('a checkpoint appends only the records that changed; a torn last write is ignored and cut off', async () => {
  const path = tempStorePath()
  const clock = clockAt('2026-11-01T00:00:00.000Z')
  const store = await openStore(path, { mode: 'write', now: clock.now })
  for (let i = 0; i < 2000; i++) store.recordDiscovered(NET, ep(i), null)
  const first = await store.checkpoint()
  assert.equal(first.records, 2000)
  clock.set(clock.ms() + 1000)
  for (let i = 0; i < 10; i++) store.recordResult(NET, outcome(ep(i), true))
  const second = await store.checkpoint()
  assert.equal(second.records, 10)
  // Whole records of the 10 that changed (each about a kilobyte with its uptime), not the 2,000.
  assert.ok(second.bytes - second.historyBytes < 10 * 1500, `bytes in proportion to the changes: ${second.bytes} after ${first.bytes}`)
  assert.ok(first.bytes > 2000 * 100)
  // A write cut short by a crash: half a record, no commit line.
  const journal = join(`${path}.d`, NET, 'journal.jsonl')
  appendFileSync(journal, '{"network":"regtest","host":"10.0.0.1","port":8333,"type":"ipv4","firstSeen":"x","successes":99,"fail')
  await store.close().catch(() => {})
  // close() compacted (the journal was not empty): make a torn journal again on a fresh writer.
  const w = await openStore(path, { mode: 'write', now: clock.now })
  w.recordResult(NET, outcome(ep(5), false))
  await w.checkpoint()
  appendFileSync(journal, `${JSON.stringify({ ...w.get(NET, ep(5)), successes: 99 })}\n{"network":"regtest","host":"10.0`)
  const reader = await openStore(path, { mode: 'read' })
  assert.equal(reader.get(NET, ep(5))?.successes, 1, 'records after the last commit line are not applied')
  assert.equal(reader.get(NET, ep(5))?.failures, 1)
  // The next writer after a crash: reads, cuts the torn tail off, appends (driven at the adapter: w still holds the lock).
  const next = new ShardAdapter(join(`${path}.d`, NET), NET)
  const state = await next.read()
  assert.ok(state !== null)
  const six = state.records.get(ep(6).host, 8333)
  assert.ok(six !== undefined)
  six.failures = 7
  state.dirty.add(six)
  await next.write(state)
  const after = await openStore(path, { mode: 'read' })
  assert.equal(after.get(NET, ep(6))?.failures, 7, 'appends after a torn tail are read')
  assert.equal(after.get(NET, ep(5))?.successes, 1)
})

test('advertisements: the newest claimed time and its services are kept, sanitised as Core does; known records wait for compaction', async () => {
  const path = tempStorePath()
  const clock = clockAt('2026-11-01T00:00:00.000Z')
  const nowS = clock.ms() / 1000
  const store = await openStore(path, { mode: 'write', now: clock.now })
  const peer = ep(1)
  store.recordDiscovered(NET, ep(2), peer, undefined, { time: nowS - 3600, services: '1033' })
  assert.equal(store.get(NET, ep(2))?.advertisedTime, nowS - 3600)
  store.recordDiscovered(NET, ep(2), peer, undefined, { time: nowS - 7200, services: '1' })
  assert.equal(store.get(NET, ep(2))?.advertisedServices, '1033', 'an older claim does not replace a newer one')
  // More than 10 minutes ahead: 5 days ago (net_processing.cpp).
  store.recordDiscovered(NET, ep(3), peer, undefined, { time: nowS + 601, services: '9' })
  assert.equal(store.get(NET, ep(3))?.advertisedTime, nowS - 5 * 86400)
  assert.equal(sanitiseAdvertisedTime(nowS + 600, nowS), nowS + 600)
  assert.equal(sanitiseAdvertisedTime(99_999_999, nowS), nowS - 5 * 86400)
  await store.checkpoint()
  store.recordDiscovered(NET, ep(2), peer, undefined, { time: nowS - 60, services: '1033' })
  const lazy = await store.checkpoint()
  assert.equal(lazy.records, 0, 'advertisement bookkeeping of a known record is not journaled')
  await store.close()
  const reread = await openStore(path, { mode: 'read' })
  assert.equal(reread.get(NET, ep(2))?.advertisements, 3, 'close compacts: nothing lost')
  assert.equal(reread.get(NET, ep(2))?.advertisedTime, nowS - 60)
})

test('answers and oversized address messages are recorded per peer', async () => {
  const store = await openStore(tempStorePath(), { mode: 'write' })
  store.recordResult(NET, { ...outcome(ep(1), true), gotAddressAnswer: true, answer: { entries: 5, afterMs: 42 }, oversizedAddr: { messages: 2, largestDeclared: 50000 } })
  const r = store.get(NET, ep(1))
  assert.deepEqual({ entries: r?.answer?.entries, afterMs: r?.answer?.afterMs, lastAnswered: r?.lastAnswered, o: r?.oversizedAddrMessages, l: r?.lastOversizedCount }, { entries: 5, afterMs: 42, lastAnswered: true, o: 2, l: 50000 })
  store.recordResult(NET, outcome(ep(1), true))
  assert.equal(store.get(NET, ep(1))?.lastAnswered, false)
  assert.equal(store.get(NET, ep(1))?.answer?.entries, 5, 'the last recognised answer stays')
  await store.close()
})

test('retention: compaction forgets the never-reached that are stale or failed too often, keeps the rest', async () => {
  const path = tempStorePath()
  const clock = clockAt('2026-10-01T00:00:00.000Z')
  const store = await openStore(path, { mode: 'write', now: clock.now, retention: { forgetAfterMs: 30 * 86_400_000, maxFailures: 3 } })
  store.recordDiscovered(NET, ep(1), ep(9)) // advertised once, never tried: stale after 30 days
  store.recordDiscovered(NET, ep(2), ep(9)) // advertised again later: kept
  store.recordResult(NET, outcome(ep(3), true)) // reached once: kept
  for (let i = 0; i < 3; i++) store.recordResult(NET, outcome(ep(4), false)) // 3 failures, never reached: forgotten
  clock.set(Date.parse('2026-11-15T00:00:00.000Z'))
  store.recordDiscovered(NET, ep(2), ep(9))
  for (let i = 0; i < 2; i++) store.recordResult(NET, outcome(ep(5), false)) // 2 failures, first seen recently: kept
  store.recordDiscovered(NET, ep(6), null) // a seed of today: kept
  const figures = await store.compact()
  assert.equal(figures.forgotten, 2)
  assert.deepEqual(store.peers(NET).map((p) => p.host).sort(), [ep(2).host, ep(3).host, ep(5).host, ep(6).host].sort())
  await store.close()
  assert.equal((await openStore(path, { mode: 'read' })).peers(NET).length, 4)
})

// ---- a month of synthetic observations for 20,000 peers ----

const PEERS = 20_000
const MONTH_S = 30 * 86400


test(`uptime: a month of observations for ${PEERS} peers equals the reference; diff and history read that month`, async () => {
  const seed = Number(process.env.PEERS_UPTIME_SEED ?? 20261130)
  console.log(`# uptime month seed ${seed} (PEERS_UPTIME_SEED)`)
  const random = seededRandom(seed)
  const start = Date.parse('2026-10-01T00:00:00.000Z') / 1000
  // Per peer: a try every 4 to 12 hours; up with its own probability, some always down or up.
  const upChance = Array.from({ length: PEERS }, (_, i) => (i % 10 === 0 ? 0 : i % 10 === 1 ? 1 : random()))
  const keys: number[] = []
  for (let p = 0; p < PEERS; p++) {
    for (let t = start + Math.floor(random() * 3600); t < start + MONTH_S; t += 4 * 3600 + Math.floor(random() * 8 * 3600)) keys.push(t * 32768 + p)
  }
  const events = Float64Array.from(keys).sort()
  const times: number[][] = Array.from({ length: PEERS }, () => [])
  const goods: boolean[][] = Array.from({ length: PEERS }, () => [])

  const path = tempStorePath()
  const clock = clockAt('2026-10-01T00:00:00.000Z')
  // Retention off: the always-down peers would be forgotten after 10 failures (and start again).
  const store = await openStore(path, { mode: 'write', now: clock.now, retention: { forgetAfterMs: 0, maxFailures: 0 } })
  let day = 0
  const fillStart = performance.now()
  for (const key of events) {
    const t = Math.floor(key / 32768)
    const p = key - t * 32768
    const good = random() < upChance[p]
    times[p].push(t)
    goods[p].push(good)
    clock.set(t * 1000)
    store.recordResult(NET, outcome(ep(p), good, Math.floor((t - start) / 600)))
    if (Math.floor((t - start) / 86400) !== day) {
      day = Math.floor((t - start) / 86400)
      await store.checkpoint()
    }
  }
  await store.close()
  console.log(`# ${events.length} observations recorded in ${Math.round(performance.now() - fillStart)} ms`)

  const reread = await openStore(path, { mode: 'read' })
  let worst = 0
  for (let p = 0; p < PEERS; p++) {
    const state = reread.get(NET, ep(p))?.uptime
    assert.ok(state !== undefined, `peer ${p} has uptime`)
    assert.equal(uptimeValues(state).lastTry, times[p][times[p].length - 1] * 1000)
    const want = uptimeReference(times[p], goods[p])
    for (let w = 0; w < 5; w++) {
      for (const k of ['reliability', 'weight', 'count'] as const) {
        const got = uptimeWindow(state, w)[k]
        const err = Math.abs(got - want[w][k])
        worst = Math.max(worst, err)
        // The store keeps 9 decimals (src/store/uptime.ts); figures are shown to 1e-4.
        assert.ok(err <= 1e-7, `peer ${p} window ${TAUS_S[w]} s ${k}: ${got} vs reference ${want[w][k]}`)
      }
    }
  }
  console.log(`# uptime: largest difference from the reference ${worst.toExponential(2)}`)

  // diff of two days against the reference: up = the last observation of the day succeeded.
  const dir = reread.historyDir(NET)
  assert.ok(dir !== undefined)
  const dayWindow = (d: number): { label: string, fromMs: number, toMs: number } => ({ label: `day ${d}`, fromMs: (start + d * 86400) * 1000, toMs: (start + (d + 1) * 86400) * 1000 - 1 })
  const upOn = (d: number): Set<string> => {
    const up = new Set<string>()
    for (let p = 0; p < PEERS; p++) {
      let last: boolean | undefined
      for (let i = 0; i < times[p].length; i++) if (times[p][i] >= start + d * 86400 && times[p][i] < start + (d + 1) * 86400) last = goods[p][i]
      if (last === true) up.add(`${ep(p).host}:8333`)
    }
    return up
  }
  const diffStart = performance.now()
  const diff = await diffWindows(dir, dayWindow(10), dayWindow(20))
  const diffMs = performance.now() - diffStart
  const [a, b] = [upOn(10), upOn(20)]
  assert.deepEqual(diff.joined.sort(), [...b].filter((e) => !a.has(e)).sort())
  assert.deepEqual(diff.left.sort(), [...a].filter((e) => !b.has(e)).sort())
  const monthDiffStart = performance.now()
  await diffWindows(dir, { label: 'month', fromMs: start * 1000, toMs: (start + MONTH_S / 2) * 1000 }, { label: 'b', fromMs: (start + MONTH_S / 2) * 1000, toMs: (start + MONTH_S) * 1000 })
  const monthDiffMs = performance.now() - monthDiffStart

  const historyStart = performance.now()
  const timeline = await readTimeline(dir, `${ep(12345).host}:8333`)
  const historyMs = performance.now() - historyStart
  assert.deepEqual(timeline.map((o) => [o.t, o.ok]), times[12345].map((t, i) => [t * 1000, goods[12345][i]]))
  assert.equal(timeline[0].ua, '/Satoshi:28.0.0/', 'the first success carries the user agent')
  assert.equal(timeline.slice(1).filter((o) => o.ua !== undefined).length, 0, 'later ones only when it changes')
  console.log(`# month history: diff of two days ${Math.round(diffMs)} ms, of two half-months ${Math.round(monthDiffMs)} ms, one peer's timeline ${Math.round(historyMs)} ms (${readdirSync(dir).length} day files)`)
})
