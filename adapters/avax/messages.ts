// The AVAX p2p messages this adapter models, with field numbers as in AvalancheGo's
// proto/p2p/p2p.proto (github.com/ava-labs/avalanchego; checked field by field, golden bytes in
// test/avax-codec.test.ts), and their protobuf encoding. Every message travels inside the
// `Message` envelope, a oneof whose field number says the type.
import { DecodeError } from '../../src/errors.js'
import {
  ProtobufReader, ProtobufWriter, appendUint32s, asBool, asBytes, asMessage, asString, asUint32, asUint64, pushBounded
} from './protobuf.js'

/** `Message` oneof field numbers (p2p.proto). */
export const MESSAGE_FIELD = {
  compressedZstd: 2,
  ping: 11,
  pong: 12,
  handshake: 13,
  peerList: 14,
  getPeerList: 35
} as const

export interface BloomFilterBytes {
  /** utils/bloom's marshalled filter: numHashes, the hash seeds, then the bit array. */
  filter: Uint8Array
  salt: Uint8Array
}

export interface Client {
  name: string
  major: number
  minor: number
  patch: number
}

export interface Handshake {
  networkId: number
  /** Unix seconds. */
  myTime: bigint
  /** 16 bytes (IPv4 as an IPv4-mapped IPv6 address) or 4. */
  ipAddr: Uint8Array
  ipPort: number
  // Field 5 is `reserved` in p2p.proto ("Until E upgrade is activated"): skipped like any unknown field.
  ipSigningTime: bigint
  /** Signature of the IP and port at ipSigningTime with the TLS (staking) key. */
  ipNodeIdSig: Uint8Array
  trackedSubnets: Uint8Array[]
  client?: Client
  supportedAcps: number[]
  objectedAcps: number[]
  knownPeers?: BloomFilterBytes
  /** Signature of the IP and port at ipSigningTime with the BLS key. */
  ipBlsSig: Uint8Array
  allSubnets: boolean
}

export interface ClaimedIpPort {
  x509Certificate: Uint8Array
  ipAddr: Uint8Array
  ipPort: number
  timestamp: bigint
  signature: Uint8Array
  txId: Uint8Array
}

export type AvaxMessage =
  | { type: 'ping', uptime: number }
  | { type: 'pong' }
  | { type: 'handshake', handshake: Handshake }
  | { type: 'peer-list', claimedIpPorts: ClaimedIpPort[] }
  | { type: 'get-peer-list', knownPeers?: BloomFilterBytes, allSubnets: boolean }
  /** Consensus, state-sync and app messages: valid, and of no interest to a crawler. */
  | { type: 'other', field: number }

export function emptyHandshake (): Handshake {
  return {
    networkId: 0,
    myTime: 0n,
    ipAddr: new Uint8Array(0),
    ipPort: 0,
    ipSigningTime: 0n,
    ipNodeIdSig: new Uint8Array(0),
    trackedSubnets: [],
    supportedAcps: [],
    objectedAcps: [],
    ipBlsSig: new Uint8Array(0),
    allSubnets: false
  }
}

function encodeBloom (b: BloomFilterBytes): Uint8Array {
  return new ProtobufWriter().bytes(1, b.filter).bytes(2, b.salt).finish()
}

function encodeClient (c: Client): Uint8Array {
  return new ProtobufWriter().string(1, c.name).uint(2, c.major).uint(3, c.minor).uint(4, c.patch).finish()
}

function encodeHandshake (h: Handshake): Uint8Array {
  const w = new ProtobufWriter()
    .uint(1, h.networkId)
    .uint(2, h.myTime)
    .bytes(3, h.ipAddr)
    .uint(4, h.ipPort)
    .uint(6, h.ipSigningTime)
    .bytes(7, h.ipNodeIdSig)
    .repeatedBytes(8, h.trackedSubnets)
  if (h.client !== undefined) w.message(9, encodeClient(h.client))
  w.packedUint32(10, h.supportedAcps).packedUint32(11, h.objectedAcps)
  if (h.knownPeers !== undefined) w.message(12, encodeBloom(h.knownPeers))
  return w.bytes(13, h.ipBlsSig).uint(14, h.allSubnets).finish()
}

function encodeClaimedIpPort (c: ClaimedIpPort): Uint8Array {
  return new ProtobufWriter()
    .bytes(1, c.x509Certificate)
    .bytes(2, c.ipAddr)
    .uint(3, c.ipPort)
    .uint(4, c.timestamp)
    .bytes(5, c.signature)
    .bytes(6, c.txId)
    .finish()
}

/** The `Message` envelope around one message. */
export function encodeMessage (m: AvaxMessage): Uint8Array {
  const w = new ProtobufWriter()
  switch (m.type) {
    case 'ping': return w.message(MESSAGE_FIELD.ping, new ProtobufWriter().uint(1, m.uptime).finish()).finish()
    case 'pong': return w.message(MESSAGE_FIELD.pong, new Uint8Array(0)).finish()
    case 'handshake': return w.message(MESSAGE_FIELD.handshake, encodeHandshake(m.handshake)).finish()
    case 'peer-list': {
      const inner = new ProtobufWriter()
      for (const c of m.claimedIpPorts) inner.message(1, encodeClaimedIpPort(c))
      return w.message(MESSAGE_FIELD.peerList, inner.finish()).finish()
    }
    case 'get-peer-list': {
      const inner = new ProtobufWriter()
      if (m.knownPeers !== undefined) inner.message(1, encodeBloom(m.knownPeers))
      return w.message(MESSAGE_FIELD.getPeerList, inner.uint(2, m.allSubnets).finish()).finish()
    }
    case 'other': throw new RangeError('other messages are decoded, never sent')
  }
}

function decodeBloom (bytes: Uint8Array): BloomFilterBytes {
  const out: BloomFilterBytes = { filter: new Uint8Array(0), salt: new Uint8Array(0) }
  const r = new ProtobufReader(bytes)
  while (!r.done()) {
    const f = r.next()
    if (f.number === 1) out.filter = asBytes(f)
    else if (f.number === 2) out.salt = asBytes(f)
  }
  return out
}

function decodeClient (bytes: Uint8Array): Client {
  const out: Client = { name: '', major: 0, minor: 0, patch: 0 }
  const r = new ProtobufReader(bytes)
  while (!r.done()) {
    const f = r.next()
    switch (f.number) {
      case 1: out.name = asString(f); break
      case 2: out.major = asUint32(f); break
      case 3: out.minor = asUint32(f); break
      case 4: out.patch = asUint32(f); break
    }
  }
  return out
}

function decodeHandshake (bytes: Uint8Array): Handshake {
  const h = emptyHandshake()
  const r = new ProtobufReader(bytes)
  while (!r.done()) {
    const f = r.next()
    switch (f.number) {
      case 1: h.networkId = asUint32(f); break
      case 2: h.myTime = asUint64(f); break
      case 3: h.ipAddr = asBytes(f); break
      case 4: h.ipPort = asUint32(f); break
      case 6: h.ipSigningTime = asUint64(f); break
      case 7: h.ipNodeIdSig = asBytes(f); break
      case 8: pushBounded(h.trackedSubnets, asBytes(f), f.number); break
      case 9: h.client = decodeClient(asMessage(f)); break
      case 10: appendUint32s(f, h.supportedAcps); break
      case 11: appendUint32s(f, h.objectedAcps); break
      case 12: h.knownPeers = decodeBloom(asMessage(f)); break
      case 13: h.ipBlsSig = asBytes(f); break
      case 14: h.allSubnets = asBool(f); break
    }
  }
  return h
}

function decodeClaimedIpPort (bytes: Uint8Array): ClaimedIpPort {
  const c: ClaimedIpPort = {
    x509Certificate: new Uint8Array(0), ipAddr: new Uint8Array(0), ipPort: 0, timestamp: 0n, signature: new Uint8Array(0), txId: new Uint8Array(0)
  }
  const r = new ProtobufReader(bytes)
  while (!r.done()) {
    const f = r.next()
    switch (f.number) {
      case 1: c.x509Certificate = asBytes(f); break
      case 2: c.ipAddr = asBytes(f); break
      case 3: c.ipPort = asUint32(f); break
      case 4: c.timestamp = asUint64(f); break
      case 5: c.signature = asBytes(f); break
      case 6: c.txId = asBytes(f); break
    }
  }
  return c
}

function decodePeerList (bytes: Uint8Array): AvaxMessage {
  const claimedIpPorts: ClaimedIpPort[] = []
  const r = new ProtobufReader(bytes)
  while (!r.done()) {
    const f = r.next()
    if (f.number === 1) pushBounded(claimedIpPorts, decodeClaimedIpPort(asMessage(f)), f.number)
  }
  return { type: 'peer-list', claimedIpPorts }
}

function decodeGetPeerList (bytes: Uint8Array): AvaxMessage {
  const m: { type: 'get-peer-list', knownPeers?: BloomFilterBytes, allSubnets: boolean } = { type: 'get-peer-list', allSubnets: false }
  const r = new ProtobufReader(bytes)
  while (!r.done()) {
    const f = r.next()
    if (f.number === 1) m.knownPeers = decodeBloom(asMessage(f))
    else if (f.number === 2) m.allSubnets = asBool(f)
  }
  return m
}

function decodePing (bytes: Uint8Array): AvaxMessage {
  let uptime = 0
  const r = new ProtobufReader(bytes)
  while (!r.done()) {
    const f = r.next()
    if (f.number === 1) uptime = asUint32(f)
  }
  return { type: 'ping', uptime }
}

/**
 * Decode one `Message` envelope. Throws DecodeError (not fatal: AvalancheGo drops a
 * malformed message and keeps the connection, and so do we).
 */
export function decodeMessage (bytes: Uint8Array): AvaxMessage {
  const r = new ProtobufReader(bytes)
  let found: { number: number, body: Uint8Array } | undefined
  while (!r.done()) {
    const f = r.next()
    // A oneof on the wire: the last member seen wins.
    if (f.wireType === 2 && f.bytes !== undefined) found = { number: f.number, body: f.bytes }
  }
  if (found === undefined) throw new DecodeError('empty-message', 'message envelope carries no message')
  switch (found.number) {
    case MESSAGE_FIELD.ping: return decodePing(found.body)
    case MESSAGE_FIELD.pong: return { type: 'pong' }
    case MESSAGE_FIELD.handshake: return { type: 'handshake', handshake: decodeHandshake(found.body) }
    case MESSAGE_FIELD.peerList: return decodePeerList(found.body)
    case MESSAGE_FIELD.getPeerList: return decodeGetPeerList(found.body)
    case MESSAGE_FIELD.compressedZstd:
      // Node 20 has no zstd; a real transport would need a decompressor (not done).
      throw new DecodeError('compressed-unsupported', 'zstd-compressed messages are not supported')
    default: return { type: 'other', field: found.number }
  }
}
