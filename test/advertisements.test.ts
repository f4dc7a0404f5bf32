// Repeated advertisements summed in the engine's tally (src/engine/advertisements.ts) and applied
// to the store in one call must leave a record exactly as applying them one by one does.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Endpoint } from '../src/contract.js'
import { AdvertisementTally, sanitiseAdvertisedTime } from '../src/engine/advertisements.js'
import { openStore } from '../src/store/store.js'
import { seededRandom } from '../adapters/bitcoin/simnet/random.js'
import { testSeed } from './helpers/wait.js'

test('sanitised times follow Core: more than 10 minutes ahead or before 1973 count as 5 days ago', () => {
  const nowS = 1_800_000_000
  assert.equal(sanitiseAdvertisedTime(nowS + 600, nowS), nowS + 600)
  assert.equal(sanitiseAdvertisedTime(nowS + 601, nowS), nowS - 5 * 86400)
  assert.equal(sanitiseAdvertisedTime(100_000_000, nowS), nowS - 5 * 86400)
  assert.equal(sanitiseAdvertisedTime(100_000_001, nowS), 100_000_001)
})

test('the tally of repeats gives the store the record that one call per advertisement gives', async () => {
  const seed = testSeed('advertisement tally')
  const random = seededRandom(seed)
  const dir = await mkdtemp(join(tmpdir(), 'peers-adv-'))
  try {
    let clock = Date.parse('2026-11-30T00:00:00.000Z')
    const now = (): Date => new Date(clock)
    const oneByOne = await openStore(join(dir, 'a.json'), { mode: 'write', now })
    const summed = await openStore(join(dir, 'b.json'), { mode: 'write', now })
    const tally = new AdvertisementTally()
    const from: Endpoint = { host: '10.0.0.1', port: 8333, type: 'ipv4' }
    const endpoints: Endpoint[] = Array.from({ length: 40 }, (_, i) => ({ host: `10.1.0.${i}`, port: 8333, type: 'ipv4' }))
    for (const e of endpoints) {
      oneByOne.recordDiscovered('n', e, from)
      summed.recordDiscovered('n', e, from)
    }
    const SHARED_TIMES = [clock / 1000 - 3600, clock / 1000 - 7200].map(Math.floor)
    for (let k = 0; k < 3000; k++) {
      clock += Math.floor(random() * 5000)
      const i = Math.floor(random() * endpoints.length)
      const nowS = Math.floor(clock / 1000)
      const roll = random()
      // Past, far future, ancient, a time other peers claim too (ties: the last one's services
      // win), or no time; services or not.
      const time = roll < 0.2 ? undefined : roll < 0.3 ? nowS + 3600 : roll < 0.35 ? 5 : roll < 0.55 ? SHARED_TIMES[Math.floor(random() * SHARED_TIMES.length)] : nowS - Math.floor(random() * 7 * 86400)
      const services = random() < 0.3 ? undefined : String(Math.floor(random() * 4096))
      oneByOne.recordDiscovered('n', endpoints[i], from, undefined, { time, services })
      tally.add(i, clock, time, services)
      if (random() < 0.01) tally.drain((j, sum) => summed.recordAdvertised('n', endpoints[j], sum))
    }
    tally.drain((j, sum) => summed.recordAdvertised('n', endpoints[j], sum))
    for (const e of endpoints) {
      const a = oneByOne.get('n', e)!
      const b = summed.get('n', e)!
      const pick = (r: typeof a): unknown[] => [r.advertisements, r.lastAdvertised, r.advertisedTime, r.advertisedServices]
      assert.deepEqual(pick(b), pick(a), `${e.host} (seed ${seed})`)
    }
    assert.ok(endpoints.some((e) => (oneByOne.get('n', e)?.advertisements ?? 0) > 50), 'the endpoints were advertised many times')
    await oneByOne.close()
    await summed.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('take() hands one slot its sum and resets it; drain() skips slots already taken', () => {
  const tally = new AdvertisementTally()
  tally.add(3, 1_000_000, undefined, '1')
  tally.add(3, 2_000_000, 1500, '9')
  tally.add(2000, 3_000_000, undefined, undefined)
  // 1500 s is before 1973: sanitised to five days before its receipt (2,000 s).
  assert.deepEqual(tally.take(3), { count: 2, lastMs: 2_000_000, time: 2000 - 5 * 86400, services: '9' })
  assert.equal(tally.take(3), undefined)
  const seen: number[] = []
  tally.drain((i, sum) => { seen.push(i); assert.equal(sum.count, 1) })
  assert.deepEqual(seen, [2000])
  assert.equal(tally.size, 0)
})
