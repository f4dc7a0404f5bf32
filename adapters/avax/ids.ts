// Identifiers AvalancheGo derives from a peer's staking certificate.
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'

export const NODE_ID_BYTES = 20
const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** ids.NodeIDFromCert: ripemd160(sha256(DER certificate)), 20 bytes. */
export function nodeIdFromCertificate (certificateDer: Uint8Array): Uint8Array {
  return ripemd160(sha256(certificateDer))
}

function base58 (bytes: Uint8Array): string {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  let out = ''
  while (n > 0n) {
    out = BASE58_ALPHABET[Number(n % 58n)] + out
    n /= 58n
  }
  for (const b of bytes) {
    if (b !== 0) break
    out = '1' + out
  }
  return out
}

/** `NodeID-…`: CB58 (base58 of the bytes and the last 4 bytes of their sha256). */
export function formatNodeId (nodeId: Uint8Array): string {
  const checksum = sha256(nodeId).subarray(28)
  const payload = new Uint8Array(nodeId.length + 4)
  payload.set(nodeId)
  payload.set(checksum, nodeId.length)
  return `NodeID-${base58(payload)}`
}

/**
 * ips.ClaimedIPPort's GossipID: sha256 over a 40-byte preimage (ids.IDLen + a uint64)
 * holding the 20-byte node id, the timestamp big-endian, and 12 zero bytes (the preimage
 * is sized for a 32-byte id; a NodeID fills 20). This identifies "this node at this
 * claim" in the known-peers bloom filter.
 */
export function gossipId (nodeId: Uint8Array, timestamp: bigint): Uint8Array {
  if (nodeId.length !== NODE_ID_BYTES) throw new RangeError(`a node id has ${NODE_ID_BYTES} bytes, got ${nodeId.length}`)
  const preimage = new Uint8Array(40)
  preimage.set(nodeId)
  new DataView(preimage.buffer).setBigUint64(NODE_ID_BYTES, timestamp & 0xffffffffffffffffn, false)
  return sha256(preimage)
}
