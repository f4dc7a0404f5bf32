// The messages a crawler speaks, one codec per message type with encode and decode side by
// side (in the manner of bcoin's lib/net/packets.js). Decoding is lenient where Core is: bytes
// after a message's fields are ignored, and version's fields after addr_recv are optional.
import { MAX_ADDR_ENTRIES, MAX_USER_AGENT } from '../params.js'
import {
  ADDR_V1_ENTRY_BYTES, ADDR_V2_MIN_ENTRY_BYTES, readAddrV1, readAddrV2, readServiceAddress,
  writeAddrV1, writeAddrV2, writeServiceAddress, type NetAddress, type ServiceAddress
} from './address.js'
import { copyBytes, Reader, utf8Length, Writer } from './codec.js'

export interface VersionPayload {
  version: number
  services: bigint
  timestamp: bigint
  addrRecv: ServiceAddress
  addrFrom: ServiceAddress
  nonce: bigint
  userAgent: string
  startHeight: number
  relay: boolean
}

export type BitcoinMessage =
  | { command: 'version', payload: VersionPayload }
  | { command: 'verack' } | { command: 'sendaddrv2' } | { command: 'wtxidrelay' } | { command: 'getaddr' }
  | { command: 'addr', addresses: NetAddress[] }
  /** skipped: entries of unknown networks or that Core holds invalid (TORv2, ::ffff:0:0/96 as IPv6, CJDNS outside fc00::/8). */
  | { command: 'addrv2', addresses: NetAddress[], skipped: number }
  | { command: 'ping', nonce: bigint } | { command: 'pong', nonce: bigint }
  /** Any other well-formed message type, passed on undecoded. */
  | { command: 'other', name: string, payload: Uint8Array }

/** Message types with a codec here; 'other' may not use these names. */
export const KNOWN_COMMANDS = ['version', 'verack', 'sendaddrv2', 'wtxidrelay', 'getaddr', 'addr', 'addrv2', 'ping', 'pong'] as const

/** The message type as it goes in the frame header. */
export function commandName (msg: BitcoinMessage): string {
  return msg.command === 'other' ? msg.name : msg.command
}

// --- version ---

/** What Core sends as addr_from, and what an absent one reads as. */
const EMPTY_SERVICE_ADDRESS: ServiceAddress = { services: 0n, host: '::', port: 0 }

function encodeVersion (w: Writer, p: VersionPayload): void {
  if (utf8Length(p.userAgent) > MAX_USER_AGENT) throw new RangeError(`user agent longer than ${MAX_USER_AGENT} bytes`)
  w.i32le(p.version).u64le(p.services).i64le(p.timestamp)
  writeServiceAddress(w, p.addrRecv)
  writeServiceAddress(w, p.addrFrom)
  w.u64le(p.nonce).varStr(p.userAgent).i32le(p.startHeight).u8(p.relay ? 1 : 0)
}

function decodeVersion (r: Reader): VersionPayload {
  const version = r.i32le('version')
  const services = r.u64le('version services')
  const timestamp = r.i64le('version timestamp')
  const addrRecv = readServiceAddress(r, 'version addr_recv')
  // Core reads each later group only while bytes remain (BIP37 made relay optional, older
  // clients stop even earlier).
  let addrFrom = EMPTY_SERVICE_ADDRESS
  let nonce = 0n
  let userAgent = ''
  let startHeight = 0
  let relay = true
  if (r.remaining > 0) {
    addrFrom = readServiceAddress(r, 'version addr_from')
    nonce = r.u64le('version nonce')
  }
  if (r.remaining > 0) userAgent = r.varStr('version user_agent', MAX_USER_AGENT, 'user-agent-too-long')
  if (r.remaining > 0) startHeight = r.i32le('version start_height')
  if (r.remaining > 0) relay = r.u8('version relay') !== 0
  return { version, services, timestamp, addrRecv, addrFrom, nonce, userAgent, startHeight, relay }
}

// --- addr ---

function encodeAddr (w: Writer, addresses: NetAddress[]): void {
  checkCount(addresses.length)
  w.compactSize(addresses.length)
  for (const a of addresses) writeAddrV1(w, a)
}

/** Entries Core holds invalid (TORv2-in-IPv6, internal names) are left out. */
function decodeAddr (r: Reader): NetAddress[] {
  const count = r.length('addr count', MAX_ADDR_ENTRIES, 'too-many-entries', ADDR_V1_ENTRY_BYTES)
  const addresses: NetAddress[] = []
  for (let i = 0; i < count; i++) {
    const a = readAddrV1(r)
    if (a !== undefined) addresses.push(a)
  }
  return addresses
}

// --- addrv2 (BIP155) ---

function encodeAddrV2 (w: Writer, addresses: NetAddress[]): void {
  checkCount(addresses.length)
  w.compactSize(addresses.length)
  for (const a of addresses) writeAddrV2(w, a)
}

function decodeAddrV2 (r: Reader): { addresses: NetAddress[], skipped: number } {
  const count = r.length('addrv2 count', MAX_ADDR_ENTRIES, 'too-many-entries', ADDR_V2_MIN_ENTRY_BYTES)
  const addresses: NetAddress[] = []
  let skipped = 0
  for (let i = 0; i < count; i++) {
    const a = readAddrV2(r)
    if (a === undefined) skipped++
    else addresses.push(a)
  }
  return { addresses, skipped }
}

function checkCount (n: number): void {
  if (n > MAX_ADDR_ENTRIES) throw new RangeError(`${n} addresses; at most ${MAX_ADDR_ENTRIES} fit one message`)
}

// --- ping / pong: u64 nonce (BIP31) ---

function encodeNonce (w: Writer, nonce: bigint): void {
  w.u64le(nonce)
}

function decodeNonce (r: Reader, command: string): bigint {
  return r.u64le(`${command} nonce`)
}

// --- dispatch ---

export function encodePayload (msg: BitcoinMessage): Uint8Array {
  const w = new Writer()
  switch (msg.command) {
    case 'version': encodeVersion(w, msg.payload); break
    case 'verack': case 'sendaddrv2': case 'wtxidrelay': case 'getaddr': break
    case 'addr': encodeAddr(w, msg.addresses); break
    case 'addrv2': encodeAddrV2(w, msg.addresses); break
    case 'ping': case 'pong': encodeNonce(w, msg.nonce); break
    case 'other':
      // Another name would decode as the known message, not as this one.
      if ((KNOWN_COMMANDS as readonly string[]).includes(msg.name)) throw new RangeError(`'${msg.name}' has its own message type`)
      return copyBytes(msg.payload)
  }
  return w.finish()
}

/** Throws DecodeError (never fatal: the message is dropped, the connection may go on). */
export function decodePayload (command: string, payload: Uint8Array): BitcoinMessage {
  const r = new Reader(payload)
  switch (command) {
    case 'version': return { command, payload: decodeVersion(r) }
    case 'verack': case 'sendaddrv2': case 'wtxidrelay': case 'getaddr': return { command }
    case 'addr': return { command, addresses: decodeAddr(r) }
    case 'addrv2': return { command, ...decodeAddrV2(r) }
    case 'ping': case 'pong': return { command, nonce: decodeNonce(r, command) }
    default: return { command: 'other', name: command, payload: copyBytes(payload) }
  }
}
