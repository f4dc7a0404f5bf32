// IP bytes as AvalancheGo sends them (16 bytes, IPv4 mapped into IPv6; 4 accepted too)
// to and from the contract's Endpoint.
import { isIPv4 } from 'node:net'
import type { Endpoint } from '../../src/contract.js'
import { canonicalIPv6 } from '../../src/net/endpoint.js'

export function endpointFromIpBytes (ip: Uint8Array, port: number): Endpoint | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined
  if (ip.length === 4) return { host: ip.join('.'), port, type: 'ipv4' }
  if (ip.length !== 16) return undefined
  const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff
  if (mapped) return { host: Array.from(ip.subarray(12)).join('.'), port, type: 'ipv4' }
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] << 8) | ip[i + 1]).toString(16))
  return { host: canonicalIPv6(groups.join(':')), port, type: 'ipv6' }
}

/** 16 bytes, IPv4 as ::ffff:a.b.c.d (netip.Addr.As16). */
export function ipBytesFromHost (host: string): Uint8Array {
  const out = new Uint8Array(16)
  if (isIPv4(host)) {
    out[10] = 0xff
    out[11] = 0xff
    out.set(host.split('.').map(Number), 12)
    return out
  }
  // Expand the canonical text: split around '::' and fill the gap with zero groups.
  const [head, tail] = canonicalIPv6(host).split('::') as [string, string | undefined]
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  groups.forEach((g, i) => {
    const v = parseInt(g, 16)
    out[i * 2] = v >> 8
    out[i * 2 + 1] = v & 0xff
  })
  return out
}
