// Overlay nodes of the simulated network: their names (valid v3 onions, .b32.i2p, fc00::/8)
// and the built-in SOCKS5 proxy and SAM bridge that lead a crawler to them. An onion or I2P
// node listens on a loopback address of 127.10.0.0/16 that only the proxy and the bridge
// know; a CJDNS node listens on its own fc00::/8 address, which must be on the loopback
// interface (a test's network namespace adds it: `ip -6 addr add fc00::1/128 dev lo`).
import { createHash } from 'node:crypto'
import type { AddressType } from '../../../src/contract.js'
import { i2pFromHash, onionFromPubkey } from '../../../src/net/ip.js'
import { SamServer } from './sam-server.js'
import { Socks5Server, type Socks5Target } from './socks5-server.js'

export type OverlayType = Extract<AddressType, 'onion' | 'i2p' | 'cjdns'>

/** The first octet after 127 of the listeners that play onion and I2P nodes. */
export const OVERLAY_LISTEN_OCTET = 10

/** Node `n`'s name on an overlay: a pure function of (seed, n). */
export function overlayName (type: OverlayType, seed: number, n: number): string {
  const digest = createHash('sha256').update(`simnet ${seed} ${type} ${n}`).digest()
  switch (type) {
    case 'onion': return onionFromPubkey(digest)
    case 'i2p': return i2pFromHash(digest)
    case 'cjdns': return `fc00::${(n + 1).toString(16)}` // n < 65535, checked by the simnet
  }
}

export interface OverlayListener {
  /** Where the node listens; undefined for a dead address. */
  listen?: { host: string, port: number }
}

/** Tor's answer for an onion nobody serves, with ExtendedErrors: descriptor not found. */
const ONION_NOT_FOUND = 0xf0
const HOST_UNREACHABLE = 0x04

/** A SOCKS5 proxy playing Tor (and a plain proxy for IP addresses) for a simulated network. */
export function simnetSocks5 (lookup: (host: string) => OverlayListener | undefined): Socks5Server {
  return new Socks5Server({
    route (host, port): Socks5Target {
      const node = lookup(host)
      if (host.endsWith('.onion')) return node?.listen ?? ONION_NOT_FOUND
      if (host.includes('.')) {
        if (!/^[\d.]+$/.test(host)) return HOST_UNREACHABLE // a name we cannot resolve
      }
      // An IP address (IPv4, IPv6, CJDNS): connect to it as asked.
      return node?.listen ?? { host, port }
    }
  })
}

/** A SAM bridge playing the I2P router for a simulated network: unknown names get KEY_NOT_FOUND. */
export function simnetSam (lookup: (host: string) => OverlayListener | undefined): SamServer {
  return new SamServer({ route: (name) => lookup(name)?.listen })
}
