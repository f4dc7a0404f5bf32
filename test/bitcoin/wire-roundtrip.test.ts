// Property tests over seeded random messages of every type: decode(encode(m)) deep-equals m,
// encode(decode(bytes)) gives the same bytes, and frames survive any chunking.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalIPv6 } from '../../src/net/endpoint.js'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'
import {
  FrameParser, commandName, decodePayload, encodeFrame, encodePayload, formatIPv6, parseIPv6, type BitcoinMessage
} from '../../adapters/bitcoin/wire/index.js'
import { Rng, feedInChunks, randomMessage } from './fuzz-codec.js'

const CASES = 3000

test(`payload round trip over ${CASES} random messages`, () => {
  const rng = new Rng(0x5eed)
  const seen = new Set<string>()
  for (let i = 0; i < CASES; i++) {
    const msg = randomMessage(rng)
    seen.add(msg.command)
    const bytes = encodePayload(msg)
    const decoded = decodePayload(commandName(msg), bytes)
    assert.deepEqual(decoded, msg, `case ${i}`)
    assert.deepEqual(encodePayload(decoded), bytes, `case ${i}`)
  }
  assert.equal(seen.size, 10, 'every message type was generated')
})

test(`frame round trip over ${CASES / 3} random messages in random chunkings`, () => {
  const rng = new Rng(0xf4a3e)
  for (let i = 0; i < CASES / 3; i++) {
    const { magic } = rng.pick(BITCOIN_NETWORKS)
    const messages: BitcoinMessage[] = Array.from({ length: 1 + rng.int(3) }, () => randomMessage(rng))
    const frames = messages.map((m) => encodeFrame(magic, m))
    const parser = new FrameParser(magic)
    const items = feedInChunks(rng, parser, Buffer.concat(frames))
    assert.deepEqual(items, messages.map((message, k) => ({ kind: 'message', message, bytes: frames[k].length })), `case ${i}`)
    assert.equal(parser.bufferedBytes, 0)
  }
})

test('IPv6 text: formatIPv6 is RFC 5952 (agrees with canonicalIPv6) and parseIPv6 inverts it', () => {
  const rng = new Rng(6)
  for (let i = 0; i < CASES; i++) {
    const bytes = rng.bytes(16)
    for (let g = 0; g < 8; g++) if (rng.int(2) === 0) { bytes[2 * g] = 0; bytes[2 * g + 1] = 0 }
    const text = formatIPv6(bytes)
    // The URL parser writes IPv4-mapped addresses its own way; those render dotted here anyway.
    if (!text.startsWith('::ffff:')) assert.equal(text, canonicalIPv6(text))
    assert.deepEqual(parseIPv6(text), bytes)
    assert.deepEqual(parseIPv6(canonicalIPv6(text)), bytes)
  }
  assert.deepEqual(parseIPv6('::ffff:1.2.3.4'), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4))
  assert.equal(parseIPv6('1.2.3.4'), undefined)
})
