// Seeded generators of Bitcoin wire messages and a fuzz driver for the codec. The tests run
// it with a small budget; a fuzz script can run it with a large one:
//   fuzzCodec(1_000_000, Date.now())
import { DecodeError } from '../../src/errors.js'
import type { AddressType } from '../../src/contract.js'
import { BITCOIN_NETWORKS, MAX_ADDR_ENTRIES, MAX_USER_AGENT } from '../../adapters/bitcoin/params.js'
import {
  KNOWN_COMMANDS, FrameParser, checksum, commandName, decodePayload, encodeFrame, encodePayload,
  type BitcoinMessage, type NetAddress, type ParsedFrame,
  type ServiceAddress
} from '../../adapters/bitcoin/wire/index.js'
import { i2pFromHash, ipFromBytes16, ipv4FromBytes, ipv6FromBytes, onionFromPubkey } from '../../src/net/ip.js'

/** Every reason the codec may give; anything else (notably 'internal') is a bug. */
export const DECODE_REASONS = [
  'bad-magic', 'oversized-payload', 'buffer-limit', 'bad-checksum', 'bad-command', 'truncated', 'too-large',
  'non-canonical-compactsize', 'too-many-entries', 'address-too-long', 'bad-address-length', 'user-agent-too-long'
]

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export class Rng {
  private state: number
  constructor (seed: number) { this.state = seed >>> 0 }
  u32 (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** Integer in [0, n). */
  int (n: number): number { return Math.floor((this.u32() / 0x100000000) * n) }
  bool (): boolean { return (this.u32() & 1) === 1 }
  pick<T> (items: readonly T[]): T { return items[this.int(items.length)] }
  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff
    return out
  }

  /** A u64 of random width, so every CompactSize size class shows up. */
  u64 (): bigint {
    const bits = this.pick([0, 8, 16, 32, 64])
    const v = (BigInt(this.u32()) << 32n) | BigInt(this.u32())
    return bits === 64 ? v : v & ((1n << BigInt(bits)) - 1n)
  }

  i64 (): bigint { return BigInt.asIntN(64, this.u64()) }
  i32 (): number { return this.u32() | 0 }
}

const IPV4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

/** 16 random bytes that are plain public-looking IPv6 (no prefix Core treats specially, not fc00::/8). */
function randomIPv6Bytes (rng: Rng): Uint8Array {
  while (true) {
    const b = rng.bytes(16)
    // Runs of zero groups exercise the '::' rule.
    for (let i = 0; i < 8; i++) if (rng.int(3) === 0) { b[2 * i] = 0; b[2 * i + 1] = 0 }
    const special = IPV4_MAPPED.every((v, i) => b[i] === v) || b[0] === 0xfc ||
      (b[0] === 0xfd && ((b[1] === 0x87 && b[2] === 0xd8) || (b[1] === 0x6b && b[2] === 0x88)))
    if (!special) return b
  }
}

function randomHost (rng: Rng, type: AddressType): string {
  switch (type) {
    case 'ipv4': return ipv4FromBytes(rng.bytes(4))
    case 'ipv6': return ipv6FromBytes(randomIPv6Bytes(rng))
    case 'cjdns': return ipv6FromBytes(Uint8Array.of(0xfc, ...rng.bytes(15)))
    case 'yggdrasil': return ipv6FromBytes(Uint8Array.of(0x02, ...rng.bytes(15)))
    case 'onion': return onionFromPubkey(rng.bytes(32))
    case 'i2p': return i2pFromHash(rng.bytes(32))
  }
}

function randomServiceAddress (rng: Rng): ServiceAddress {
  const ip = rng.bool() ? Uint8Array.of(...IPV4_MAPPED, ...rng.bytes(4)) : rng.bytes(16)
  return { services: rng.u64(), host: ipFromBytes16(ip), port: rng.int(0x10000) }
}

function randomUserAgent (rng: Rng): string {
  const alphabet = rng.bool() ? '/Satoshi:0123456789.abcdefghijklmnopqrstuvwxyz()' : 'aé€😀/:'
  let s = ''
  const want = rng.int(rng.bool() ? 24 : MAX_USER_AGENT + 1)
  while (true) {
    const next = s + rng.pick([...alphabet])
    if (Buffer.byteLength(next) > want) return s
    s = next
  }
}

function randomAddresses (rng: Rng, types: readonly AddressType[]): NetAddress[] {
  const count = rng.int(50) === 0 ? rng.int(MAX_ADDR_ENTRIES + 1) : rng.int(12)
  return Array.from({ length: count }, () => {
    const type = rng.pick(types)
    return { time: rng.u32(), services: rng.u64(), type, host: randomHost(rng, type), port: rng.int(0x10000) }
  })
}

function randomCommandName (rng: Rng): string {
  while (true) {
    const length = rng.int(13)
    const name = String.fromCharCode(...Array.from({ length }, () => 0x20 + rng.int(0x5f)))
    if (!(KNOWN_COMMANDS as readonly string[]).includes(name)) return name
  }
}

const MESSAGE_KINDS = [...KNOWN_COMMANDS, 'other'] as const

export function randomMessage (rng: Rng): BitcoinMessage {
  const kind = rng.pick(MESSAGE_KINDS)
  switch (kind) {
    case 'version': return {
      command: kind,
      payload: {
        version: rng.i32(),
        services: rng.u64(),
        timestamp: rng.i64(),
        addrRecv: randomServiceAddress(rng),
        addrFrom: randomServiceAddress(rng),
        nonce: rng.u64(),
        userAgent: randomUserAgent(rng),
        startHeight: rng.i32(),
        relay: rng.bool()
      }
    }
    case 'verack': case 'sendaddrv2': case 'wtxidrelay': case 'getaddr': return { command: kind }
    case 'addr': return { command: kind, addresses: randomAddresses(rng, ['ipv4', 'ipv6', 'cjdns']) }
    case 'addrv2': return { command: kind, addresses: randomAddresses(rng, ['ipv4', 'ipv6', 'cjdns', 'onion', 'i2p', 'yggdrasil']), skipped: 0 }
    case 'ping': case 'pong': return { command: kind, nonce: rng.u64() }
    case 'other': return { command: kind, name: randomCommandName(rng), payload: rng.bytes(rng.int(200)) }
  }
}

/** A frame with a valid header and checksum around random bytes, to reach the payload decoders. */
function garbageFrame (rng: Rng, magic: Uint8Array): Uint8Array {
  const name = rng.pick(KNOWN_COMMANDS)
  const payload = rng.bytes(rng.int(120))
  // Often a plausible start (small count, known network id) so decoding goes deeper.
  if (payload.length > 0 && rng.bool()) payload[0] = rng.int(4)
  if (payload.length > 6 && rng.bool()) payload[6] = rng.int(9)
  const frame = new Uint8Array(24 + payload.length)
  frame.set(magic)
  for (let i = 0; i < name.length; i++) frame[4 + i] = name.charCodeAt(i)
  new DataView(frame.buffer).setUint32(16, payload.length, true)
  frame.set(checksum(payload), 20)
  frame.set(payload, 24)
  return frame
}

function mutate (rng: Rng, frame: Uint8Array): Uint8Array {
  const out = frame.slice()
  switch (rng.int(4)) {
    case 0: out[rng.int(out.length)] ^= 1 << rng.int(8); return out // one bit anywhere
    case 1: out[24 + rng.int(Math.max(1, out.length - 24))] ^= 0xff; return out // in the payload
    case 2: return out.subarray(0, rng.int(out.length)) // cut short
    default: return Uint8Array.of(...out, ...rng.bytes(rng.int(8))) // trailing junk
  }
}

/** Feed `stream` in random chunk sizes (one byte at a time in a quarter of the runs). */
export function feedInChunks (rng: Rng, parser: FrameParser, stream: Uint8Array): ParsedFrame[] {
  const items: ParsedFrame[] = []
  const oneByte = rng.int(4) === 0
  for (let at = 0; at < stream.length;) {
    const n = oneByte ? 1 : 1 + rng.int(rng.bool() ? 40 : 3000)
    items.push(...parser.push(stream.subarray(at, at + n)))
    at += n
  }
  return items
}

export interface FuzzStats {
  frames: number
  messages: number
  errors: Record<string, number>
}

/**
 * Random, garbage and mutated frames in random chunkings. Throws (an AssertionError-like
 * Error naming the seed and iteration) when the parser or decoder throws, yields anything but
 * messages and DecodeErrors of known reasons, goes on after a fatal error, or loses a valid
 * frame that follows a dropped one.
 */
export function fuzzCodec (iterations: number, seed: number): FuzzStats {
  const rng = new Rng(seed)
  const stats: FuzzStats = { frames: 0, messages: 0, errors: {} }
  for (let i = 0; i < iterations; i++) {
    const where = `fuzzCodec seed ${seed} iteration ${i}`
    const { magic } = rng.pick(BITCOIN_NETWORKS)
    const frames: Uint8Array[] = []
    let intact = true // no header damage: every frame must come out as one item
    for (let n = 1 + rng.int(4); n > 0; n--) {
      const choice = rng.int(10)
      if (choice < 4) frames.push(encodeFrame(magic, randomMessage(rng)))
      else if (choice < 8) frames.push(garbageFrame(rng, magic))
      else {
        frames.push(mutate(rng, encodeFrame(magic, randomMessage(rng))))
        intact = false
      }
    }
    // A good frame last: after any non-fatal drop it must still decode.
    const last = randomMessage(rng)
    frames.push(encodeFrame(magic, last))
    const stream = Uint8Array.from(frames.flatMap((f) => [...f]))

    const maxBufferedBytes = rng.int(8) === 0 ? 24 + rng.int(300) : undefined
    const parser = new FrameParser(magic, { maxBufferedBytes })
    let items: ParsedFrame[]
    try {
      items = feedInChunks(rng, parser, stream)
    } catch (err) {
      throw new Error(`${where}: parser threw ${String(err)}`)
    }
    stats.frames += frames.length
    let fatalAt = -1
    items.forEach((item, k) => {
      if (fatalAt !== -1) throw new Error(`${where}: item after a fatal error`)
      if (item.kind === 'message') { stats.messages++; return }
      if (!(item.error instanceof DecodeError) || !DECODE_REASONS.includes(item.error.reason)) {
        throw new Error(`${where}: unexpected error ${item.error.reason}: ${item.error.message}`)
      }
      stats.errors[item.error.reason] = (stats.errors[item.error.reason] ?? 0) + 1
      if (item.error.fatal) fatalAt = k
    })
    if (maxBufferedBytes !== undefined && parser.bufferedBytes > maxBufferedBytes) {
      throw new Error(`${where}: ${parser.bufferedBytes} bytes buffered over the ${maxBufferedBytes} limit`)
    }
    if (intact && maxBufferedBytes === undefined) {
      if (parser.failed || items.length !== frames.length) throw new Error(`${where}: ${frames.length} frames gave ${items.length} items`)
      const tail = items[items.length - 1]
      if (tail.kind !== 'message' || commandName(tail.message) !== commandName(last)) {
        throw new Error(`${where}: the last valid frame was not decoded`)
      }
    }
    // Straight at the decoders as well: random and mutated payloads.
    const payload = rng.bool() ? rng.bytes(rng.int(80)) : mutate(rng, encodePayload(randomMessage(rng))).subarray(rng.int(2))
    try {
      decodePayload(rng.pick(KNOWN_COMMANDS), payload)
    } catch (err) {
      if (!(err instanceof DecodeError) || !DECODE_REASONS.includes(err.reason)) throw new Error(`${where}: decodePayload threw ${String(err)}`)
    }
  }
  return stats
}
