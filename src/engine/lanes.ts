// Lanes: one budget per address-type class (docs/design.md §1.2). Each lane has its own queue,
// its own concurrency cap and its own three phase timeouts, so a slow overlay (Tor circuits take
// tens of seconds, I2P lookups up to minutes) never holds the slots clearnet dials need.
// Overlay latency belongs to the overlay, not the chain: its floors live here, and the handshake
// and ask phases take the larger of the adapter's value and the floor.
import type { AddressType, SessionTimeouts } from '../contract.js'
import { UsageError } from '../errors.js'

export const LANES = ['clear', 'cjdns', 'onion', 'i2p'] as const
export type LaneName = typeof LANES[number]

export function laneOf (type: AddressType): LaneName {
  switch (type) {
    case 'onion': return 'onion'
    case 'i2p': return 'i2p'
    case 'cjdns': return 'cjdns'
    default: return 'clear' // ipv4, ipv6, yggdrasil (plain IPv6 to the OS)
  }
}

export interface LaneSettings {
  concurrency: number
  timeouts: SessionTimeouts
}

/** What `--lane LANE:KEY=VALUE,…` may set. */
export interface LaneOverride {
  concurrency?: number
  connect?: number
  handshake?: number
  ask?: number
}

/**
 * Overlay floors, ../shared/overlay-networks.md:
 * - onion: connect 100 s (p2p-crawler's value "for 99.9 % coverage", §1.3; Tor's own SocksTimeout
 *   is 2 min), handshake ≥ 40 s and ask ≥ 60 s (p2p-crawler's 40 s message / 90 s getaddr
 *   waits, trimmed: the answer is sent at once since Core v22); 64 at once per Tor proxy
 *   (MaxClientCircuitsPending 32 pending circuits, §1.4, plus as many established).
 * - i2p: connect 60 s (SAM: "approximately one minute… do not set shorter"), handshake ≥ 60 s,
 *   ask ≥ 90 s; 32 at once (one SAM bridge; lookups take minutes).
 */
export const OVERLAY_FLOORS = {
  onion: { connectMs: 100_000, handshakeMs: 40_000, askPeersMs: 60_000, concurrencyPerProxy: 64 },
  i2p: { connectMs: 60_000, handshakeMs: 60_000, askPeersMs: 90_000, concurrencyPerProxy: 32 }
} as const

export interface LaneInput {
  /** The adapter's clearnet timeouts, with --connect/--handshake/--ask-peers-timeout applied. */
  timeouts: SessionTimeouts
  /** The global cap. */
  concurrency: number
  /** Tor proxies (repeatable --onion-proxy): the onion lane's cap scales with them. Default 1. */
  onionProxies?: number
  /** Per-lane overrides (--lane). */
  overrides?: Partial<Record<LaneName, LaneOverride>>
}

/** Every lane's settings; a lane's cap never exceeds the global one. */
export function resolveLanes (input: LaneInput): Record<LaneName, LaneSettings> {
  const t = input.timeouts
  const proxies = Math.max(1, input.onionProxies ?? 1)
  const base: Record<LaneName, LaneSettings> = {
    clear: { concurrency: input.concurrency, timeouts: { ...t } },
    cjdns: { concurrency: input.concurrency, timeouts: { ...t } },
    onion: {
      concurrency: OVERLAY_FLOORS.onion.concurrencyPerProxy * proxies,
      timeouts: {
        connectMs: OVERLAY_FLOORS.onion.connectMs,
        handshakeMs: Math.max(t.handshakeMs, OVERLAY_FLOORS.onion.handshakeMs),
        askPeersMs: Math.max(t.askPeersMs, OVERLAY_FLOORS.onion.askPeersMs)
      }
    },
    i2p: {
      concurrency: OVERLAY_FLOORS.i2p.concurrencyPerProxy,
      timeouts: {
        connectMs: OVERLAY_FLOORS.i2p.connectMs,
        handshakeMs: Math.max(t.handshakeMs, OVERLAY_FLOORS.i2p.handshakeMs),
        askPeersMs: Math.max(t.askPeersMs, OVERLAY_FLOORS.i2p.askPeersMs)
      }
    }
  }
  for (const lane of LANES) {
    const o = input.overrides?.[lane]
    const s = base[lane]
    if (o?.concurrency !== undefined) s.concurrency = o.concurrency
    if (o?.connect !== undefined) s.timeouts.connectMs = o.connect
    if (o?.handshake !== undefined) s.timeouts.handshakeMs = o.handshake
    if (o?.ask !== undefined) s.timeouts.askPeersMs = o.ask
    s.concurrency = Math.max(1, Math.min(s.concurrency, input.concurrency))
  }
  return base
}

const LANE_KEYS = ['concurrency', 'connect', 'handshake', 'ask'] as const
/** Upper bounds that keep every timer delay valid (Node timers hold at most 2^31-1 ms). */
const MAX_LANE_VALUE: Record<typeof LANE_KEYS[number], number> = { concurrency: 100_000, connect: 3_600_000, handshake: 3_600_000, ask: 3_600_000 }

/** Parses repeated `--lane LANE:KEY=VALUE[,KEY=VALUE…]`; later values win. Throws UsageError (one line). */
export function parseLaneFlags (texts: readonly string[] = []): Partial<Record<LaneName, LaneOverride>> {
  const out: Partial<Record<LaneName, LaneOverride>> = {}
  for (const text of texts) {
    const colon = text.indexOf(':')
    const lane = text.slice(0, colon) as LaneName
    if (colon < 0 || !LANES.includes(lane)) {
      throw new UsageError(`--lane ${text}: expected LANE:KEY=VALUE[,KEY=VALUE…] with LANE one of ${LANES.join(', ')}`)
    }
    const override = out[lane] ?? {}
    for (const part of text.slice(colon + 1).split(',')) {
      const [key, value, extra] = part.split('=')
      if (!LANE_KEYS.includes(key as typeof LANE_KEYS[number]) || value === undefined || extra !== undefined) {
        throw new UsageError(`--lane ${text}: "${part}" is not KEY=VALUE with KEY one of ${LANE_KEYS.join(', ')}`)
      }
      const k = key as typeof LANE_KEYS[number]
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_LANE_VALUE[k]) {
        throw new UsageError(`--lane ${text}: ${k} must be a whole number from 1 to ${MAX_LANE_VALUE[k]}${k === 'concurrency' ? '' : ' (ms)'}`)
      }
      override[k] = Number(value)
    }
    out[lane] = override
  }
  return out
}
