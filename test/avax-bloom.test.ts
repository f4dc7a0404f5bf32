import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { DecodeError } from '../src/errors.js'
import { BloomFilter, bloomHash, optimalParameters } from '../adapters/avax/bloom.js'

/** Seeds given as bytes, so filters are reproducible. */
function seeded (...seeds: bigint[]): (n: number) => Uint8Array {
  return (n) => {
    const out = new Uint8Array(n)
    const view = new DataView(out.buffer)
    seeds.forEach((s, i) => view.setBigUint64(i * 8, s, false))
    return out
  }
}

describe('avax bloom filter', () => {
  it('hashes as the first 8 bytes (big-endian) of sha256(key || salt)', () => {
    const key = randomBytes(32)
    const salt = randomBytes(32)
    const expected = createHash('sha256').update(key).update(salt).digest().readBigUInt64BE(0)
    assert.equal(bloomHash(key, salt), expected)
    assert.notEqual(bloomHash(key, salt), bloomHash(key, randomBytes(32)), 'salt changes the hash')
  })

  it('sets bits as utils/bloom does: rotl64(h, 17) XOR seed, mod numBits, low bit first', () => {
    // One seed 3, 8 bits: rotl64(1, 17) = 131072; ^3 = 131075; mod 8 = 3 → 0x08.
    const one = BloomFilter.create(1, 1, seeded(3n))
    one.add(1n)
    assert.deepEqual(one.entries, Uint8Array.of(0x08))
    // Second seed 0: rotl64(131075, 17) has 17 low zero bits → bit 0 → 0x09.
    const two = BloomFilter.create(2, 1, seeded(3n, 0n))
    two.add(1n)
    assert.deepEqual(two.entries, Uint8Array.of(0x09))
    // Rotation wraps the top bit: rotl64(2^63, 17) = 2^16 → mod 16 = 0 → byte 0 bit 0.
    const wrap = BloomFilter.create(1, 2, seeded(0n))
    wrap.add(1n << 63n)
    assert.deepEqual(wrap.entries, Uint8Array.of(0x01, 0x00))
  })

  it('marshals as [numHashes][seeds, 8 bytes big-endian each][bits] and parses back', () => {
    const f = BloomFilter.create(2, 3, seeded(0x0102030405060708n, 0xffn))
    f.add(42n)
    const wire = f.marshal()
    assert.equal(wire.length, 1 + 16 + 3)
    assert.equal(wire[0], 2)
    assert.deepEqual(wire.subarray(1, 9), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))
    assert.deepEqual(wire.subarray(9, 17), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0xff))
    const parsed = BloomFilter.parse(wire)
    assert.ok(parsed.contains(42n))
    assert.deepEqual(parsed.marshal(), wire)
  })

  it('has no false negatives', () => {
    const { numHashes, numEntries } = optimalParameters(2000, 0.01)
    const f = BloomFilter.create(numHashes, numEntries)
    const salt = randomBytes(32)
    const keys = Array.from({ length: 2000 }, () => randomBytes(32))
    for (const k of keys) f.add(bloomHash(k, salt))
    for (const k of keys) assert.ok(f.contains(bloomHash(k, salt)))
    const parsed = BloomFilter.parse(f.marshal())
    for (const k of keys) assert.ok(parsed.contains(bloomHash(k, salt)))
  })

  for (const target of [0.01, 0.001]) {
    it(`keeps false positives near the target rate (${target})`, () => {
      const count = 1000
      const { numHashes, numEntries } = optimalParameters(count, target)
      const f = BloomFilter.create(numHashes, numEntries)
      const salt = randomBytes(32)
      for (let i = 0; i < count; i++) f.add(bloomHash(randomBytes(32), salt))
      const trials = 50_000
      let positives = 0
      for (let i = 0; i < trials; i++) if (f.contains(bloomHash(randomBytes(32), salt))) positives++
      const rate = positives / trials
      assert.ok(rate < target * 2.5, `false-positive rate ${rate} for target ${target}`)
    })
  }

  it('an empty filter contains nothing; a full one everything', () => {
    const empty = BloomFilter.create(4, 8)
    const full = BloomFilter.parse(Uint8Array.from([...empty.marshal().subarray(0, 33), ...new Uint8Array(8).fill(0xff)]))
    for (let i = 0; i < 100; i++) {
      const h = bloomHash(randomBytes(8), new Uint8Array(0))
      assert.equal(empty.contains(h), false)
      assert.equal(full.contains(h), true)
    }
  })

  it('sizes filters like utils/bloom OptimalParameters', () => {
    // 1000 entries at 1%: 1000 * ln(100) / ln2² = 9585.06 bits, floor((9585.06 + 7) / 8) = 1199 bytes,
    // ceil(1199 * 8 * ln2 / 1000) = 7 hashes.
    assert.deepEqual(optimalParameters(1000, 0.01), { numHashes: 7, numEntries: 1199 })
    assert.equal(optimalParameters(1, 1e-12).numHashes, 16, 'capped at 16 hashes')
    // 6 entries at 50%: 8.66 bits; utils/bloom's floor((8.66 + 7) / 8) = 1 byte, where ceil(8.66 / 8) would be 2.
    assert.deepEqual(optimalParameters(6, 0.5), { numHashes: 1, numEntries: 1 })
    // No entries: utils/bloom gives one byte and the most hashes.
    assert.deepEqual(optimalParameters(0, 0.01), { numHashes: 16, numEntries: 1 })
    assert.deepEqual(optimalParameters(10, 1), { numHashes: 1, numEntries: 1 })
  })

  describe('refuses malformed filters from peers', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['zero hashes', Uint8Array.of(0, 1)],
      ['17 hashes', Uint8Array.from([17, ...new Uint8Array(17 * 8 + 1)])],
      ['no bits', Uint8Array.from([1, ...new Uint8Array(8)])],
      ['truncated seeds', Uint8Array.of(2, 1, 2, 3)]
    ]
    for (const [name, wire] of cases) {
      it(name, () => {
        assert.throws(() => BloomFilter.parse(wire), (err: unknown) => err instanceof DecodeError && err.reason === 'bad-bloom-filter')
      })
    }
  })
})
