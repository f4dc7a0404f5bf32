import { isIPv6 } from 'node:net'
import type { Endpoint } from '../contract.js'
import { UsageError } from '../errors.js'
import { addressTypeOf, canonicalIPv6 } from './ip.js'

/** `1.2.3.4:8333`, `[2001:db8::1]:8333`, `abc….onion:8333`: the port is never ambiguous. */
export function formatEndpoint (e: Pick<Endpoint, 'host' | 'port'>): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`
}

/**
 * Parse `host:port`, `[ipv6]:port`, a bare IPv4/IPv6 literal or an overlay name; the port
 * defaults to `defaultPort`. Hostnames other than overlay names are refused: a seed is an
 * address, and resolving names is the bootstrap's job.
 */
export function parseHostPort (text: string, defaultPort: number): Endpoint {
  const input = text.trim()
  let host: string
  let portText: string | undefined
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(input)
  if (bracketed) {
    host = bracketed[1]
    portText = bracketed[2]
  } else if (isIPv6(input)) {
    host = input
  } else {
    const i = input.lastIndexOf(':')
    host = i === -1 ? input : input.slice(0, i)
    portText = i === -1 ? undefined : input.slice(i + 1)
  }
  // I2P (SAM 3.1) has no ports: Core uses port 0 for every .b32.i2p peer (shared/overlay-networks.md §2.1).
  const i2p = /\.b32\.i2p$/i.test(host)
  let port = i2p ? 0 : defaultPort
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < (i2p ? 0 : 1) || Number(portText) > 65535) {
      throw new UsageError(`'${text}' has an invalid port: expected ${i2p ? 0 : 1}-65535`)
    }
    port = Number(portText)
  }
  // A zone (`fe80::1%eth0`) passes isIPv6 but names an interface of this machine, not a peer.
  if (host.includes('%')) throw new UsageError(`'${text}' has an IPv6 zone id: expected an address without %zone`)
  const type = addressTypeOf(host)
  if (type === undefined) {
    throw new UsageError(`'${text}' is not an address: expected an IPv4 or IPv6 literal, a Tor v3 .onion name (with a valid checksum) or a .b32.i2p name, with an optional :port`)
  }
  if (type === 'ipv6' || type === 'cjdns' || type === 'yggdrasil') host = canonicalIPv6(host)
  else if (type !== 'ipv4') host = host.toLowerCase()
  return { host, port, type }
}
