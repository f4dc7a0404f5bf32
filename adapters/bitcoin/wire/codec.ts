// Primitive readers and writers of the Bitcoin serialization: little-endian integers,
// CompactSize, var_bytes/var_str. The Reader checks every length against the bytes that
// remain before it slices or allocates, so a peer-supplied count never sizes memory.
import { DecodeError } from '../../../src/errors.js'

/** Core's MAX_SIZE: no CompactSize length or count may exceed it (serialize.h). */
export const MAX_COMPACT_SIZE = 0x02000000

/** A CompactSize count over its limit; `declared` is the count the peer wrote (an addr message declaring 50,000 entries, say). */
export class CountLimitError extends DecodeError {
  readonly declared: number
  constructor (reason: string, message: string, declared: number) {
    super(reason, message)
    this.declared = declared
  }
}

const utf8Decoder = new TextDecoder('utf-8')
const utf8Encoder = new TextEncoder()

export class Reader {
  private offset = 0
  private readonly view: DataView

  constructor (private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  }

  get remaining (): number {
    return this.data.length - this.offset
  }

  /** Claim `length` bytes, or throw 'truncated' when fewer remain. */
  private take (length: number, what: string): number {
    if (length > this.remaining) {
      throw new DecodeError('truncated', `${what}: needs ${length} bytes, ${this.remaining} left`)
    }
    const at = this.offset
    this.offset += length
    return at
  }

  /** A view into the payload (no copy); callers that keep it must copy. */
  bytes (length: number, what = 'bytes'): Uint8Array {
    const at = this.take(length, what)
    return this.data.subarray(at, at + length)
  }

  skip (length: number, what = 'bytes'): void {
    this.take(length, what)
  }

  u8 (what = 'u8'): number {
    return this.view.getUint8(this.take(1, what))
  }

  u16be (what = 'u16'): number {
    return this.view.getUint16(this.take(2, what), false)
  }

  u16le (what = 'u16'): number {
    return this.view.getUint16(this.take(2, what), true)
  }

  u32le (what = 'u32'): number {
    return this.view.getUint32(this.take(4, what), true)
  }

  i32le (what = 'i32'): number {
    return this.view.getInt32(this.take(4, what), true)
  }

  u64le (what = 'u64'): bigint {
    return this.view.getBigUint64(this.take(8, what), true)
  }

  i64le (what = 'i64'): bigint {
    return this.view.getBigInt64(this.take(8, what), true)
  }

  /** A CompactSize in full (up to 2^64-1); the shortest encoding is required, as in Core. */
  compactSize (what = 'compactSize'): bigint {
    const first = this.u8(what)
    if (first < 0xfd) return BigInt(first)
    let value: bigint
    let minimum: bigint
    if (first === 0xfd) {
      value = BigInt(this.u16le(what))
      minimum = 0xfdn
    } else if (first === 0xfe) {
      value = BigInt(this.u32le(what))
      minimum = 0x10000n
    } else {
      value = this.u64le(what)
      minimum = 0x100000000n
    }
    if (value < minimum) {
      throw new DecodeError('non-canonical-compactsize', `${what}: ${value} encoded in ${first === 0xfd ? 3 : first === 0xfe ? 5 : 9} bytes`)
    }
    return value
  }

  /**
   * A CompactSize used as a count or length. Above `limit` throws `reason`; more than the
   * remaining bytes can hold (`minBytesEach` per element) throws 'truncated'. Both checks
   * come before the caller allocates anything.
   */
  length (what: string, limit = MAX_COMPACT_SIZE, reason = 'too-large', minBytesEach = 1): number {
    const value = this.compactSize(what)
    if (value > BigInt(limit)) {
      throw new CountLimitError(reason, `${what}: ${value} exceeds the limit of ${limit}`, Number(value))
    }
    const n = Number(value)
    if (n * minBytesEach > this.remaining) {
      throw new DecodeError('truncated', `${what}: ${n} needs ${n * minBytesEach} bytes, ${this.remaining} left`)
    }
    return n
  }

  varBytes (what: string, limit = MAX_COMPACT_SIZE, reason = 'too-large'): Uint8Array {
    return this.bytes(this.length(what, limit, reason), what)
  }

  /** UTF-8 text; invalid sequences become U+FFFD (the string is only displayed). */
  varStr (what: string, limit = MAX_COMPACT_SIZE, reason = 'too-large'): string {
    return utf8Decoder.decode(this.varBytes(what, limit, reason))
  }
}

export class Writer {
  private buffer = new Uint8Array(64)
  private view = new DataView(this.buffer.buffer)
  private length = 0

  /** Room for n more bytes; may replace buffer and view, so call it before touching them. */
  private reserve (n: number): number {
    const needed = this.length + n
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2))
      grown.set(this.buffer.subarray(0, this.length))
      this.buffer = grown
      this.view = new DataView(grown.buffer)
    }
    const at = this.length
    this.length = needed
    return at
  }

  bytes (b: Uint8Array): this {
    const at = this.reserve(b.length)
    this.buffer.set(b, at)
    return this
  }

  u8 (v: number): this {
    const value = checkInt(v, 0, 0xff)
    const at = this.reserve(1)
    this.view.setUint8(at, value)
    return this
  }

  u16be (v: number): this {
    const value = checkInt(v, 0, 0xffff)
    const at = this.reserve(2)
    this.view.setUint16(at, value, false)
    return this
  }

  u16le (v: number): this {
    const value = checkInt(v, 0, 0xffff)
    const at = this.reserve(2)
    this.view.setUint16(at, value, true)
    return this
  }

  u32le (v: number): this {
    const value = checkInt(v, 0, 0xffffffff)
    const at = this.reserve(4)
    this.view.setUint32(at, value, true)
    return this
  }

  i32le (v: number): this {
    const value = checkInt(v, -0x80000000, 0x7fffffff)
    const at = this.reserve(4)
    this.view.setInt32(at, value, true)
    return this
  }

  u64le (v: bigint): this {
    const value = checkBig(v, 0n, 0xffffffffffffffffn)
    const at = this.reserve(8)
    this.view.setBigUint64(at, value, true)
    return this
  }

  i64le (v: bigint): this {
    const value = checkBig(v, -0x8000000000000000n, 0x7fffffffffffffffn)
    const at = this.reserve(8)
    this.view.setBigInt64(at, value, true)
    return this
  }

  /** Shortest encoding, as Core writes it. */
  compactSize (value: number | bigint): this {
    const v = checkBig(BigInt(value), 0n, 0xffffffffffffffffn)
    if (v < 0xfdn) return this.u8(Number(v))
    if (v <= 0xffffn) return this.u8(0xfd).u16le(Number(v))
    if (v <= 0xffffffffn) return this.u8(0xfe).u32le(Number(v))
    return this.u8(0xff).u64le(v)
  }

  varBytes (b: Uint8Array): this {
    return this.compactSize(b.length).bytes(b)
  }

  varStr (s: string): this {
    return this.varBytes(utf8Encoder.encode(s))
  }

  finish (): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}

/** A plain Uint8Array copy (Buffer#slice would share memory, and deep-equal a Buffer against a Uint8Array fails). */
export function copyBytes (b: Uint8Array): Uint8Array {
  return new Uint8Array(b)
}

export function utf8Length (s: string): number {
  return utf8Encoder.encode(s).length
}

// Encoding our own messages with out-of-range fields is a programming error, not a peer's.
function checkInt (v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${v} is not an integer in [${min}, ${max}]`)
  return v
}

function checkBig (v: bigint, min: bigint, max: bigint): bigint {
  if (v < min || v > max) throw new RangeError(`${v} is out of range [${min}, ${max}]`)
  return v
}
