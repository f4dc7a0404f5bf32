// Property tests over seeded random messages of every type: decode(encode(m)) deep-equals m,
// encode(decode(bytes)) gives the same bytes, and frames survive any chunking.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ipv6FromBytes, ipv6ToBytes } from '../../src/net/ip.js'
import { BITCOIN_NETWORKS } from '../../adapters/bitcoin/params.js'
import {
  FrameParser, commandName, decodePayload, encodeFrame, encodePayload, type BitcoinMessage
} from '../../adapters/bitcoin/wire/index.js'
import { Rng, feedInChunks, randomMessage } from './fuzz-codec.js'

const CASES = 3000

/** The WHATWG URL parser's IPv6 serialisation: RFC 5952 from an independent implementation. */
const urlCanonical = (text: string): string => new URL(`http://[${text}]/`).hostname.slice(1, -1)

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

test('IPv6 text: ipv6FromBytes is RFC 5952 (agrees with the WHATWG URL parser) and ipv6ToBytes inverts it', () => {
  const rng = new Rng(6)
  for (let i = 0; i < CASES; i++) {
    const bytes = rng.bytes(16)
    for (let g = 0; g < 8; g++) if (rng.int(2) === 0) { bytes[2 * g] = 0; bytes[2 * g + 1] = 0 }
    const text = ipv6FromBytes(bytes)
    // The URL parser writes IPv4-mapped addresses its own way; those render dotted here anyway.
    if (!text.startsWith('::ffff:')) assert.equal(text, urlCanonical(text))
    assert.deepEqual(ipv6ToBytes(text), bytes)
    assert.deepEqual(ipv6ToBytes(urlCanonical(text)), bytes)
  }
  assert.deepEqual(ipv6ToBytes('::ffff:1.2.3.4'), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4))
  assert.equal(ipv6ToBytes('1.2.3.4'), undefined)
})
