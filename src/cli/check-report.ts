// What `peers check` says about a failure: the chain-neutral cause and advice for each reason
// (an adapter's diagnosis may say more, e.g. which network a wrong magic belongs to), the
// human rendering of steps, and the stored history of the peer.
import type { DiagnosisStep, Endpoint, FailureReason } from '../contract.js'
import { formatEndpoint } from '../net/endpoint.js'
import { uptimeWindowsOf } from '../export/export.js'
import type { PeerRecord } from '../store/types.js'

/** Reasons of `peers check`: the contract's failure reasons, the policy's, and the name lookup's. */
export type CheckReason = FailureReason | 'non-routable' | 'denied' | 'outside-only' | 'not-dialable-type' | 'no-route' | 'name-not-resolved'

export interface CheckStep extends DiagnosisStep {
  /** ms from the start of the check to the end of this step. */
  atMs: number
}

/** The likely cause and what to try, when the adapter did not say better. */
export function genericCause (reason: CheckReason, endpoint: Endpoint, timeouts: { connectMs: number, handshakeMs: number }): { cause: string, advice: string } {
  const port = endpoint.port
  switch (reason) {
    case 'refused': return {
      cause: `nothing listens on port ${port} at ${endpoint.host}, or a firewall there rejects the connection`,
      advice: `check that the node runs, listens on port ${port} on this address (not only on 127.0.0.1) and accepts inbound connections, and that no firewall rejects port ${port}`
    }
    case 'connect-timeout': return {
      cause: `no answer to the connection attempt within ${timeouts.connectMs} ms: a firewall drops it silently, the router does not forward port ${port} (NAT), or the host is offline`,
      advice: `forward port ${port} on the router to the node and open it in the firewall; test from outside your own network (from inside, NAT loopback may fail); or retry with a longer --connect-timeout on a slow link`
    }
    case 'unreachable': return {
      cause: 'no route to that address from here (the network or host is unreachable)',
      advice: 'check the address; for IPv6, check that this machine has IPv6 connectivity'
    }
    case 'handshake-timeout': return {
      cause: `the connection opened but the handshake did not finish within ${timeouts.handshakeMs} ms`,
      advice: 'check that the port is the node\'s P2P port and that the node is not overloaded; retry with a longer --handshake-timeout on a slow link'
    }
    case 'closed': return {
      cause: 'the peer accepted the connection and closed it before the handshake finished: its inbound slots may be full, or it refuses this address',
      advice: 'check the node\'s inbound connection limit and ban list, and that the port belongs to the node'
    }
    case 'reset': return {
      cause: 'the peer reset the connection during the handshake',
      advice: 'check the node\'s log; a firewall or intrusion filter may cut the connection'
    }
    case 'wrong-network': return {
      cause: 'the peer speaks another network',
      advice: 'check it with the right --net'
    }
    case 'obsolete-version': return {
      cause: 'its protocol version is older than the minimum current nodes accept',
      advice: 'upgrade the node software'
    }
    case 'protocol-error': return {
      cause: 'the peer sent messages a conforming node does not send',
      advice: 'check the node software and its version'
    }
    case 'self-connection': return {
      cause: 'this address leads back to this very process',
      advice: 'check another address'
    }
    case 'session-limit': return {
      cause: 'the peer sent more than one session may hold (a message larger than the buffer cap)',
      advice: 'check the node software'
    }
    case 'name-not-resolved': return {
      cause: 'the host name did not resolve to an address',
      advice: 'check the spelling and the DNS record (A or AAAA), or give the IP address'
    }
    case 'non-routable': case 'denied': case 'outside-only': case 'not-dialable-type': return {
      cause: 'the address policy does not allow dialing this address',
      advice: 'see the policy step for the flag that permits it'
    }
    case 'no-route': return {
      cause: 'nothing is configured to reach this address type (onion, I2P and CJDNS need a proxy, a SAM bridge or a route)',
      advice: 'give --onion-proxy (or --proxy) for .onion, --i2p-sam for .b32.i2p, --cjdns-reachable for fc00::/8'
    }
    case 'cancelled': return { cause: 'the check was stopped', advice: 'run it again' }
    default: return {
      cause: 'the connection failed',
      advice: `see the step above; the reason code is ${reason}`
    }
  }
}

/** `  ok    connect      1 ms  connection open in 1 ms` */
export function stepLine (step: CheckStep): string {
  const mark = step.status === 'ok' ? 'ok  ' : step.status === 'warning' ? 'warn' : 'FAIL'
  return `  ${mark}  ${step.name.padEnd(10)} ${`${step.ms} ms`.padStart(8)}  ${step.text}\n`
}

/** What the store knows about the peer, for --json. */
export interface StoredHistory {
  firstSeen: string
  lastTried?: string
  lastSuccess?: string
  successes: number
  failures: number
  lastFailure?: string
  consecutiveFailures?: number
  /** Per window (2h, 8h, 1d, 7d, 30d): percent up, normalised (reliability / weight, docs/design.md §2.4). */
  uptime?: Record<string, number>
  /** The last observations from the store's history (oldest first): when, and up or the failure reason. */
  recent?: Array<{ at: string, outcome: string }>
}

const WINDOWS = ['2h', '8h', '1d', '7d', '30d'] as const

export function storedHistory (r: PeerRecord): StoredHistory {
  const h: StoredHistory = { firstSeen: r.firstSeen, successes: r.successes, failures: r.failures }
  if (r.lastTried !== undefined) h.lastTried = r.lastTried
  if (r.lastSuccess !== undefined) h.lastSuccess = r.lastSuccess
  if (r.lastFailure !== undefined) h.lastFailure = r.lastFailure
  if (r.consecutiveFailures !== undefined) h.consecutiveFailures = r.consecutiveFailures
  const windows = uptimeWindowsOf(r)
  if (windows !== undefined) {
    h.uptime = Object.fromEntries(WINDOWS.map((w, i) => {
      const win = windows[i]
      return [w, win === undefined || win.weight <= 0 ? 0 : Math.round(10000 * win.reliability / win.weight) / 100]
    }))
  }
  return h
}

export function historyLines (h: StoredHistory, endpoint: Endpoint): string {
  const lines = [`  store: ${formatEndpoint(endpoint)} known since ${h.firstSeen}; ${h.successes} successful and ${h.failures} failed session${h.failures === 1 ? '' : 's'}`]
  const last: string[] = []
  if (h.lastSuccess !== undefined) last.push(`last success ${h.lastSuccess}`)
  if (h.lastFailure !== undefined) last.push(`last failure: ${h.lastFailure}${h.consecutiveFailures !== undefined ? ` (${h.consecutiveFailures} in a row)` : ''}`)
  if (last.length > 0) lines.push(`         ${last.join('; ')}`)
  if (h.uptime !== undefined) lines.push(`         uptime ${WINDOWS.map((w) => `${w} ${(h.uptime?.[w] ?? 0).toFixed(1)}%`).join(', ')}`)
  if (h.recent !== undefined && h.recent.length > 0) {
    lines.push(`         last ${h.recent.length} tries (peers history ${formatEndpoint(endpoint)} for all):`)
    for (const o of h.recent) lines.push(`           ${o.at.slice(0, 19).replace('T', ' ')}  ${o.outcome}`)
  }
  return lines.map((l) => `${l}\n`).join('')
}
