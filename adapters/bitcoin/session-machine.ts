// One crawler session with one Bitcoin peer, as a state machine without I/O: the transport
// feeds it what happened (connected, a message, a decode error, a timeout, the socket's
// end) and carries out what it returns (send a message, switch timers, disconnect). Tests
// drive it message by message. Peer behaviour follows Bitcoin Core (bitcoin/bitcoin
// src/net_processing.cpp): version → sendaddrv2/wtxidrelay → verack → getaddr → addr.
// The answer (docs/design.md §1.1): Core since v22 sends its getaddr answer at once, in one
// message with its self-announcement, so the first addr/addrv2 after our getaddr is the
// answer, whatever its size. Only a message whose one entry is the host we dialed (old Core's
// separate self-announcement, or a node with nothing else to give) leaves us waiting on.
import { randomFillSync } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Endpoint, FailureReason, LearnedAddress, PeerInfo, SessionResult } from '../../src/contract.js'
import type { DecodeError } from '../../src/errors.js'
import { unmapIPv4 } from '../../src/net/ip.js'
import { MAX_USER_AGENT, MIN_PEER_PROTO_VERSION, PROTOCOL_VERSION } from './params.js'
import { CountLimitError, type BitcoinMessage, type NetAddress } from './wire/index.js'

export type SessionOutput =
  | { kind: 'send', message: BitcoinMessage }
  /** The handshake is done and getaddr sent: the transport starts the getaddr timeout. */
  | { kind: 'handshake-complete' }
  /** The result is final: the transport disconnects. */
  | { kind: 'finish' }

export type SessionPhase = 'connecting' | 'handshaking' | 'awaiting-addresses' | 'finished'

export interface SessionConfig {
  endpoint: Endpoint
  userAgent: string
  /** Addresses kept; the rest are only counted. */
  maxAddresses: number
  /**
   * Learned addresses as they arrive, one batch per addr message (SessionOptions.onLearned).
   * Given: the result's `learned` stays empty. Absent: they collect there.
   */
  onLearned?: (batch: LearnedAddress[]) => void
  /** Our version nonce; random by default. */
  nonce?: bigint
  /** Monotonic milliseconds, for connectMs and handshakeMs. */
  now?: () => number
}

/** Core's WTXID_RELAY_VERSION: peers from here on get wtxidrelay and sendaddrv2. */
export const WTXID_RELAY_VERSION = 70016
/** Decode errors Core shrugs off at any time: the message is dropped, the connection stays. */
const DROPPED_DECODE_ERRORS = new Set(['bad-checksum', 'bad-command'])

const NONE: readonly SessionOutput[] = Object.freeze([])
const nonceBuffer = new BigUint64Array(1)

export function randomNonce (): bigint {
  randomFillSync(nonceBuffer)
  return nonceBuffer[0]
}

/** `host:port`, lower case, IPv4-mapped IPv6 as IPv4: one key per peer. */
export function peerKey (endpoint: Pick<Endpoint, 'host' | 'port'>): string {
  // Hosts from the codec and parseHostPort are canonical already; only IPv6 text can hide an
  // IPv4-mapped address or upper case. This runs once per advertised address: keep it cheap.
  // join builds one flat string; a template literal builds a rope (a cons string), which the
  // engine's Map then hashes and compares piece by piece: lookups took 1.1 µs instead of 0.65.
  const host = endpoint.host
  return host.includes(':') ? [unmapIPv4(host).toLowerCase(), endpoint.port].join(':') : [host, endpoint.port].join(':')
}

/** Services as decimal text; answers repeat a handful of values, so their text is made once. */
const SERVICES_TEXT = new Map<bigint, string>()
function servicesText (services: bigint): string {
  let text = SERVICES_TEXT.get(services)
  if (text === undefined) {
    text = services.toString()
    // Bounded: a hostile peer could send a million distinct values.
    if (SERVICES_TEXT.size < 256) SERVICES_TEXT.set(services, text)
  }
  return text
}

/**
 * Peer-supplied text made safe for a log line or the store: control characters (C0, C1)
 * and bidirectional overrides removed, length capped.
 */
export function sanitizePeerText (text: string, maxLength = MAX_USER_AGENT): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').slice(0, maxLength)
}

export class BitcoinSession {
  readonly nonce: bigint
  private readonly endpoint: Endpoint
  private readonly userAgent: string
  private readonly maxAddresses: number
  private readonly onLearned?: (batch: LearnedAddress[]) => void
  /** The host we dialed, as peerKey writes it: a lone entry with it is a self-announcement. */
  private readonly dialedHost: string
  private readonly now: () => number
  private readonly startedAt: number
  private connectedAt = 0

  private state: SessionPhase = 'connecting'
  private gotVersion = false
  private gotVerack = false
  /** Messages dropped for a bad checksum: a handshake timeout says so (a peer whose every message fails it). */
  private checksumFailures = 0
  private ok = false
  private reason?: FailureReason
  private detail?: string
  private connectMs?: number
  private handshakeMs?: number
  private peer?: PeerInfo
  private gotAddressAnswer = false
  private getaddrSentAt = 0
  private answer?: { entries: number, afterMs: number }
  private oversized?: { messages: number, largestDeclared: number }
  private addressesReceived = 0
  /** Addresses kept so far (the cap counts them whether streamed or collected). */
  private keptAddresses = 0
  private readonly learned: LearnedAddress[] = []
  private readonly learnedKeys = new Set<string>()

  constructor (config: SessionConfig) {
    this.endpoint = config.endpoint
    this.userAgent = config.userAgent
    this.maxAddresses = config.maxAddresses
    this.onLearned = config.onLearned
    this.dialedHost = hostOfKey(peerKey(config.endpoint))
    this.nonce = config.nonce ?? randomNonce()
    this.now = config.now ?? performance.now.bind(performance)
    this.startedAt = this.now()
  }

  get phase (): SessionPhase { return this.state }

  /** The TCP connection is up: we speak first with our version. */
  connected (): readonly SessionOutput[] {
    if (this.state !== 'connecting') return NONE
    this.connectedAt = this.now()
    this.connectMs = Math.round(this.connectedAt - this.startedAt)
    this.state = 'handshaking'
    return [send({
      command: 'version',
      payload: {
        version: PROTOCOL_VERSION,
        services: 0n,
        timestamp: BigInt(Math.floor(Date.now() / 1000)),
        // addr_recv is addrv1 (16 bytes): Core writes an onion or I2P peer as all zeros (CNetAddr::SerializeV1Array).
        addrRecv: { services: 0n, host: this.endpoint.type === 'onion' || this.endpoint.type === 'i2p' ? '::' : this.endpoint.host, port: this.endpoint.port },
        // Core too sends an all-zero addr_from; receivers ignore it.
        addrFrom: { services: 0n, host: '::', port: 0 },
        nonce: this.nonce,
        userAgent: this.userAgent,
        startHeight: 0,
        relay: false
      }
    })]
  }

  received (message: BitcoinMessage): readonly SessionOutput[] {
    if (this.state === 'finished' || this.state === 'connecting') return NONE
    switch (message.command) {
      case 'version': return this.onVersion(message.payload)
      case 'verack': return this.onVerack()
      case 'ping': return [send({ command: 'pong', nonce: message.nonce })]
      case 'addr': return this.onAddresses(message.addresses, message.addresses.length)
      case 'addrv2': return this.onAddresses(message.addresses, message.addresses.length + message.skipped)
      // Everything else (sendaddrv2, wtxidrelay, inv, feefilter, unknown types) is ignored, as Core does.
      default: return NONE
    }
  }

  /**
   * A frame did not decode; `command` is its message type when only the payload was bad.
   * Fatal errors leave the stream unreadable; the others drop one message.
   */
  decodeError (error: DecodeError, command?: string): readonly SessionOutput[] {
    if (this.state === 'finished') return NONE
    if (error.fatal) {
      const reason: FailureReason = error.reason === 'bad-magic'
        ? 'wrong-network'
        : error.reason === 'buffer-limit' ? 'session-limit' : 'protocol-error'
      return this.end(reason, `${error.reason}: ${error.message}`)
    }
    // An addr/addrv2 declaring more than 1,000 entries: Core punishes it (Misbehaving, "addr
    // message size"); we drop it unlearned, count it, and wait on for the answer.
    if (error instanceof CountLimitError && error.reason === 'too-many-entries' && this.state === 'awaiting-addresses') {
      this.oversized ??= { messages: 0, largestDeclared: 0 }
      this.oversized.messages++
      this.oversized.largestDeclared = Math.max(this.oversized.largestDeclared, error.declared)
      return NONE
    }
    if (error.reason === 'bad-checksum') this.checksumFailures++
    // Once the peer is known good a malformed message costs only that message.
    if (DROPPED_DECODE_ERRORS.has(error.reason) || this.state === 'awaiting-addresses') return NONE
    // Before the handshake Core parses only the first version (verack, sendaddrv2 and
    // wtxidrelay carry nothing); it ignores anything else unread, so a bad one costs nothing.
    if (command !== undefined && (command !== 'version' || this.gotVersion)) return NONE
    return this.fail('protocol-error', `${error.reason}: ${error.message}`)
  }

  /** The current phase's timeout expired. */
  timedOut (): readonly SessionOutput[] {
    switch (this.state) {
      case 'connecting': return this.fail('connect-timeout', 'no answer to the connection attempt')
      case 'handshaking': {
        const checksums = this.checksumFailures === 0 ? '' : `; ${this.checksumFailures} message${this.checksumFailures === 1 ? '' : 's'} failed the checksum`
        return this.fail('handshake-timeout', `${this.gotVersion ? 'no verack' : 'no version'}${checksums}`)
      }
      case 'awaiting-addresses': return this.complete(false)
      default: return NONE
    }
  }

  /**
   * The session ends for a reason outside the protocol (socket error, peer closed, abort,
   * session cap). Before the handshake that is the failure; after it, the session is a
   * success with what was collected.
   */
  end (reason: FailureReason, detail?: string): readonly SessionOutput[] {
    if (this.state === 'finished') return NONE
    if (this.state === 'awaiting-addresses') {
      this.detail = detail === undefined ? reason : `${reason}: ${detail}`
      return this.complete(false)
    }
    return this.fail(reason, detail)
  }

  result (): SessionResult {
    const r: SessionResult = { endpoint: this.endpoint, ok: this.ok, learned: this.learned, addressesReceived: this.addressesReceived }
    if (this.reason !== undefined) r.reason = this.reason
    if (this.detail !== undefined) r.detail = this.detail
    if (this.connectMs !== undefined) r.connectMs = this.connectMs
    if (this.handshakeMs !== undefined) r.handshakeMs = this.handshakeMs
    if (this.peer !== undefined) r.peer = this.peer
    if (this.ok) r.gotAddressAnswer = this.gotAddressAnswer
    if (this.answer !== undefined) r.answer = this.answer
    if (this.oversized !== undefined) r.oversizedAddr = { ...this.oversized }
    return r
  }

  private onVersion (v: Extract<BitcoinMessage, { command: 'version' }>['payload']): readonly SessionOutput[] {
    if (this.gotVersion) return NONE // Core ignores a repeated version
    this.gotVersion = true
    this.peer = {
      protocolVersion: v.version,
      services: v.services.toString(),
      userAgent: sanitizePeerText(v.userAgent),
      startHeight: v.startHeight,
      relay: v.relay
    }
    if (v.nonce === this.nonce) return this.fail('self-connection', 'the peer sent our own version nonce')
    if (v.version < MIN_PEER_PROTO_VERSION) return this.fail('obsolete-version', `protocol version ${v.version} < ${MIN_PEER_PROTO_VERSION}`)
    // Like Core, offer BIP155 and BIP339 only to peers of 70016+; both must precede verack.
    // The peer's verack cannot have come yet: a verack before version already failed.
    return v.version >= WTXID_RELAY_VERSION ? FEATURES_THEN_VERACK : VERACK
  }

  private onVerack (): readonly SessionOutput[] {
    if (!this.gotVersion) return this.fail('protocol-error', 'verack before version')
    if (this.gotVerack) return NONE
    this.gotVerack = true
    return this.handshakeDone()
  }

  private handshakeDone (): readonly SessionOutput[] {
    this.getaddrSentAt = this.now()
    this.handshakeMs = Math.round(this.getaddrSentAt - this.connectedAt)
    this.state = 'awaiting-addresses'
    return GETADDR
  }

  private onAddresses (addresses: readonly NetAddress[], entries: number): readonly SessionOutput[] {
    this.addressesReceived += entries
    // Like Core, nothing a peer advertises counts before its handshake is complete: a peer
    // that never finishes one must not be able to steer the crawl.
    if (this.state !== 'awaiting-addresses') return NONE
    const batch: LearnedAddress[] = []
    for (const a of addresses) {
      if (this.keptAddresses >= this.maxAddresses) break
      const key = peerKey(a)
      if (this.learnedKeys.has(key)) continue
      this.learnedKeys.add(key)
      this.keptAddresses++
      batch.push({ endpoint: { host: a.host, port: a.port, type: a.type }, key, time: a.time, services: servicesText(a.services) })
    }
    if (batch.length > 0) {
      if (this.onLearned !== undefined) this.onLearned(batch)
      else for (const l of batch) this.learned.push(l)
    }
    // A lone entry with the host we dialed (any port) is a self-announcement: old Core's,
    // sent before its trickled answer, or the whole answer of a node that knows no one else.
    // Either way more may come: wait on, at most until the ask-for-peers timeout.
    if (entries === 1 && addresses.length === 1 && hostOfKey(peerKey(addresses[0])) === this.dialedHost) return NONE
    this.answer = { entries, afterMs: Math.round(this.now() - this.getaddrSentAt) }
    return this.complete(true)
  }

  private complete (gotAddressAnswer: boolean): readonly SessionOutput[] {
    this.state = 'finished'
    this.ok = true
    this.gotAddressAnswer = gotAddressAnswer
    return FINISH
  }

  private fail (reason: FailureReason, detail?: string): readonly SessionOutput[] {
    this.state = 'finished'
    this.reason = reason
    if (detail !== undefined) this.detail = detail
    return FINISH
  }
}

/** The host part of a peerKey (`host:port`, IPv6 without brackets). */
function hostOfKey (key: string): string {
  return key.slice(0, key.lastIndexOf(':'))
}

function send (message: BitcoinMessage): SessionOutput {
  return { kind: 'send', message }
}

// Outputs without per-session data are shared.
const FINISH: readonly SessionOutput[] = Object.freeze([{ kind: 'finish' }])
const VERACK: readonly SessionOutput[] = Object.freeze([send({ command: 'verack' })])
const FEATURES_THEN_VERACK: readonly SessionOutput[] = Object.freeze([send({ command: 'sendaddrv2' }), send({ command: 'wtxidrelay' }), send({ command: 'verack' })])
const GETADDR: readonly SessionOutput[] = Object.freeze([send({ command: 'getaddr' }), { kind: 'handshake-complete' }])
