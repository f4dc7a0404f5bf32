// A bloom filter wire-compatible with AvalancheGo's utils/bloom, as read from its source:
//  - an element is a uint64: the first 8 bytes (big-endian) of sha256(key || salt);
//  - for each of numHashes random uint64 seeds: hash = rotl64(hash, 17) XOR seed, and
//    bit (hash mod numBits) is set, bit i of byte i/8 counted from the low bit;
//  - marshalled as [numHashes:1][seeds: 8 bytes BE each][bit array], numHashes 1..16 and
//    at least one byte of bits.
// Not matched: AvalancheGo's periodic reset and its cap on entries per validator (the
// peer list gossip tracker's policy, not the filter); a session here is short, so a fresh
// filter with a fresh salt and seeds is built for every request instead.
import { randomBytes } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { DecodeError } from '../../src/errors.js'

export const MIN_HASHES = 1
export const MAX_HASHES = 16
const HASH_ROTATION = 17n
const MASK64 = 0xffffffffffffffffn

function rotl64 (x: bigint, n: bigint): bigint {
  return ((x << n) | (x >> (64n - n))) & MASK64
}

/** The filter element for `key` under `salt`. */
export function bloomHash (key: Uint8Array, salt: Uint8Array): bigint {
  const input = new Uint8Array(key.length + salt.length)
  input.set(key)
  input.set(salt, key.length)
  const digest = sha256(input)
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, false)
}

/** numHashes and numEntries (bytes) for `count` elements at false-positive probability `p`, as utils/bloom's OptimalParameters. */
export function optimalParameters (count: number, p: number): { numHashes: number, numEntries: number } {
  // OptimalEntries: one byte for no elements or p >= 1; else floor((bits + 7) / 8), bits unrounded.
  if (count <= 0) return { numHashes: MAX_HASHES, numEntries: 1 }
  const bits = p >= 1 ? 0 : -count * Math.log(p) / (Math.LN2 * Math.LN2)
  const numEntries = Math.max(1, Math.floor((bits + 7) / 8))
  // OptimalHashes: ceil(bits * ln2 / count), clamped to 1..16.
  const numHashes = Math.min(MAX_HASHES, Math.max(MIN_HASHES, Math.ceil(numEntries * 8 * Math.LN2 / count)))
  return { numHashes, numEntries }
}

export class BloomFilter {
  private constructor (readonly seeds: readonly bigint[], readonly entries: Uint8Array) {}

  static create (numHashes: number, numEntries: number, random: (n: number) => Uint8Array = randomBytes): BloomFilter {
    if (!Number.isInteger(numHashes) || numHashes < MIN_HASHES || numHashes > MAX_HASHES) throw new RangeError(`numHashes must be ${MIN_HASHES}-${MAX_HASHES}`)
    if (!Number.isInteger(numEntries) || numEntries < 1) throw new RangeError('numEntries must be at least 1')
    const seedBytes = random(numHashes * 8)
    const view = new DataView(seedBytes.buffer, seedBytes.byteOffset, seedBytes.byteLength)
    const seeds = Array.from({ length: numHashes }, (_, i) => view.getBigUint64(i * 8, false))
    return new BloomFilter(seeds, new Uint8Array(numEntries))
  }

  /** A peer's marshalled filter. Throws DecodeError 'bad-bloom-filter'. */
  static parse (bytes: Uint8Array): BloomFilter {
    if (bytes.length === 0) throw new DecodeError('bad-bloom-filter', 'empty bloom filter')
    const numHashes = bytes[0]
    const entriesOffset = 1 + numHashes * 8
    if (numHashes < MIN_HASHES || numHashes > MAX_HASHES) throw new DecodeError('bad-bloom-filter', `bloom filter has ${numHashes} hashes; expected ${MIN_HASHES}-${MAX_HASHES}`)
    if (bytes.length < entriesOffset + 1) throw new DecodeError('bad-bloom-filter', 'bloom filter has no bits')
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const seeds = Array.from({ length: numHashes }, (_, i) => view.getBigUint64(1 + i * 8, false))
    return new BloomFilter(seeds, bytes.slice(entriesOffset))
  }

  private get numBits (): bigint {
    return BigInt(this.entries.length * 8)
  }

  add (hash: bigint): void {
    let h = hash
    for (const seed of this.seeds) {
      h = rotl64(h, HASH_ROTATION) ^ seed
      const index = Number(h % this.numBits)
      this.entries[index >> 3] |= 1 << (index & 7)
    }
  }

  contains (hash: bigint): boolean {
    let h = hash
    for (const seed of this.seeds) {
      h = rotl64(h, HASH_ROTATION) ^ seed
      const index = Number(h % this.numBits)
      if ((this.entries[index >> 3] & (1 << (index & 7))) === 0) return false
    }
    return true
  }

  marshal (): Uint8Array {
    const out = new Uint8Array(1 + this.seeds.length * 8 + this.entries.length)
    const view = new DataView(out.buffer)
    out[0] = this.seeds.length
    this.seeds.forEach((seed, i) => view.setBigUint64(1 + i * 8, seed, false))
    out.set(this.entries, 1 + this.seeds.length * 8)
    return out
  }
}
