// Hostile simulated Bitcoin peers: each one misbehaves in one way a stranger on the real
// network can (lying lengths, floods, slow drips, resets, junk addresses). Each is a simnet
// NodeBehaviour: `new Simnet({ custom: [{ count: 1, behaviour: hostileBehaviour(kind) }] })`
// mixes it into a network of honest nodes. A wrong magic and closing at once are the
// simnet's own `wrongNetwork` and `closeImmediately`.
// Malformed frames are built here byte by byte because the codec refuses to encode them.
import type { Socket } from 'node:net'
import type { Endpoint, FailureReason } from '../../../src/contract.js'
import { MAX_ADDR_ENTRIES, MAX_ADDRV2_ADDR_BYTES, PROTOCOL_VERSION } from '../params.js'
import { unmapIPv4 } from '../session.js'
import { BIP155, checksum, encodeFrame, encodePayload, FrameParser, HEADER_BYTES, Writer, type BitcoinMessage, type NetAddress, type VersionPayload } from '../wire/index.js'
import { CORE_SERVICES, type NodeBehaviour, type SimNode } from './node.js'
import { deriveSeed, seededRandom } from './random.js'

export const HOSTILE_KINDS = [
  'bad-checksum', // version and verack whose checksums do not match
  'huge-payload', // a header announcing a 4 GB payload
  'oversized-frame', // a legal payload length (< 4 MB) larger than the crawler's buffer cap
  'slow-drip', // a valid version, one byte at a time
  'version-no-verack', // version, then silence
  'verack-before-version', // verack first, then version and verack
  'huge-user-agent', // version whose user agent length is 2^64-1
  'lying-addr-count', // handshake, then addr messages whose counts exceed their entries
  'addr-flood', // version, hundreds of full addr messages, verack, then thousands of lone self-announcements (a new port each) and a full answer
  'bad-addrv2', // handshake, then addrv2 with oversized lengths and unknown network ids
  'garbage', // random bytes
  'reset-mid-message', // half a version, then a TCP reset
  'nonsense-version', // version 0, negative height and time, all service bits
  'ping-flood', // handshake, then pings without end; never reads our pongs
  'bad-advertiser' // handshake, then non-routable, duplicate and self addresses
] as const
export type HostileKind = typeof HOSTILE_KINDS[number]


/**
 * What a crawler that treats peers as Bitcoin Core does should conclude about each kind:
 * the failure reason, or 'reachable' when the handshake itself was valid.
 */
export const HOSTILE_VERDICTS: Readonly<Record<HostileKind, FailureReason | 'reachable'>> = {
  'bad-checksum': 'handshake-timeout', // each bad message is dropped; nothing valid ever comes
  'huge-payload': 'protocol-error',
  'oversized-frame': 'session-limit', // the buffered-bytes cap
  'slow-drip': 'handshake-timeout',
  'version-no-verack': 'handshake-timeout',
  'verack-before-version': 'protocol-error',
  'huge-user-agent': 'protocol-error',
  'lying-addr-count': 'reachable', // after the handshake a malformed message costs only itself
  'addr-flood': 'reachable',
  'bad-addrv2': 'reachable',
  garbage: 'wrong-network', // its first bytes are not our magic
  'reset-mid-message': 'reset',
  'nonsense-version': 'obsolete-version',
  'ping-flood': 'reachable',
  'bad-advertiser': 'reachable'
}

export interface HostileOptions {
  /** Seeds the PRNG of 'garbage' and the flood's addresses. */
  seed?: number
  /** 'slow-drip': pause between bytes. Default 300 ms. */
  dripMs?: number
  /** 'addr-flood': full messages sent before verack. Default 300. */
  floodMessages?: number
  /**
   * 'addr-flood': 1-entry messages sent after getaddr, before the answer, each with the host
   * the crawler dialed and a new port: the only thing a session waits on through (it takes
   * them for self-announcements), so the only way to push it to its address cap. Default 3000.
   */
  floodSelfMessages?: number
  /** 'addr-flood': first octet of its addresses (public, outside every test's --only-cidr). Default 11. */
  floodFirstOctet?: number
  /** 'bad-advertiser' and 'bad-addrv2': real peers to mention among the junk (asked at getaddr time). */
  knows?: () => readonly Endpoint[]
  /** 'ping-flood': stop after this many pings (a ceiling for the test process, not the crawler's). */
  maxPings?: number
}

export interface HostileStats {
  connections: number
  /** Hostile writes: flood messages, batches of 256 pings, drip bytes, broken frames. */
  hostileWrites: number
  /** ms from accepting each connection to its close. */
  connectionMs: number[]
}

export interface HostileBehaviour extends NodeBehaviour {
  readonly kind: HostileKind
  readonly stats: HostileStats
}

/** Addresses 'bad-advertiser' sends that the crawler must never dial (Core's IsRoutable and the policy's extras). */
export const NON_ROUTABLE_SAMPLES: readonly string[] = [
  '10.1.2.3', '172.16.5.4', '192.168.1.1', '169.254.9.9', '100.64.0.1', '0.0.0.0', '255.255.255.255',
  '224.0.0.1', '192.0.2.7', '198.51.100.7', '203.0.113.7', '198.18.0.1', '240.0.0.1',
  // (fc00::/8 in an addr message reads as CJDNS, an overlay, so it is not among these.)
  'fe80::1', '2001:db8::1', '::'
]

/** The user agent hostile peers announce: the store shows which record is which. */
export function hostileUserAgent (kind: HostileKind): string {
  return `/hostile:${kind}/`
}

export function hostileBehaviour (kind: HostileKind, options: HostileOptions = {}): HostileBehaviour {
  const stats: HostileStats = { connections: 0, hostileWrites: 0, connectionMs: [] }
  return {
    kind,
    reachable: HOSTILE_VERDICTS[kind] === 'reachable',
    stats,
    accept (socket, node) {
      const acceptedAt = Date.now()
      const index = stats.connections++
      socket.on('error', () => {}) // the crawler hanging up is expected
      socket.on('close', () => { stats.connectionMs.push(Date.now() - acceptedAt) })
      BEHAVIOURS[kind](new HostileConnection(kind, socket, node, options, stats, deriveSeed(options.seed ?? 1, index)))
    }
  }
}

/** One accepted connection: reads the crawler's frames, writes valid or broken ones. */
class HostileConnection {
  readonly random: () => number
  readonly userAgent: string
  readonly magic: Uint8Array
  private readonly handlers = new Map<string, () => void>()

  constructor (kind: HostileKind, readonly socket: Socket, readonly node: SimNode, readonly options: HostileOptions, readonly stats: HostileStats, seed: number) {
    this.random = seededRandom(seed)
    this.userAgent = hostileUserAgent(kind)
    this.magic = node.magic
    const parser = new FrameParser(this.magic)
    socket.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        if (frame.kind === 'message') this.handlers.get(frame.message.command)?.()
      }
    })
  }

  get open (): boolean {
    return !this.socket.destroyed && this.socket.writable
  }

  /** Run `handler` when the crawler sends `command` (version, getaddr, …). */
  on (command: string, handler: () => void): void {
    this.handlers.set(command, handler)
  }

  send (message: BitcoinMessage): void {
    this.write(encodeFrame(this.magic, message))
  }

  write (bytes: Uint8Array): boolean {
    return this.open && this.socket.write(bytes)
  }

  /** Write respecting backpressure; false once the crawler has gone. */
  async writeDrained (bytes: Uint8Array): Promise<boolean> {
    if (this.write(bytes)) return this.open
    if (!this.open) return false
    return await new Promise((resolve) => {
      const settle = (drained: boolean) => (): void => {
        this.socket.off('drain', onDrain).off('close', onClose)
        resolve(drained)
      }
      const onDrain = settle(true)
      const onClose = settle(false)
      this.socket.on('drain', onDrain).on('close', onClose)
    })
  }

  /** A valid version from this peer, with any fields replaced. */
  version (overrides: Partial<VersionPayload> = {}): VersionPayload {
    return {
      version: PROTOCOL_VERSION,
      services: CORE_SERVICES,
      timestamp: BigInt(Math.floor(Date.now() / 1000)),
      addrRecv: { services: 0n, host: unmapIPv4(this.socket.remoteAddress ?? '::'), port: this.socket.remotePort ?? 0 },
      addrFrom: { services: 0n, host: '::', port: 0 },
      // Never the crawler's random nonce in practice: a fixed pattern.
      nonce: 0x5a5a5a5a5a5a5a5an,
      userAgent: this.userAgent,
      startHeight: 100,
      relay: false,
      ...overrides
    }
  }

  /** What an honest node answers to the crawler's version. */
  answerVersion (): void {
    this.send({ command: 'version', payload: this.version() })
    this.send({ command: 'sendaddrv2' })
    this.send({ command: 'verack' })
  }
}

/** A frame with any header fields, valid or not. */
function rawFrame (magic: Uint8Array, command: string, payload: Uint8Array, header: { length?: number, checksum?: Uint8Array } = {}): Uint8Array {
  const frame = new Uint8Array(HEADER_BYTES + payload.length)
  const view = new DataView(frame.buffer)
  frame.set(magic, 0)
  for (let i = 0; i < command.length; i++) frame[4 + i] = command.charCodeAt(i)
  view.setUint32(16, header.length ?? payload.length, true)
  frame.set(header.checksum ?? checksum(payload), 20)
  frame.set(payload, HEADER_BYTES)
  return frame
}

/** version | services | timestamp | addr_recv | addr_from | nonce: where the user agent starts. */
const USER_AGENT_OFFSET = 4 + 8 + 8 + 26 + 26 + 8

function addrEntry (time: number, host: string, port: number): NetAddress {
  return { time, services: 1n, type: host.includes(':') ? 'ipv6' : 'ipv4', host, port }
}

function unixNow (): number {
  return Math.floor(Date.now() / 1000)
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const BEHAVIOURS: Record<HostileKind, (peer: HostileConnection) => void> = {
  'bad-checksum': (peer) => {
    peer.on('version', () => {
      const version = encodePayload({ command: 'version', payload: peer.version() })
      peer.write(rawFrame(peer.magic, 'version', version, { checksum: checksum(version).map((b) => b ^ 0xff) }))
      peer.write(rawFrame(peer.magic, 'verack', new Uint8Array(0), { checksum: Uint8Array.of(0, 0, 0, 0) }))
      peer.stats.hostileWrites += 2
    })
  },

  'huge-payload': (peer) => {
    peer.on('version', () => {
      // The header promises 4 GB; a crawler that sizes a buffer from it is in trouble.
      peer.write(rawFrame(peer.magic, 'version', new Uint8Array(4096), { length: 0xffffffff }))
      peer.stats.hostileWrites++
    })
  },

  'oversized-frame': (peer) => {
    peer.on('version', () => {
      void (async () => {
        // 3.9 MB is a legal payload length (Core's limit is 4,000,000); the body follows in 64 KB pieces.
        const length = 3_900_000
        if (!await peer.writeDrained(rawFrame(peer.magic, 'addr', new Uint8Array(0), { length }))) return
        const piece = new Uint8Array(1 << 16)
        for (let sent = 0; sent < length; sent += piece.length) {
          peer.stats.hostileWrites++
          if (!await peer.writeDrained(piece)) return
        }
      })()
    })
  },

  'slow-drip': (peer) => {
    const frame = encodeFrame(peer.magic, { command: 'version', payload: peer.version() })
    void (async () => {
      for (let i = 0; peer.open; i = (i + 1) % frame.length) {
        peer.write(frame.subarray(i, i + 1))
        peer.stats.hostileWrites++
        await delay(peer.options.dripMs ?? 300)
      }
    })()
  },

  'version-no-verack': (peer) => {
    peer.on('version', () => {
      peer.send({ command: 'version', payload: peer.version() })
    })
  },

  'verack-before-version': (peer) => {
    peer.on('version', () => {
      peer.send({ command: 'verack' })
      peer.answerVersion()
    })
  },

  'huge-user-agent': (peer) => {
    peer.on('version', () => {
      // CompactSize 0xff ffffffffffffffff: a user agent of 2^64-1 bytes, 16 of which follow.
      const valid = encodePayload({ command: 'version', payload: peer.version() })
      const payload = new Writer().bytes(valid.subarray(0, USER_AGENT_OFFSET)).compactSize(0xffffffffffffffffn).bytes(new Uint8Array(16).fill(0x41)).finish()
      peer.write(rawFrame(peer.magic, 'version', payload))
      peer.stats.hostileWrites++
    })
  },

  'lying-addr-count': (peer) => {
    peer.on('version', () => peer.answerVersion())
    peer.on('getaddr', () => {
      const entries = (n: number): Uint8Array => {
        const addresses = Array.from({ length: n }, (_, i) => addrEntry(unixNow(), `12.0.0.${i + 1}`, 8333))
        return encodePayload({ command: 'addr', addresses }).subarray(1) // without its (true) count
      }
      // 1000 announced, 3 present; 2^32-1 announced, 3 present; 20 announced, 11 present.
      for (const [count, present] of [[MAX_ADDR_ENTRIES, 3], [0xffffffff, 3], [20, 11]]) {
        peer.write(rawFrame(peer.magic, 'addr', new Writer().compactSize(count).bytes(entries(present)).finish()))
        peer.stats.hostileWrites++
      }
    })
  },

  'addr-flood': (peer) => {
    const first = peer.options.floodFirstOctet ?? 11
    let next = Math.floor(peer.random() * 0x100000)
    const addrMessage = (entries: number): Uint8Array => {
      const addresses: NetAddress[] = []
      for (let i = 0; i < entries; i++) {
        const n = next++ & 0xffffff
        addresses.push(addrEntry(unixNow(), `${first}.${n >> 16}.${(n >> 8) & 255}.${n & 255}`, 8333))
      }
      return encodeFrame(peer.magic, { command: 'addr', addresses })
    }
    const flood = async (messages: number, entries: number): Promise<boolean> => {
      for (let i = 0; i < messages; i++) {
        peer.stats.hostileWrites++
        if (!await peer.writeDrained(addrMessage(entries))) return false
      }
      return true
    }
    peer.on('version', () => {
      void (async () => {
        peer.send({ command: 'version', payload: peer.version() })
        // Before verack: unsolicited, and a crawler (like Core) must ignore all of it.
        if (await flood(peer.options.floodMessages ?? 300, MAX_ADDR_ENTRIES)) peer.send({ command: 'verack' })
      })()
    })
    peer.on('getaddr', () => {
      void (async () => {
        // Lone self-announcements, far more than a session keeps (ports from 20000 up, never
        // its own, so a crawl that dials them finds nothing listening), then the answer.
        const host = unmapIPv4(peer.socket.localAddress ?? peer.node.endpoint.host)
        let port = 20_000
        for (let i = 0; i < (peer.options.floodSelfMessages ?? 3000); i++) {
          if (port === peer.node.endpoint.port) port++
          peer.stats.hostileWrites++
          if (!await peer.writeDrained(encodeFrame(peer.magic, { command: 'addr', addresses: [addrEntry(unixNow(), host, port++)] }))) return
        }
        await flood(1, MAX_ADDR_ENTRIES)
      })()
    })
  },

  'bad-addrv2': (peer) => {
    peer.on('version', () => peer.answerVersion())
    peer.on('getaddr', () => {
      const entry = (w: Writer, network: number, addr: Uint8Array | { claimedLength: bigint }, port = 8333): Writer => {
        w.u32le(unixNow()).compactSize(1).u8(network)
        if (addr instanceof Uint8Array) w.varBytes(addr)
        else w.compactSize(addr.claimedLength).bytes(new Uint8Array(8))
        return w.u16be(port)
      }
      // Each of these three drops its whole message: an address over 512 bytes, one of
      // 2^64-1 bytes, and an IPv4 one of 7 bytes.
      const tooLong = entry(new Writer().compactSize(1), BIP155.ipv4, new Uint8Array(MAX_ADDRV2_ADDR_BYTES + 1)).finish()
      const absurd = entry(new Writer().compactSize(1), 0x42, { claimedLength: 0xffffffffffffffffn }).finish()
      const wrongLength = entry(new Writer().compactSize(1), BIP155.ipv4, new Uint8Array(7)).finish()
      // Unknown network ids (skipped, reading goes on) around the real peers it knows.
      const knows = peer.options.knows?.() ?? []
      const mixed = new Writer().compactSize(20 + knows.length)
      for (let i = 0; i < 20; i++) entry(mixed, 0x10 + i, new Uint8Array(1 + i).fill(i))
      for (const k of knows) entry(mixed, BIP155.ipv4, Uint8Array.from(k.host.split('.').map(Number)), k.port)
      for (const payload of [tooLong, absurd, wrongLength, mixed.finish()]) {
        peer.write(rawFrame(peer.magic, 'addrv2', payload))
        peer.stats.hostileWrites++
      }
    })
  },

  garbage: (peer) => {
    const bytes = new Uint8Array(4096).map(() => Math.floor(peer.random() * 256))
    // Not the right magic by chance: the test expects the stranger's verdict.
    if (bytes[0] === peer.magic[0]) bytes[0] ^= 0xff
    peer.write(bytes)
    peer.stats.hostileWrites++
  },

  'reset-mid-message': (peer) => {
    peer.on('version', () => {
      const frame = encodeFrame(peer.magic, { command: 'version', payload: peer.version() })
      peer.stats.hostileWrites++
      // The reset comes once the crawler has read the half message: a reset arriving with data
      // still unread is sometimes reported as a plain close.
      peer.socket.write(frame.subarray(0, frame.length >> 1), () => setTimeout(() => peer.socket.resetAndDestroy(), 20))
    })
  },

  'nonsense-version': (peer) => {
    peer.on('version', () => {
      peer.send({ command: 'version', payload: peer.version({ version: 0, startHeight: -123456, timestamp: -1n, services: 0xffffffffffffffffn, nonce: 0n }) })
      peer.send({ command: 'verack' })
      peer.stats.hostileWrites++
    })
  },

  'ping-flood': (peer) => {
    peer.on('version', () => {
      peer.answerVersion()
      // Never read again: our pongs pile up on the crawler's side, whose buffers are under test.
      peer.socket.pause()
      void (async () => {
        const pings = Array.from({ length: 256 }, (_, i) => encodeFrame(peer.magic, { command: 'ping', nonce: BigInt(i) }))
        const batch = Buffer.concat(pings)
        const max = peer.options.maxPings ?? 2_000_000
        for (let sent = 0; sent < max; sent += pings.length) {
          peer.stats.hostileWrites++
          if (!await peer.writeDrained(batch)) return
        }
      })()
    })
  },

  'bad-advertiser': (peer) => {
    peer.on('version', () => peer.answerVersion())
    peer.on('getaddr', () => {
      const t = unixNow()
      const self = peer.node.endpoint
      const junk = NON_ROUTABLE_SAMPLES.map((host) => addrEntry(t, host, 8333))
      const addresses: NetAddress[] = [
        // Every non-routable one twice, the real peers twice each.
        ...junk, ...junk,
        ...(peer.options.knows?.() ?? []).flatMap((k) => [addrEntry(t, k.host, k.port), addrEntry(t, k.host, k.port)]),
        // Itself, as it is and in IPv4-mapped IPv6 form.
        addrEntry(t, self.host, self.port),
        addrEntry(t, `::ffff:${self.host}`, self.port)
      ]
      peer.send({ command: 'addr', addresses })
      peer.stats.hostileWrites++
    })
  }
}
