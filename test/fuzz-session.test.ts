// The session fuzzer (test/fuzz/session-fuzz.ts) with a budget that fits the suite; the
// codec has its own (test/bitcoin). `npm run fuzz` runs both for longer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fuzzSession, runSessionCase } from './fuzz/session-fuzz.js'

const SEED = Number(process.env.PEERS_FUZZ_SEED ?? 7)
const CASES = 6000

test(`session state machine: ${CASES} fuzz cases from seed ${SEED} keep every invariant`, () => {
  const stats = fuzzSession(CASES, SEED)
  assert.equal(stats.cases, CASES)
  // The mix must reach both ends, or the invariants on them were never exercised.
  assert.ok((stats.outcomes.ok ?? 0) > CASES / 50, `only ${stats.outcomes.ok ?? 0} cases completed a handshake: ${JSON.stringify(stats.outcomes)}`)
  for (const reason of ['protocol-error', 'obsolete-version', 'self-connection', 'handshake-timeout', 'wrong-network', 'session-limit']) {
    assert.ok((stats.outcomes[reason] ?? 0) > 0, `no case ended in ${reason}: ${JSON.stringify(stats.outcomes)}`)
  }
})

test('a fuzz case replays the same from its seed and index', () => {
  for (const index of [0, 17, 901]) {
    const { ok, reason, learned, addressesReceived } = runSessionCase(SEED, index)
    const again = runSessionCase(SEED, index)
    assert.deepEqual({ ok: again.ok, reason: again.reason, learned: again.learned, addressesReceived: again.addressesReceived }, { ok, reason, learned, addressesReceived })
  }
})
