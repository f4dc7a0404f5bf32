// Simulated Bitcoin nodes: what one node does with an inbound connection. A behaviour is a
// strategy object shared by every node that behaves alike; the node supplies its own data
// (address, getaddr answer). The honest behaviour answers a crawler the way Bitcoin Core does
// (bitcoin/bitcoin src/net_processing.cpp: version, addr/addrv2, the GETADDR handler, ping); the others are the ways a dial fails in the wild.
import type { Socket } from 'node:net'
import type { Endpoint } from '../../../src/contract.js'
import { BITCOIN_NETWORKS, MAX_ADDR_ENTRIES, MIN_PEER_PROTO_VERSION, PROTOCOL_VERSION } from '../params.js'
import { unmapIPv4 } from '../../../src/net/ip.js'
import { randomNonce, WTXID_RELAY_VERSION } from '../session.js'
import { ADDR_V1_TYPES, encodeFrame, FrameParser, type BitcoinMessage, type NetAddress, type VersionPayload } from '../wire/index.js'

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
  /** How long to hold the getaddr answer back (Core sends it with the addr trickle). */
  getaddrDelayMs (): number
  /** Whether it announces its own address after the handshake, as a listening Core node does. */
  readonly announcesSelf: boolean
  readonly stats: SimnetStats
}

export interface NodeBehaviour {
  /** e.g. 'honest', 'silent'. */
  readonly kind: string
  /** A crawler completes a handshake with it: Simnet.truth() counts it. */
  readonly reachable: boolean
  /** It answers getaddr with node.answer(): Simnet.truth() follows that answer. */
  readonly givesNodeAnswer?: boolean
  /** Takes one inbound connection. Absent: nothing listens at the node's address. */
  accept? (socket: Socket, node: SimNode): void
}

export interface CoreLikeOptions {
  userAgent?: string
  startHeight?: number
  /** Core's -peertimeout: no verack by then ends the connection. */
  handshakeTimeoutMs?: number
  /** Core's TIMEOUT_INTERVAL: our ping unanswered by then ends the connection. */
  pingTimeoutMs?: number
}

/** NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED, as a default Core node advertises. */
export const CORE_SERVICES = 0x409n

const CORE_DEFAULTS: Required<CoreLikeOptions> = {
  userAgent: '/Satoshi:28.1.0/',
  startHeight: 0,
  handshakeTimeoutMs: 60_000,
  pingTimeoutMs: 20 * 60_000
}

/** A listening Bitcoin Core node. */
export function coreLike (options: CoreLikeOptions = {}): NodeBehaviour {
  const settings = { ...CORE_DEFAULTS, ...options }
  return {
    kind: 'honest',
    reachable: true,
    givesNodeAnswer: true,
    accept (socket, node) {
      node.stats.connections++
      // The connection keeps itself alive through its socket's listeners.
      new CoreLikeConnection(socket, node, settings)
    }
  }
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
  private gotVersion = false
  private gotVerack = false
  /** The crawler asked for addrv2 (sendaddrv2 before its verack). */
  private wantsAddrv2 = false
  private answeredGetaddr = false
  private pingNonce?: bigint
  /** The handshake timeout, then the ping timeout. */
  private timer: NodeJS.Timeout
  private answerTimer?: NodeJS.Timeout

  constructor (private readonly socket: Socket, private readonly node: SimNode, private readonly settings: Required<CoreLikeOptions>) {
    this.parser = new FrameParser(node.magic)
    this.timer = setTimeout(() => socket.destroy(), settings.handshakeTimeoutMs)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', ignore)
    socket.on('close', () => {
      clearTimeout(this.timer)
      clearTimeout(this.answerTimer)
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
        else if (m.command === 'sendaddrv2') this.wantsAddrv2 = true
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
    this.send({ command: 'version', payload: versionPayload(this.socket, this.settings) })
    if (v.version >= WTXID_RELAY_VERSION) {
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
    if (this.node.announcesSelf) this.sendAddresses([this.node.self])
  }

  /** Answered once per connection, only after the handshake; repeats are ignored, as in Core. */
  private onGetaddr (): void {
    if (!this.gotVerack || this.answeredGetaddr) return
    this.answeredGetaddr = true
    const delay = this.node.getaddrDelayMs()
    const answer = (): void => {
      this.node.stats.getaddrAnswered++
      this.sendAddresses(this.node.answer())
    }
    if (delay <= 0) answer()
    else this.answerTimer = setTimeout(answer, delay)
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
    if (!this.socket.destroyed) this.socket.write(encodeFrame(this.node.magic, message))
  }
}

function versionPayload (socket: Socket, settings: Required<CoreLikeOptions>): VersionPayload {
  return {
    version: PROTOCOL_VERSION,
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
