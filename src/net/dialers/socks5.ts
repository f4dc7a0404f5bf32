// SOCKS5 (RFC 1928, RFC 1929 for username/password) as Bitcoin Core speaks it to Tor
// (netbase.cpp Socks5(); shared/overlay-networks.md §1.1-1.2).
//
// Our own client, not the `socks` package: `socks` reports reply codes above 0x08 without
// their number, and Tor's extended codes 0xF0-0xF7 (descriptor not found, introduction
// failed, rendezvous failed, bad address …) are exactly what a crawler must tell apart.
// The protocol is four small messages; the client is about 150 lines with its own tests.
import { randomBytes } from 'node:crypto'
import { isIPv4, isIPv6, type Socket } from 'node:net'
import { DialError, type Dial, type Endpoint, type FailureReason } from '../../contract.js'
import { describeError } from '../../errors.js'
import { assertDialAllowed } from '../dial-guard.js'
import { ipv6ToBytes } from '../ip.js'
import { NegotiationReader } from './reader.js'
import { openTcp } from './tcp.js'

export interface ProxyAddress { host: string, port: number }

export interface Socks5Options {
  proxy: ProxyAddress
  /**
   * Stream isolation (Core's -proxyrandomize, on by default): fresh random credentials per
   * connection, so Tor (IsolateSOCKSAuth) builds a separate circuit for each.
   */
  isolate: boolean
  /** Told when the proxy itself fails (down, hung, broken), not when a peer does. */
  onProxyFailure?: (err: DialError) => void
}

/** The proxy broke its protocol or refused us: its fault, not the peer's. */
export class ProxyFault extends DialError {}

/** How long the proxy gets to accept our TCP connection and answer the greeting; longer means it is down or hung (Core: 5 s to connect, 20 s per read). */
export const PROXY_GREETING_MS = 10_000

/** REP field of a SOCKS5 reply as a stable reason (docs/design.md §3). */
export function socksReplyReason (rep: number): FailureReason {
  switch (rep) {
    case 0x01: return 'proxy-error' // general failure
    case 0x02: return 'proxy-denied' // connection not allowed by ruleset
    case 0x03: return 'unreachable' // network unreachable
    case 0x04: return 'unreachable' // host unreachable
    case 0x05: return 'refused' // connection refused
    case 0x06: return 'connect-timeout' // TTL expired
    case 0x07: return 'proxy-error' // command not supported
    case 0x08: return 'proxy-error' // address type not supported
    // Tor's ExtendedErrors (proposal 304; Core's Socks5ErrorString since PR 32200).
    case 0xf0: return 'onion-descriptor-not-found'
    case 0xf1: return 'onion-descriptor-invalid'
    case 0xf2: return 'onion-intro-failed'
    case 0xf3: return 'onion-rendezvous-failed'
    case 0xf4: return 'onion-auth-required'
    case 0xf5: return 'onion-auth-required'
    case 0xf6: return 'onion-bad-address'
    case 0xf7: return 'onion-intro-timeout'
    default: return 'proxy-error'
  }
}

const REPLY_TEXT: Record<number, string> = {
  0x01: 'general failure',
  0x02: 'connection not allowed',
  0x03: 'network unreachable',
  0x04: 'host unreachable',
  0x05: 'connection refused',
  0x06: 'TTL expired',
  0x07: 'command not supported',
  0x08: 'address type not supported',
  0xf0: 'onion service descriptor can not be found',
  0xf1: 'onion service descriptor is invalid',
  0xf2: 'onion service introduction failed',
  0xf3: 'onion service rendezvous failed',
  0xf4: 'onion service missing client authorization',
  0xf5: 'onion service wrong client authorization',
  0xf6: 'onion service invalid address',
  0xf7: 'onion service introduction timed out'
}

// Core: "<16 hex random prefix>-<counter>" (TorStreamIsolationCredentialsGenerator).
const credentialPrefix = randomBytes(8).toString('hex')
let credentialCounter = 0
function isolationCredentials (): Buffer {
  return Buffer.from(`${credentialPrefix}-${credentialCounter++}`, 'latin1')
}

/** The DST.ADDR of a CONNECT: names (onion, i2p) as ATYP 3, never resolved here. */
function destination (endpoint: Endpoint): Buffer {
  if (endpoint.type !== 'onion' && endpoint.type !== 'i2p') {
    if (isIPv4(endpoint.host)) return Buffer.from([0x01, ...endpoint.host.split('.').map(Number)])
    const v6 = isIPv6(endpoint.host) ? ipv6ToBytes(endpoint.host) : undefined
    if (v6 !== undefined) return Buffer.concat([Buffer.from([0x04]), v6])
  }
  const name = Buffer.from(endpoint.host, 'latin1')
  if (name.length === 0 || name.length > 255) throw new DialError('error', `${endpoint.host} is too long for SOCKS5`)
  return Buffer.concat([Buffer.from([0x03, name.length]), name])
}

/** A Dial through one SOCKS5 proxy. */
export function socks5Dialer (options: Socks5Options): Dial {
  const { proxy, isolate } = options
  const what = `SOCKS5 proxy ${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:${proxy.port}`
  const proxyFailure = (): FailureReason => 'proxy-unavailable'
  return async (endpoint, { signal, timeoutMs }) => {
    // The proxy reaches the address for us: the dial guard still applies to it.
    if (endpoint.type !== 'onion' && endpoint.type !== 'i2p') {
      try {
        assertDialAllowed(endpoint.host)
      } catch (err) {
        throw new DialError('error', describeError(err), { cause: err })
      }
    }
    const started = Date.now()
    const greetingMs = Math.min(timeoutMs, PROXY_GREETING_MS)
    const left = (): number => timeoutMs - (Date.now() - started)
    let socket: Socket
    try {
      socket = await openTcp(proxy.host, proxy.port, { signal, timeoutMs: greetingMs, failure: proxyFailure, what })
    } catch (err) {
      if (err instanceof DialError && err.reason === 'proxy-unavailable') options.onProxyFailure?.(err)
      throw err
    }
    const reader = new NegotiationReader(socket, { signal, what })
    const hung = (): DialError => new DialError('proxy-unavailable', `${what} did not answer within ${greetingMs} ms`)
    try {
      // Greeting: with isolation offer no-auth and username/password, as Core does, so a proxy without authentication still accepts.
      socket.write(isolate ? Buffer.from([0x05, 0x02, 0x00, 0x02]) : Buffer.from([0x05, 0x01, 0x00]))
      const choice = await reader.bytes(2, greetingMs - (Date.now() - started), hung)
      if (choice[0] !== 0x05) throw new ProxyFault('proxy-error', `${what} is not a SOCKS5 proxy (version byte ${choice[0]})`)
      if (choice[1] === 0xff) throw new ProxyFault('proxy-denied', `${what} accepts none of our authentication methods`)
      if (choice[1] === 0x02 && isolate) {
        const credential = isolationCredentials()
        socket.write(Buffer.concat([Buffer.from([0x01, credential.length]), credential, Buffer.from([credential.length]), credential]))
        const status = await reader.bytes(2, greetingMs - (Date.now() - started), hung)
        if (status[0] !== 0x01) throw new ProxyFault('proxy-error', `${what} broke the username/password sub-negotiation (version ${status[0]})`)
        if (status[1] !== 0x00) throw new ProxyFault('proxy-denied', `${what} refused our username/password`)
      } else if (choice[1] !== 0x00) {
        throw new ProxyFault('proxy-error', `${what} chose authentication method ${choice[1]}, which we did not offer`)
      }

      const port = Buffer.alloc(2)
      port.writeUInt16BE(endpoint.port)
      socket.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), destination(endpoint), port]))
      // From here on the wait is for the peer (Tor builds circuits): a timeout is the peer's connect timeout.
      const peerTimeout = (): DialError => new DialError('connect-timeout', `no answer through ${what} within ${timeoutMs} ms`)
      const head = await reader.bytes(4, left(), peerTimeout)
      if (head[0] !== 0x05) throw new ProxyFault('proxy-error', `${what} sent a malformed reply (version byte ${head[0]})`)
      if (head[1] !== 0x00) {
        const text = REPLY_TEXT[head[1]] ?? 'unknown reply code'
        throw new DialError(socksReplyReason(head[1]), `${what}: ${text} (0x${head[1].toString(16).padStart(2, '0')})`)
      }
      if (head[2] !== 0x00) throw new ProxyFault('proxy-error', `${what} sent a malformed reply (reserved byte ${head[2]})`)
      // BND.ADDR and BND.PORT: read and ignored, as Core does.
      let rest: number
      if (head[3] === 0x01) rest = 4 + 2
      else if (head[3] === 0x04) rest = 16 + 2
      else if (head[3] === 0x03) rest = (await reader.bytes(1, left(), peerTimeout))[0] + 2
      else throw new ProxyFault('proxy-error', `${what} sent a malformed reply (address type ${head[3]})`)
      await reader.bytes(rest, left(), peerTimeout)
      return reader.release()
    } catch (err) {
      reader.destroy()
      const dialError = err instanceof DialError ? err : new DialError('error', String(err), { cause: err })
      if (dialError.reason === 'proxy-unavailable' || dialError instanceof ProxyFault) options.onProxyFailure?.(dialError)
      throw dialError
    }
  }
}
