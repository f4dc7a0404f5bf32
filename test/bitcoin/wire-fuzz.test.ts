// The fuzz driver on a small budget (a few seconds); see fuzz-codec.ts for a large run.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'
import { FrameParser, encodeFrame } from '../../adapters/bitcoin/wire/index.js'
import { Rng, feedInChunks, fuzzCodec, randomMessage } from './fuzz-codec.js'

test('fuzz: random, garbage and mutated frames yield only messages and DecodeErrors', () => {
  const stats = fuzzCodec(4000, 20240601)
  assert.ok(stats.messages > 5000, `decoded ${stats.messages} messages`)
  // The budget reaches the interesting paths, not just one kind of error.
  for (const reason of ['bad-checksum', 'truncated', 'bad-magic', 'bad-address-length']) {
    assert.ok((stats.errors[reason] ?? 0) > 0, `no '${reason}' in ${JSON.stringify(stats.errors)}`)
  }
})

test('fuzz: a valid frame after a dropped bad-checksum frame is decoded, one byte at a time too', () => {
  const rng = new Rng(77)
  for (let i = 0; i < 200; i++) {
    const { magic } = rng.pick(BITCOIN_NETWORKS)
    const bad = encodeFrame(magic, randomMessage(rng))
    bad[20 + rng.int(4)] ^= 1 + rng.int(255)
    const good = randomMessage(rng)
    const items = feedInChunks(rng, new FrameParser(magic), Buffer.concat([bad, encodeFrame(magic, good)]))
    assert.equal(items.length, 2)
    assert.equal(items[0].kind === 'error' && items[0].error.reason, 'bad-checksum')
    assert.deepEqual(items[1].kind === 'message' && items[1].message, good)
  }
})
