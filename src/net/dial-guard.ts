import { DialForbiddenError, UsageError } from '../errors.js'
import { CidrSet, isLoopback, parseCidr, type CidrRange } from './ip.js'

// The last line of defence before any socket or DNS query leaves the process. With
// PEERS_LOOPBACK_ONLY=1 (set by the test runner and the benchmark) nothing but
// 127.0.0.0/8 and ::1 can be dialed and DNS is never queried, whatever a peer advertises
// or a test passes. Every adapter transport calls assertDialAllowed right before connect.
//
// A test that adds CJDNS-like addresses to loopback inside its own network namespace sets
// PEERS_TEST_ALLOW=fc00::/8 (comma-separated ranges) to dial them too. Only ranges inside
// fc00::/8 are accepted there: no public or LAN address can be let through by it.

const TEST_ALLOW_LIMIT = parseCidr('fc00::/8')

export function loopbackOnly (): boolean {
  return process.env.PEERS_LOOPBACK_ONLY === '1'
}

let cachedAllow: { text: string, set: CidrSet } | undefined

/** The ranges PEERS_TEST_ALLOW adds; throws UsageError for a range outside fc00::/8. */
export function testAllowList (text = process.env.PEERS_TEST_ALLOW ?? ''): CidrSet {
  if (cachedAllow?.text === text) return cachedAllow.set
  const ranges: CidrRange[] = text.split(',').map((t) => t.trim()).filter((t) => t !== '').map((t) => {
    const range = parseCidr(t, 'PEERS_TEST_ALLOW')
    if (range.family !== 6 || range.first < TEST_ALLOW_LIMIT.first || range.last > TEST_ALLOW_LIMIT.last) {
      throw new UsageError(`PEERS_TEST_ALLOW '${t}' is outside fc00::/8, the only range a test may add to its namespace's loopback`)
    }
    return range
  })
  cachedAllow = { text, set: new CidrSet(ranges) }
  return cachedAllow.set
}

export function assertDialAllowed (host: string): void {
  if (loopbackOnly() && !isLoopback(host) && !testAllowList().has(host)) {
    throw new DialForbiddenError(`refusing to dial ${host}: PEERS_LOOPBACK_ONLY=1 allows only 127.0.0.0/8 and ::1`)
  }
}

export function assertDnsAllowed (name: string): void {
  if (loopbackOnly()) {
    throw new DialForbiddenError(`refusing to resolve ${name}: PEERS_LOOPBACK_ONLY=1 forbids DNS`)
  }
}
