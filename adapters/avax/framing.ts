// AvalancheGo frames every message with a 4-byte big-endian length prefix. A declared
// length above the maximum message size, or above what we agreed to buffer, ends the
// session before a single payload byte is buffered.
import { DecodeError } from '../../src/errors.js'

/** AvalancheGo's constants.DefaultMaxMessageSize (2 MiB). */
export const MAX_MESSAGE_SIZE = 2 * 1024 * 1024
export const LENGTH_PREFIX_BYTES = 4

export function encodeFrame (payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_MESSAGE_SIZE) throw new RangeError(`message of ${payload.length} bytes exceeds ${MAX_MESSAGE_SIZE}`)
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + payload.length)
  new DataView(out.buffer).setUint32(0, payload.length, false)
  out.set(payload, LENGTH_PREFIX_BYTES)
  return out
}

/**
 * Splits a byte stream into message payloads. `push` throws a fatal DecodeError:
 * 'oversized-payload' (above MAX_MESSAGE_SIZE) or 'buffer-limit' (above the
 * session's maxBufferedBytes).
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = []
  private buffered = 0

  constructor (private readonly maxBufferedBytes: number = MAX_MESSAGE_SIZE) {}

  /** Bytes held for an incomplete message. */
  get bufferedBytes (): number {
    return this.buffered
  }

  push (chunk: Uint8Array): Uint8Array[] {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const frames: Uint8Array[] = []
    while (this.buffered >= LENGTH_PREFIX_BYTES) {
      const length = this.peekLength()
      if (length > MAX_MESSAGE_SIZE) {
        throw new DecodeError('oversized-payload', `peer announced a ${length}-byte message; the maximum is ${MAX_MESSAGE_SIZE}`, true)
      }
      if (LENGTH_PREFIX_BYTES + length > this.maxBufferedBytes) {
        throw new DecodeError('buffer-limit', `peer announced a ${length}-byte message; this session buffers at most ${this.maxBufferedBytes}`, true)
      }
      if (this.buffered < LENGTH_PREFIX_BYTES + length) break
      const whole = this.take(LENGTH_PREFIX_BYTES + length)
      frames.push(whole.subarray(LENGTH_PREFIX_BYTES))
    }
    return frames
  }

  private peekLength (): number {
    const head = this.chunks[0].length >= LENGTH_PREFIX_BYTES ? this.chunks[0] : this.concat()
    return new DataView(head.buffer, head.byteOffset, LENGTH_PREFIX_BYTES).getUint32(0, false)
  }

  private concat (): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]
    const all = new Uint8Array(this.buffered)
    let offset = 0
    for (const c of this.chunks) {
      all.set(c, offset)
      offset += c.length
    }
    this.chunks = [all]
    return all
  }

  private take (n: number): Uint8Array {
    const all = this.concat()
    // A copy: frames must not alias (possibly pooled) socket buffers.
    const out = new Uint8Array(all.subarray(0, n))
    this.chunks = n < all.length ? [all.subarray(n)] : []
    this.buffered -= n
    return out
  }
}
