// v1 framing: magic[4] | message type[12] | payload length u32 LE | checksum[4] | payload.
// FrameParser turns a byte stream cut anywhere into messages and error items. It holds at
// most one unfinished frame, built from bytes that actually arrived: a declared length is
// checked against the limits before any body byte is kept, and never sizes an allocation.
import { createHash } from 'node:crypto'
import { DecodeError } from '../../../src/errors.js'
import { MAX_PAYLOAD } from '../params.js'
import { copyBytes, CountLimitError } from './codec.js'
import { commandName, decodePayload, encodePayload, type BitcoinMessage } from './messages.js'

export const HEADER_BYTES = 24
const COMMAND_BYTES = 12

/**
 * First 4 bytes of SHA256(SHA256(payload)). node:crypto (OpenSSL), not @noble/hashes: every
 * frame in and out is hashed, and on 4.7 KB address answers OpenSSL is about 6× faster.
 */
export function checksum (payload: Uint8Array): Uint8Array {
  const once = createHash('sha256').update(payload).digest()
  const twice = createHash('sha256').update(once).digest()
  return new Uint8Array([twice[0], twice[1], twice[2], twice[3]])
}

/** Core's IsMessageTypeValid: printable ASCII, then NUL padding only. */
export function decodeCommand (field: Uint8Array): string | undefined {
  let end = field.indexOf(0)
  if (end === -1) end = field.length
  for (let i = 0; i < field.length; i++) {
    const b = field[i]
    if (i < end ? b < 0x20 || b > 0x7e : b !== 0) return undefined
  }
  return String.fromCharCode(...field.subarray(0, end))
}

function encodeCommand (name: string): Uint8Array {
  const field = new Uint8Array(COMMAND_BYTES)
  for (let i = 0; i < name.length; i++) field[i] = name.charCodeAt(i)
  if (name.length > COMMAND_BYTES || decodeCommand(field) !== name) throw new RangeError(`'${name}' is not a valid message type`)
  return field
}

export function encodeFrame (magic: Uint8Array, msg: BitcoinMessage): Uint8Array {
  if (magic.length !== 4) throw new RangeError('magic must be 4 bytes')
  const payload = encodePayload(msg)
  const frame = new Uint8Array(HEADER_BYTES + payload.length)
  const view = new DataView(frame.buffer)
  frame.set(magic, 0)
  frame.set(encodeCommand(commandName(msg)), 4)
  view.setUint32(16, payload.length, true)
  frame.set(checksum(payload), 20)
  frame.set(payload, HEADER_BYTES)
  return frame
}

export type ParsedFrame =
  | { kind: 'message', message: BitcoinMessage, bytes: number }
  /** command: the message type, when the frame was sound and only its payload did not decode. */
  | { kind: 'error', error: DecodeError, command?: string }

interface FrameHeader {
  /** undefined when the type field is invalid; the frame is read past and dropped. */
  command: string | undefined
  rawCommand: Uint8Array
  length: number
  checksum: Uint8Array
}

export interface FrameParserOptions {
  /** Larger declared payloads end the stream ('oversized-payload'). Default MAX_PAYLOAD. */
  maxPayload?: number
  /** A frame (header + payload) that would need more buffered bytes ends the stream ('buffer-limit'). */
  maxBufferedBytes?: number
}

export class FrameParser {
  private readonly maxPayload: number
  private readonly maxBufferedBytes: number
  private readonly headerBuffer = new Uint8Array(HEADER_BYTES)
  private headerFilled = 0
  private header: FrameHeader | undefined
  private bodyParts: Uint8Array[] = []
  private bodyFilled = 0
  private hasFailed = false

  constructor (private readonly magic: Uint8Array, options: FrameParserOptions = {}) {
    if (magic.length !== 4) throw new RangeError('magic must be 4 bytes')
    this.maxPayload = options.maxPayload ?? MAX_PAYLOAD
    this.maxBufferedBytes = options.maxBufferedBytes ?? Infinity
    if (this.maxBufferedBytes < HEADER_BYTES) throw new RangeError(`maxBufferedBytes must be at least ${HEADER_BYTES}`)
  }

  get bufferedBytes (): number {
    return this.headerFilled + this.bodyFilled
  }

  get failed (): boolean {
    return this.hasFailed
  }

  /** Never throws: decoding problems come back as error items; a fatal one ends the stream. */
  push (chunk: Uint8Array): ParsedFrame[] {
    const out: ParsedFrame[] = []
    let offset = 0
    while (offset < chunk.length && !this.hasFailed) {
      offset += this.header === undefined ? this.readHeader(chunk, offset, out) : this.readBody(chunk, offset, out)
    }
    return out
  }

  private readHeader (chunk: Uint8Array, offset: number, out: ParsedFrame[]): number {
    const n = Math.min(HEADER_BYTES - this.headerFilled, chunk.length - offset)
    this.headerBuffer.set(chunk.subarray(offset, offset + n), this.headerFilled)
    this.headerFilled += n
    // Wrong magic shows in its first differing byte; no need to wait for the whole header.
    for (let i = 0; i < Math.min(4, this.headerFilled); i++) {
      if (this.headerBuffer[i] !== this.magic[i]) {
        this.fail(out, 'bad-magic', `wrong network magic ${hex(this.headerBuffer.subarray(0, 4))} (expected ${hex(this.magic)})`)
        return n
      }
    }
    if (this.headerFilled < HEADER_BYTES) return n

    const view = new DataView(this.headerBuffer.buffer)
    const length = view.getUint32(16, true)
    if (length > this.maxPayload) {
      this.fail(out, 'oversized-payload', `payload of ${length} bytes exceeds ${this.maxPayload}`)
      return n
    }
    if (HEADER_BYTES + length > this.maxBufferedBytes) {
      this.fail(out, 'buffer-limit', `a ${HEADER_BYTES + length}-byte frame exceeds the buffer limit of ${this.maxBufferedBytes}`)
      return n
    }
    const rawCommand = this.headerBuffer.slice(4, 16)
    this.header = { command: decodeCommand(rawCommand), rawCommand, length, checksum: this.headerBuffer.slice(20, 24) }
    this.headerFilled = 0
    if (length === 0) this.finishFrame(new Uint8Array(0), out)
    return n
  }

  private readBody (chunk: Uint8Array, offset: number, out: ParsedFrame[]): number {
    const length = (this.header as FrameHeader).length
    const n = Math.min(length - this.bodyFilled, chunk.length - offset)
    if (this.bodyFilled === 0 && n === length) {
      // The whole payload is in this chunk: no copy.
      this.finishFrame(chunk.subarray(offset, offset + n), out)
      return n
    }
    this.bodyParts.push(copyBytes(chunk.subarray(offset, offset + n)))
    this.bodyFilled += n
    if (this.bodyFilled === length) this.finishFrame(concat(this.bodyParts, length), out)
    return n
  }

  private finishFrame (payload: Uint8Array, out: ParsedFrame[]): void {
    const header = this.header as FrameHeader
    this.header = undefined
    this.bodyParts = []
    this.bodyFilled = 0
    const sum = checksum(payload)
    if (!sum.every((b, i) => b === header.checksum[i])) {
      out.push({ kind: 'error', error: new DecodeError('bad-checksum', `checksum ${hex(header.checksum)} does not match payload (${hex(sum)})`) })
      return
    }
    if (header.command === undefined) {
      out.push({ kind: 'error', error: new DecodeError('bad-command', `invalid message type ${hex(header.rawCommand)}`) })
      return
    }
    try {
      out.push({ kind: 'message', message: decodePayload(header.command, payload), bytes: HEADER_BYTES + payload.length })
    } catch (err) {
      out.push({ kind: 'error', error: asDecodeError(err, header.command), command: header.command })
    }
  }

  private fail (out: ParsedFrame[], reason: string, message: string): void {
    this.hasFailed = true
    this.header = undefined
    this.headerFilled = 0
    this.bodyParts = []
    this.bodyFilled = 0
    out.push({ kind: 'error', error: new DecodeError(reason, message, true) })
  }
}

/** Keeps the no-throw promise even for a codec bug; 'internal' lets tests and fuzzing spot one. */
function asDecodeError (err: unknown, command: string): DecodeError {
  if (err instanceof CountLimitError) return new CountLimitError(err.reason, `${command}: ${err.message}`, err.declared)
  if (err instanceof DecodeError) return new DecodeError(err.reason, `${command}: ${err.message}`, err.fatal)
  return new DecodeError('internal', `${command}: ${err instanceof Error ? err.message : String(err)}`)
}

function concat (parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
