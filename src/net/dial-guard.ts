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

export function assertDialAllowed (host: string): void {
  if (loopbackOnly() && !isLoopback(host)) {
    throw new DialForbiddenError(`refusing to dial ${host}: PEERS_LOOPBACK_ONLY=1 allows only 127.0.0.0/8 and ::1`)
  }
}

export function assertDnsAllowed (name: string): void {
  if (loopbackOnly()) {
    throw new DialForbiddenError(`refusing to resolve ${name}: PEERS_LOOPBACK_ONLY=1 forbids DNS`)
  }
}
