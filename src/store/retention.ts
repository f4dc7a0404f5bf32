// Which records a compaction forgets, after Bitcoin Core's address manager (src/addrman.cpp
// AddrInfo::IsTerrible: "not seen in recent history" = ADDRMAN_HORIZON, 30 days; "tried N times
// and never a success" = ADDRMAN_RETRIES; "never remove things tried in the last minute").
// A record that was ever reached is kept (its history and uptime are what monitoring asks for).
import type { PeerRecord } from './types.js'

export interface RetentionPolicy {
  /** Never reached and neither advertised nor first seen for this long: forgotten. 0 turns retention off. */
  forgetAfterMs: number
  /** Never reached after this many failed tries: forgotten. 0 turns this rule off. */
  maxFailures: number
}

/**
 * Core forgets after 3 failed tries (ADDRMAN_RETRIES) because it tries an address rarely;
 * a crawler retries every hour (--retry-interval), so 10 tries keep a node that was down for
 * an afternoon when we learned it.
 */
export const DEFAULT_RETENTION: RetentionPolicy = { forgetAfterMs: 30 * 86_400_000, maxFailures: 10 }

/** A predicate for compaction: true keeps the record. ISO strings compare as times (one format, UTC). */
export function retentionFilter (policy: RetentionPolicy, nowMs: number): (r: PeerRecord) => boolean {
  const horizon = policy.forgetAfterMs > 0 ? new Date(nowMs - policy.forgetAfterMs).toISOString() : ''
  const lastMinute = new Date(nowMs - 60_000).toISOString()
  return (r) => {
    if (r.successes > 0) return true
    if (r.lastTried !== undefined && r.lastTried >= lastMinute) return true
    if (policy.maxFailures > 0 && r.failures >= policy.maxFailures) return false
    if (horizon !== '' && (r.lastAdvertised ?? r.firstSeen) < horizon && r.firstSeen < horizon) return false
    return true
  }
}
