// Simulated Bitcoin nodes: what one node does with an inbound connection. A behaviour is a
// strategy object shared by every node that behaves alike; the node supplies its own data
// (address, getaddr answer, latency). The honest behaviours answer a crawler the way the
// implementations on the real network do (bitcoin/bitcoin src/net_processing.cpp): current Bitcoin
// Core by default, and old Core, bcoin, small, mute and slow nodes as options; the other
// behaviours are the ways a dial fails in the wild.
import type { Socket } from 'node:net'
import type { Endpoint } from '../../../src/contract.js'
import { BITCOIN_NETWORKS, MAX_ADDR_ENTRIES, MIN_PEER_PROTO_VERSION, PROTOCOL_VERSION } from '../params.js'
import { unmapIPv4 } from '../../../src/net/ip.js'
import { randomNonce, WTXID_RELAY_VERSION } from '../session-machine.js'
import { ADDR_V1_TYPES, encodeFrame, FrameParser, type BitcoinMessage, type NetAddress, type VersionPayload } from '../wire/index.js'
import { exponential } from './random.js'

export interface SimnetStats {
  /** Inbound connections accepted by any node. */
  connections: number
  /** Handshakes completed (the crawler's verack arrived after our version). */
  handshakes: number
  getaddrAnswered: number
  /** Pongs that matched our ping. */
  pongs: number
}

export function emptyStats (): SimnetStats {
  return { connections: 0, handshakes: 0, getaddrAnswered: 0, pongs: 0 }
}

/** What a behaviour sees of the node it runs for. */
export interface SimNode {
  readonly endpoint: Endpoint
  /** The network's message start. */
  readonly magic: Uint8Array
  /** Its own address, as it announces it. */
  readonly self: NetAddress
  /** Its getaddr answer: fixed for the node's life, as Core caches it for about a day. */
  answer (): readonly NetAddress[]
  /**
   * How long it holds its getaddr answer back: its behaviour's fixed delay, old Core's trickle
   * draw, the simnet's `getaddrDelayMeanMs` draw. Fixed per node, so truth() knows it.
   */
  getaddrDelayMs (): number
  /** Whether it listens on a routable address: only then does Core announce itself. */
  readonly announcesSelf: boolean
  /** Added to every reply it sends: the network round trip (`--latency`). */
  readonly latencyMs: number
  /** A draw in [0, 1) from the node's own seeded stream (trickle times, gossip samples). */
  random (): number
  readonly stats: SimnetStats
}

export interface NodeBehaviour {
  /** e.g. 'honest', 'silent'. */
  readonly kind: string
  /** A crawler completes a handshake with it: Simnet.truth() counts it. */
  readonly reachable: boolean
  /** It answers getaddr with node.answer(): Simnet.truth() follows that answer. */
  readonly givesNodeAnswer?: boolean
  /** Its answer holds only what is needed to keep the network connected (a node that knows only a few). */
  readonly smallAnswer?: boolean
  /** Fixed delay of its getaddr answer (slow nodes). */
  readonly answerDelayMs?: number
  /** Its answer waits for the addr trickle: an exponential delay of this mean (old Core). */
  readonly answerTrickleMeanMs?: number
  /** Takes one inbound connection. Absent: nothing listens at the node's address. */
  accept? (socket: Socket, node: SimNode): void
}

/**
 * How a node sends addresses after the handshake:
 * - 'core': Core since v22. Nothing before our getaddr; then the answer and its own address
 *   in one message at once; later messages are gossip on the trickle.
 * - 'old-core': Core before v22. Its own address alone right after the handshake; the answer
 *   on the trickle (exponential, `trickleMeanMs`).
 * - 'bcoin': bcoin 1.0.2. No BIP155/BIP339 (protocol 70015), the answer at once, no
 *   self-announcement inside it.
 */
export type AddrFlavour = 'core' | 'old-core' | 'bcoin'

export interface CoreLikeOptions {
  /** The behaviour's kind, as Simnet.endpointsOf() and the simnet summary name it. Default 'honest'. */
  kind?: string
  flavour?: AddrFlavour
  /** false: never answers getaddr (a node whose address manager has nothing to give). Default true. */
  answersGetaddr?: boolean
  /** Only what keeps the network connected in its answer (Simnet's 'small' nodes). */
  smallAnswer?: boolean
  /** Holds its version back this long (a slow node: 3 s). */
  versionDelayMs?: number
  /** Holds its getaddr answer back this long (a slow node: 5 s). */
  answerDelayMs?: number
  /**
   * Mean of the exponential addr trickle: Core's AVG_ADDRESS_BROADCAST_INTERVAL (30 s). Gossip
   * after the answer (and old Core's answer itself) waits on it.
   */
  trickleMeanMs?: number
  userAgent?: string
  /** Its protocol version; bcoin 1.0.2 speaks 70015. */
  protocolVersion?: number
  startHeight?: number
  /** Core's -peertimeout: no verack by then ends the connection. */
  handshakeTimeoutMs?: number
  /** Core's TIMEOUT_INTERVAL: our ping unanswered by then ends the connection. */
  pingTimeoutMs?: number
}

/** NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED, as a default Core node advertises. */
export const CORE_SERVICES = 0x409n
/** Core's AVG_ADDRESS_BROADCAST_INTERVAL (src/net_processing.cpp): 30 s. */
export const AVG_ADDRESS_BROADCAST_INTERVAL_MS = 30_000
/** Core relays gossip in messages of at most 10 entries (RelayAddress only forwards addr messages of ≤ 10). */
const GOSSIP_MAX_ENTRIES = 10

type CoreLikeSettings = Required<CoreLikeOptions>

const CORE_DEFAULTS: CoreLikeSettings = {
  kind: 'honest',
  flavour: 'core',
  answersGetaddr: true,
  smallAnswer: false,
  versionDelayMs: 0,
  answerDelayMs: 0,
  trickleMeanMs: AVG_ADDRESS_BROADCAST_INTERVAL_MS,
  userAgent: '/Satoshi:28.1.0/',
  protocolVersion: PROTOCOL_VERSION,
  startHeight: 0,
  handshakeTimeoutMs: 60_000,
  pingTimeoutMs: 20 * 60_000
}

/** A listening Bitcoin node: current Core unless the options say otherwise. */
export function coreLike (options: CoreLikeOptions = {}): NodeBehaviour {
  const settings: CoreLikeSettings = { ...CORE_DEFAULTS, ...options }
  return {
    kind: settings.kind,
    reachable: true,
    givesNodeAnswer: settings.answersGetaddr,
    smallAnswer: settings.smallAnswer,
    answerDelayMs: settings.answerDelayMs,
    answerTrickleMeanMs: settings.flavour === 'old-core' ? settings.trickleMeanMs : 0,
    accept (socket, node) {
      node.stats.connections++
      // The connection keeps itself alive through its socket's listeners.
      new CoreLikeConnection(socket, node, settings)
    }
  }
}

/** Core before v22 (v0.21.x): self-announcement at the handshake, the answer on the trickle. */
export function oldCore (options: CoreLikeOptions = {}): NodeBehaviour {
  return coreLike({ kind: 'old-core', flavour: 'old-core', userAgent: '/Satoshi:0.21.2/', ...options })
}

/** bcoin 1.0.2 (what `npm i bcoin` runs): protocol 70015, answers at once, no self-announcement. */
export function bcoinLike (options: CoreLikeOptions = {}): NodeBehaviour {
  return coreLike({ kind: 'bcoin', flavour: 'bcoin', userAgent: '/bcoin:v1.0.2/', protocolVersion: 70015, ...options })
}

/** A node that knows only a few addresses: a handful in its answer. */
export function smallCore (options: CoreLikeOptions = {}): NodeBehaviour {
  return coreLike({ kind: 'small', smallAnswer: true, ...options })
}

/** A reachable Core node that never answers getaddr. */
export function muteCore (options: CoreLikeOptions = {}): NodeBehaviour {
  return coreLike({ kind: 'mute', answersGetaddr: false, ...options })
}

/**
 * An honest node at the slow end that a crawler must still find: its version after 3 s, its
 * getaddr answer after 5 s (the floor of docs/design.md §1.1).
 */
export function slowCore (options: CoreLikeOptions = {}): NodeBehaviour {
  return coreLike({ kind: 'slow', versionDelayMs: 3000, answerDelayMs: 5000, ...options })
}

/** Accepts and never speaks (a tarpit, or a node stuck in its own work). */
export const silent: NodeBehaviour = {
  kind: 'silent',
  reachable: false,
  accept (socket, node) {
    node.stats.connections++
    socket.on('error', ignore)
    socket.resume()
  }
}

/** Accepts and closes at once: sends FIN, reads and discards until the crawler closes too. */
export const closeImmediately: NodeBehaviour = {
  kind: 'close-immediately',
  reachable: false,
  accept (socket, node) {
    node.stats.connections++
    socket.on('error', ignore)
    socket.resume()
    socket.end()
  }
}

/**
 * A node of another network. A Core node on another network would just drop us; this one
 * answers the first bytes with its own version, as other implementations do, so the crawler
 * can tell why.
 */
export const wrongNetwork: NodeBehaviour = {
  kind: 'wrong-network',
  reachable: false,
  accept (socket, node) {
    node.stats.connections++
    socket.on('error', ignore)
    const magic = BITCOIN_NETWORKS.find((n) => !sameBytes(n.magic, node.magic))?.magic ?? Uint8Array.of(0, 0, 0, 0)
    socket.once('data', () => {
      socket.write(encodeFrame(magic, { command: 'version', payload: versionPayload(socket, CORE_DEFAULTS) }))
    })
    socket.resume()
  }
}

/** Nothing listens: the dial is refused (or, in 127.9/16 under HOLE=1, dropped). */
export const unreachable: NodeBehaviour = { kind: 'refused', reachable: false }

// sendcmpct(announce = false, version 2) and feefilter(1000 sat/kvB): sent by Core after the
// handshake, ignored by a crawler.
const SENDCMPCT: BitcoinMessage = { command: 'other', name: 'sendcmpct', payload: Uint8Array.of(0, 2, 0, 0, 0, 0, 0, 0, 0) }
const FEEFILTER: BitcoinMessage = { command: 'other', name: 'feefilter', payload: Uint8Array.of(0xe8, 0x03, 0, 0, 0, 0, 0, 0) }

class CoreLikeConnection {
  private readonly parser: FrameParser
  private readonly writer: DelayedWriter
  private gotVersion = false
  private gotVerack = false
  /** The crawler asked for addrv2 (sendaddrv2 before its verack). */
  private wantsAddrv2 = false
  private answeredGetaddr = false
  private pingNonce?: bigint
  /** The handshake timeout, then the ping timeout. */
  private timer: NodeJS.Timeout
  /** The pending getaddr answer, then the gossip trickle. */
  private addrTimer?: NodeJS.Timeout

  constructor (private readonly socket: Socket, private readonly node: SimNode, private readonly settings: CoreLikeSettings) {
    this.parser = new FrameParser(node.magic)
    this.writer = new DelayedWriter(socket, node.latencyMs)
    this.timer = setTimeout(() => socket.destroy(), settings.handshakeTimeoutMs)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', ignore)
    socket.on('close', () => {
      clearTimeout(this.timer)
      clearTimeout(this.addrTimer)
      this.writer.close()
    })
  }

  private onData (chunk: Buffer): void {
    for (const frame of this.parser.push(chunk)) {
      if (this.socket.destroyed) return
      if (frame.kind === 'message') this.onMessage(frame.message)
      else if (frame.error.fatal) this.socket.destroy()
    }
  }

  private onMessage (m: BitcoinMessage): void {
    // Core ignores everything before version.
    if (!this.gotVersion && m.command !== 'version') return
    switch (m.command) {
      case 'version': this.onVersion(m.payload); break
      case 'verack': this.onVerack(); break
      case 'sendaddrv2': case 'wtxidrelay':
        // Feature negotiation belongs between version and verack; later it is misbehaviour.
        if (this.gotVerack) this.socket.destroy()
        else if (m.command === 'sendaddrv2' && this.settings.flavour !== 'bcoin') this.wantsAddrv2 = true
        break
      case 'getaddr': this.onGetaddr(); break
      case 'ping': this.send({ command: 'pong', nonce: m.nonce }); break
      case 'pong':
        if (m.nonce === this.pingNonce) {
          this.pingNonce = undefined
          clearTimeout(this.timer)
          this.node.stats.pongs++
        }
        break
      default: break
    }
  }

  private onVersion (v: VersionPayload): void {
    if (this.gotVersion) return
    this.gotVersion = true
    if (v.version < MIN_PEER_PROTO_VERSION) {
      this.socket.destroy()
      return
    }
    // A slow node: everything it says from here on waits behind its version.
    this.writer.hold(this.settings.versionDelayMs)
    this.send({ command: 'version', payload: versionPayload(this.socket, this.settings) })
    if (v.version >= WTXID_RELAY_VERSION && this.settings.protocolVersion >= WTXID_RELAY_VERSION) {
      this.send({ command: 'wtxidrelay' })
      this.send({ command: 'sendaddrv2' })
    }
    this.send({ command: 'verack' })
  }

  private onVerack (): void {
    if (this.gotVerack) return
    this.gotVerack = true
    this.node.stats.handshakes++
    this.send(SENDCMPCT)
    this.pingNonce = randomNonce()
    this.send({ command: 'ping', nonce: this.pingNonce })
    this.send(FEEFILTER)
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.socket.destroy(), this.settings.pingTimeoutMs)
    // Core before v22 (src/net_processing.cpp, SendMessages before PR 21528): address relay is
    // on for every peer, m_next_local_addr_send starts at 0, so AdvertiseLocal queues its own
    // address at the first send cycle after the handshake, and MaybeSendAddr sends it at once
    // because m_next_addr_send starts at 0 too: a 1-entry addr. Current Core sends nothing
    // here: MaybeSendAddr returns while `!peer.m_addr_relay_enabled`, which for an inbound
    // peer turns on only with its first addr/addrv2/getaddr (SetupAddressRelay).
    if (this.settings.flavour === 'old-core' && this.node.announcesSelf) this.sendAddresses([this.node.self])
  }

  /** Answered once per connection, only after the handshake; repeats are ignored, as in Core. */
  private onGetaddr (): void {
    // Core, src/net_processing.cpp, ProcessMessage's NetMsgType::GETADDR branch: only from
    // inbound peers, once per connection (m_getaddr_recvd), after the handshake.
    if (!this.gotVerack || this.answeredGetaddr || !this.settings.answersGetaddr) return
    this.answeredGetaddr = true
    // The GETADDR branch fills m_addrs_to_send with GetAddresses(MAX_ADDR_TO_SEND,
    // MAX_PCT_ADDR_TO_SEND) through PushAddress. Current Core: MaybeSendAddr then appends its
    // own address (the self-announcement, when it listens) and sends at once, since
    // m_next_addr_send is still 0 — one message. Old Core: m_next_addr_send was set by the
    // self-announcement, so the answer waits for the next trickle tick.
    const delay = this.node.getaddrDelayMs()
    const answer = (): void => {
      if (this.socket.destroyed) return
      this.node.stats.getaddrAnswered++
      const entries = [...this.node.answer()]
      if (this.settings.flavour === 'core' && this.node.announcesSelf) {
        // PushAddress appends; on a full vector (MAX_ADDR_TO_SEND) it overwrites a random entry.
        if (entries.length < MAX_ADDR_ENTRIES) entries.push(this.node.self)
        else entries[Math.floor(this.node.random() * entries.length)] = this.node.self
      }
      this.sendAddresses(entries)
      this.scheduleGossip()
    }
    if (delay <= 0) answer()
    else this.addrTimer = setTimeout(answer, delay)
  }

  /**
   * After the answer, m_next_addr_send = now + an exponential of mean
   * AVG_ADDRESS_BROADCAST_INTERVAL (MaybeSendAddr): gossip of at most 10 entries at that pace.
   * The simnet gossips entries of its own answer, so truth() does not change.
   */
  private scheduleGossip (): void {
    if (this.settings.flavour === 'bcoin') return
    this.addrTimer = setTimeout(() => {
      const answer = this.node.answer()
      if (answer.length === 0 || this.socket.destroyed) return
      const count = 1 + Math.floor(this.node.random() * Math.min(GOSSIP_MAX_ENTRIES, answer.length))
      const start = Math.floor(this.node.random() * answer.length)
      const gossip: NetAddress[] = []
      for (let k = 0; k < count; k++) gossip.push(answer[(start + k) % answer.length])
      this.sendAddresses(gossip)
      this.scheduleGossip()
    }, exponential(() => this.node.random(), this.settings.trickleMeanMs))
  }

  /** One message, as Core sends: at most MAX_ADDR_ENTRIES. */
  private sendAddresses (addresses: readonly NetAddress[]): void {
    if (this.wantsAddrv2) {
      if (addresses.length > 0) this.send({ command: 'addrv2', addresses: addresses.slice(0, MAX_ADDR_ENTRIES), skipped: 0 })
      return
    }
    // Without BIP155 only what fits the 16-byte legacy form can go.
    const legacy = addresses.filter((a) => ADDR_V1_TYPES.includes(a.type)).slice(0, MAX_ADDR_ENTRIES)
    if (legacy.length > 0) this.send({ command: 'addr', addresses: legacy })
  }

  private send (message: BitcoinMessage): void {
    this.writer.write(encodeFrame(this.node.magic, message))
  }
}

/**
 * Writes after the node's latency, in order. hold() delays everything written from then on
 * by a further amount (a slow node's version). Without latency or hold it writes at once.
 */
class DelayedWriter {
  private readonly queue: Array<{ at: number, frame: Uint8Array }> = []
  private timer?: NodeJS.Timeout
  private holdUntil = 0
  private lastAt = 0

  constructor (private readonly socket: Socket, private readonly latencyMs: number) {}

  hold (ms: number): void {
    if (ms > 0) this.holdUntil = Math.max(this.holdUntil, Date.now() + ms)
  }

  write (frame: Uint8Array): void {
    if (this.socket.destroyed) return
    const now = Date.now()
    const at = Math.max(now + this.latencyMs, this.holdUntil + this.latencyMs, this.lastAt)
    if (at <= now && this.queue.length === 0) {
      this.socket.write(frame)
      return
    }
    this.lastAt = at
    this.queue.push({ at, frame })
    if (this.timer === undefined) this.arm()
  }

  close (): void {
    clearTimeout(this.timer)
    this.queue.length = 0
  }

  private arm (): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      const now = Date.now()
      while (this.queue.length > 0 && this.queue[0].at <= now) {
        const { frame } = this.queue.shift()!
        if (!this.socket.destroyed) this.socket.write(frame)
      }
      if (this.queue.length > 0) this.arm()
    }, Math.max(0, this.queue[0].at - Date.now()))
  }
}

function versionPayload (socket: Socket, settings: CoreLikeSettings): VersionPayload {
  return {
    version: settings.protocolVersion,
    services: CORE_SERVICES,
    timestamp: BigInt(Math.floor(Date.now() / 1000)),
    addrRecv: { services: 0n, host: unmapIPv4(socket.remoteAddress ?? '::'), port: socket.remotePort ?? 0 },
    addrFrom: { services: CORE_SERVICES, host: '::', port: 0 },
    nonce: randomNonce(),
    userAgent: settings.userAgent,
    startHeight: settings.startHeight,
    relay: true
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function ignore (): void {}
