import { isIPv4, isIPv6 } from 'node:net'
import { DialForbiddenError } from '../errors.js'

// The last line of defence before any socket or DNS query leaves the process. With
// PEERS_LOOPBACK_ONLY=1 (set by the test runner and the benchmark) nothing but
// 127.0.0.0/8 and ::1 can be dialed and DNS is never queried, whatever a peer advertises
// or a test passes. Every adapter transport calls assertDialAllowed right before connect.

export function loopbackOnly (): boolean {
  return process.env.PEERS_LOOPBACK_ONLY === '1'
}

export function isLoopback (host: string): boolean {
  if (isIPv4(host)) return host.startsWith('127.')
  if (isIPv6(host)) {
    const h = host.toLowerCase()
    return h === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h)
  }
  return false
}

/**
 * PEERS_LOOPBACK_EXTRA: fc00::/8 addresses (comma-separated) that a test added to the loopback
 * interface of its own network namespace, to play CJDNS nodes. Nothing outside fc00::/8 is
 * admitted, whatever the variable says.
 */
function extraLoopback (): ReadonlySet<string> {
  const text = process.env.PEERS_LOOPBACK_EXTRA ?? ''
  if (text === cachedExtra.text) return cachedExtra.set
  const set = new Set(text.split(',').map((h) => h.trim().toLowerCase()).filter((h) => isIPv6(h) && /^fc[0-9a-f]{2}:/.test(h)))
  cachedExtra = { text, set }
  return set
}
let cachedExtra: { text: string, set: ReadonlySet<string> } = { text: '', set: new Set() }

export function assertDialAllowed (host: string): void {
  if (loopbackOnly() && !isLoopback(host) && !extraLoopback().has(host.toLowerCase())) {
    throw new DialForbiddenError(`refusing to dial ${host}: PEERS_LOOPBACK_ONLY=1 allows only 127.0.0.0/8 and ::1`)
  }
}

export function assertDnsAllowed (name: string): void {
  if (loopbackOnly()) {
    throw new DialForbiddenError(`refusing to resolve ${name}: PEERS_LOOPBACK_ONLY=1 forbids DNS`)
  }
}
