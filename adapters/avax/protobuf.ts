// A minimal protobuf (proto3) wire codec: just what the AVAX p2p messages need (varint,
// 64-bit varint, bool, bytes, string, embedded messages, packed and unpacked repeated
// uint32). Decoding treats every byte as hostile: bounded varints, bounded lengths,
// bounded repeated fields, unknown fields skipped, groups refused.
import { DecodeError } from '../../src/errors.js'

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LENGTH_DELIMITED = 2
export const WIRE_FIXED32 = 5

/** More entries of one repeated field than any honest message carries. */
export const MAX_REPEATED = 10_000

const MAX_VARINT_BYTES = 10

export class ProtobufWriter {
  private readonly chunks: Uint8Array[] = []
  private length = 0

  private push (bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.length
  }

  private tag (field: number, wireType: number): void {
    this.push(encodeVarint(BigInt(field) << 3n | BigInt(wireType)))
  }

  /** uint32 / uint64 / bool; proto3 omits zero values. */
  uint (field: number, value: number | bigint | boolean): this {
    const v = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value)
    if (v === 0n) return this
    this.tag(field, WIRE_VARINT)
    this.push(encodeVarint(v))
    return this
  }

  bytes (field: number, value: Uint8Array | undefined): this {
    if (value === undefined || value.length === 0) return this
    return this.lengthDelimited(field, value)
  }

  string (field: number, value: string | undefined): this {
    if (value === undefined || value === '') return this
    return this.lengthDelimited(field, new TextEncoder().encode(value))
  }

  /** An embedded message; written even when empty, so presence survives a round trip. */
  message (field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this
    return this.lengthDelimited(field, value)
  }

  repeatedBytes (field: number, values: readonly Uint8Array[]): this {
    for (const v of values) this.lengthDelimited(field, v)
    return this
  }

  /** Packed, as proto3 writes repeated scalars. */
  packedUint32 (field: number, values: readonly number[]): this {
    if (values.length === 0) return this
    const inner = new ProtobufWriter()
    for (const v of values) inner.push(encodeVarint(BigInt(v >>> 0)))
    return this.lengthDelimited(field, inner.finish())
  }

  private lengthDelimited (field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED)
    this.push(encodeVarint(BigInt(value.length)))
    this.push(value)
    return this
  }

  finish (): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const c of this.chunks) {
      out.set(c, offset)
      offset += c.length
    }
    return out
  }
}

export function encodeVarint (value: bigint): Uint8Array {
  if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError(`varint out of range: ${value}`)
  const out: number[] = []
  let v = value
  do {
    const low = Number(v & 0x7fn)
    v >>= 7n
    out.push(v === 0n ? low : low | 0x80)
  } while (v !== 0n)
  return Uint8Array.from(out)
}

export interface Field {
  number: number
  wireType: number
  /** Set for varints. */
  varint?: bigint
  /** Set for length-delimited fields (a view into the input). */
  bytes?: Uint8Array
}

export class ProtobufReader {
  private offset = 0
  constructor (private readonly buf: Uint8Array) {}

  done (): boolean {
    return this.offset >= this.buf.length
  }

  readVarint (): bigint {
    let result = 0n
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.offset >= this.buf.length) throw new DecodeError('truncated', 'varint runs past the end of the message')
      const b = this.buf[this.offset++]
      result |= BigInt(b & 0x7f) << BigInt(7 * i)
      if ((b & 0x80) === 0) {
        if (result > 0xffffffffffffffffn) throw new DecodeError('bad-varint', 'varint exceeds 64 bits')
        return result
      }
    }
    throw new DecodeError('bad-varint', `varint longer than ${MAX_VARINT_BYTES} bytes`)
  }

  private take (length: number): Uint8Array {
    if (length > this.buf.length - this.offset) {
      throw new DecodeError('truncated', `field of ${length} bytes runs past the end of the message`)
    }
    const out = this.buf.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  /** The next field; unknown fixed-width fields are read and returned without a value. */
  next (): Field {
    const key = this.readVarint()
    const number = Number(key >> 3n)
    const wireType = Number(key & 7n)
    if (number === 0 || number > 536_870_911) throw new DecodeError('bad-field-number', `invalid field number ${number}`)
    switch (wireType) {
      case WIRE_VARINT: return { number, wireType, varint: this.readVarint() }
      case WIRE_FIXED64: this.take(8); return { number, wireType }
      case WIRE_FIXED32: this.take(4); return { number, wireType }
      case WIRE_LENGTH_DELIMITED: {
        const length = this.readVarint()
        if (length > BigInt(this.buf.length - this.offset)) {
          throw new DecodeError('truncated', `field ${number} claims ${length} bytes, ${this.buf.length - this.offset} remain`)
        }
        return { number, wireType, bytes: this.take(Number(length)) }
      }
      default:
        // Groups (3, 4) are long deprecated and 6, 7 do not exist.
        throw new DecodeError('bad-wire-type', `field ${number} has unsupported wire type ${wireType}`)
    }
  }
}

function expect (field: Field, wireType: number): void {
  if (field.wireType !== wireType) {
    throw new DecodeError('bad-wire-type', `field ${field.number} has wire type ${field.wireType}, expected ${wireType}`)
  }
}

/** Go's proto decoder truncates an over-wide varint to 32 bits; so do we. */
export function asUint32 (field: Field): number {
  expect(field, WIRE_VARINT)
  return Number((field.varint ?? 0n) & 0xffffffffn)
}

export function asUint64 (field: Field): bigint {
  expect(field, WIRE_VARINT)
  return field.varint ?? 0n
}

export function asBool (field: Field): boolean {
  expect(field, WIRE_VARINT)
  return field.varint !== 0n
}

export function asBytes (field: Field): Uint8Array {
  expect(field, WIRE_LENGTH_DELIMITED)
  // Copy: decoded messages must not pin or alias the receive buffer.
  return Uint8Array.from(field.bytes ?? [])
}

export function asString (field: Field): string {
  expect(field, WIRE_LENGTH_DELIMITED)
  return new TextDecoder('utf-8', { fatal: false }).decode(field.bytes)
}

/** Embedded message bytes (a view; the caller decodes them at once). */
export function asMessage (field: Field): Uint8Array {
  expect(field, WIRE_LENGTH_DELIMITED)
  return field.bytes ?? new Uint8Array(0)
}

/** A repeated uint32 in either encoding (decoders must accept packed and unpacked). */
export function appendUint32s (field: Field, into: number[]): void {
  if (field.wireType === WIRE_VARINT) {
    pushBounded(into, asUint32(field), field.number)
    return
  }
  const reader = new ProtobufReader(asMessage(field))
  while (!reader.done()) pushBounded(into, Number(reader.readVarint() & 0xffffffffn), field.number)
}

export function pushBounded<T> (into: T[], value: T, fieldNumber: number): void {
  if (into.length >= MAX_REPEATED) {
    throw new DecodeError('too-many-entries', `field ${fieldNumber} repeats more than ${MAX_REPEATED} times`)
  }
  into.push(value)
}
