// The adapter contract: everything the engine knows about a network. An adapter is one
// folder under adapters/ that exports an object implementing `Adapter`, listed in
// adapters/index.ts. The engine never names a chain.
import type { Socket } from 'node:net'

export type AddressType = 'ipv4' | 'ipv6' | 'onion' | 'i2p' | 'cjdns' | 'yggdrasil'

export interface Endpoint {
  /** IPv4 dotted quad, IPv6 in RFC 5952 text without brackets, or an overlay name (`….onion`, `….b32.i2p`). */
  host: string
  port: number
  type: AddressType
}

export interface Network {
  /** Unique across adapters; the store, list, export and stats use it (e.g. `signet`, `avax-fuji`). */
  id: string
  /** What `peers crawl <adapter> --net` takes (e.g. `signet`, `fuji`). */
  name: string
  defaultPort: number
  description: string
}

/** Why a session did not reach a full handshake. Stable strings: stored, logged, counted. */
export const FAILURE_REASONS = [
  'refused', // nothing listens (TCP RST on connect)
  'connect-timeout', // no answer to the TCP SYN in time
  'unreachable', // EHOSTUNREACH, ENETUNREACH and the like
  'handshake-timeout', // connected, but the handshake did not finish in time
  'closed', // the peer closed the connection before the handshake finished
  'reset', // the peer reset the connection before the handshake finished
  'wrong-network', // the peer speaks another network (magic, network id)
  'protocol-error', // undecodable or out-of-order messages
  'self-connection', // we dialed ourselves (our own nonce came back)
  'obsolete-version', // the peer's protocol version is below the minimum
  'session-limit', // one of our per-session caps (bytes, time) ended it
  'cancelled', // we stopped it (Ctrl-C, --duration)
  'not-implemented', // the adapter's transport is a stub
  // Overlays (docs/design.md §3): the proxy or bridge, then what Tor / I2P said about the peer.
  'proxy-unavailable', // the SOCKS5 proxy or SAM bridge is down, hung, or closed mid-reply
  'proxy-error', // the proxy failed in general (SOCKS 0x01, 0x07, 0x08) or broke its protocol
  'proxy-denied', // the proxy's rules forbid it (SOCKS 0x02) or it refused our authentication
  'onion-descriptor-not-found', // Tor 0xF0: the onion service's descriptor was not found (offline or never published)
  'onion-descriptor-invalid', // Tor 0xF1
  'onion-intro-failed', // Tor 0xF2: every introduction point failed
  'onion-rendezvous-failed', // Tor 0xF3
  'onion-auth-required', // Tor 0xF4 / 0xF5: client authorization missing or wrong (never a public node)
  'onion-bad-address', // Tor 0xF6: invalid onion address
  'onion-intro-timeout', // Tor 0xF7
  'i2p-unreachable', // SAM CANT_REACH_PEER
  'i2p-not-found', // SAM KEY_NOT_FOUND / PEER_NOT_FOUND (naming lookup failed)
  'i2p-invalid-key', // SAM INVALID_KEY
  'i2p-timeout', // SAM TIMEOUT
  'i2p-error', // SAM I2P_ERROR and other results
  'error' // anything else; `detail` says what
] as const
export type FailureReason = typeof FAILURE_REASONS[number]

/** What a reachable peer told us about itself. All JSON-safe. */
export interface PeerInfo {
  protocolVersion?: number
  /** Service bits as a decimal string (a uint64 does not fit a JSON number). */
  services?: string
  userAgent?: string
  startHeight?: number
  relay?: boolean
  /** Adapter-specific facts worth storing (e.g. AVAX node id). */
  extra?: Record<string, string | number | boolean>
}

export interface LearnedAddress {
  endpoint: Endpoint
  /** adapter.key(endpoint), when the session already computed it (saves the engine a string per address). */
  key?: string
  /** The peer's "last seen" time for this address, unix seconds, as the peer claimed it (the store sanitises it). */
  time?: number
  /** Services the address was advertised with, as a decimal string. */
  services?: string
}

export interface SessionResult {
  endpoint: Endpoint
  /** true only after a full handshake on the right network. */
  ok: boolean
  /** Set when ok is false. */
  reason?: FailureReason
  /** One line for the log, e.g. the decode error. */
  detail?: string
  connectMs?: number
  handshakeMs?: number
  peer?: PeerInfo
  /** Addresses the peer gave us, deduplicated within the session and capped by limits.maxAddresses. */
  learned: LearnedAddress[]
  /** Address entries received before dedup and caps (shows a flood). */
  addressesReceived: number
  /** Whether the peer's address answer was recognised before the ask-for-peers timeout. */
  gotAddressAnswer?: boolean
  /** The recognised answer: entries in it, and ms from our request to its arrival. */
  answer?: { entries: number, afterMs: number }
  /** Address messages that declared more entries than the protocol allows; dropped unlearned. */
  oversizedAddr?: { messages: number, largestDeclared: number }
}

/** The three phases of a session (docs/design.md §1.1). */
export interface SessionTimeouts {
  /** Until the byte stream is open (TCP, or the proxy / bridge said OK). */
  connectMs: number
  /** Until the adapter's handshake completed. */
  handshakeMs: number
  /** Ask for peers: how long to wait for the address answer after the handshake. */
  askPeersMs: number
}

/** What an adapter declares for its protocol; overlay floors and lanes are the engine's (docs/design.md §1.2-1.3). */
export interface AdapterDefaults {
  timeouts: SessionTimeouts
  limits?: Partial<SessionLimits>
}

export interface DialOptions {
  signal: AbortSignal
  /** The connect phase: until the stream is open. */
  timeoutMs: number
}

/** Opens a byte stream to an endpoint: TCP, or through a SOCKS5 proxy or SAM bridge (src/net/dialers). Rejects with DialError. */
export type Dial = (endpoint: Endpoint, options: DialOptions) => Promise<Socket>

/** Why a dial failed, as a contract reason. */
export class DialError extends Error {
  readonly reason: FailureReason
  constructor (reason: FailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DialError'
    this.reason = reason
  }
}

/** Caps that keep one hostile peer from growing our memory or holding a socket forever. */
export interface SessionLimits {
  /** Bytes buffered for one incomplete message; more ends the session ('session-limit'). */
  maxBufferedBytes: number
  /** Addresses kept from one session; the rest are counted in addressesReceived and dropped. */
  maxAddresses: number
  /** Wall time of one session, all phases together. */
  maxSessionMs: number
}

export interface SessionOptions {
  network: Network
  timeouts: SessionTimeouts
  limits: SessionLimits
  /** Aborting ends the session promptly. Before the handshake: reason 'cancelled'; after it: ok with what was collected. */
  signal: AbortSignal
  /** e.g. `/peers:0.1.0/` */
  userAgent: string
  /** Addresses as they arrive (docs/design.md §1.1). When given, the result's `learned` is empty. */
  onLearned?: (batch: LearnedAddress[]) => void
  /** How to open the stream; absent: direct TCP. */
  dial?: Dial
}

export interface Logger {
  debug (msg: string): void
  info (msg: string): void
  warn (msg: string): void
  error (msg: string): void
}

/** A logger that drops everything (library use, tests). */
export const silentLogger: Logger = { debug () {}, info () {}, warn () {}, error () {} }

export interface BootstrapOptions {
  signal: AbortSignal
  /** Per DNS query. */
  dnsTimeoutMs: number
  log: Logger
}

export interface SimulatedPeer {
  endpoint: Endpoint
  close (): Promise<void>
}

/** Kinds every adapter's simulation must offer, so one compliance suite covers all adapters. */
export type SimulatedBehaviour =
  | { kind: 'honest', knows: Endpoint[] } // full handshake, then answers the address request with `knows`
  | { kind: 'silent' } // accepts the connection and never speaks
  | { kind: 'wrong-network' } // speaks the adapter's protocol for another network
  | { kind: 'close-immediately' } // accepts and closes at once

export interface SimulationKit {
  /** Start one simulated peer on 127.0.0.1 at a port the OS picks. */
  startPeer (network: Network, behaviour: SimulatedBehaviour): Promise<SimulatedPeer>
  /** The adapter as the simulation needs it: the adapter itself, or one wired to a simulated transport when the real one is a stub. */
  adapter: Adapter
  /** A whole simulated network for `peers simnet ADAPTER`; absent when the adapter offers none. */
  network?: NetworkSimulation
}

/**
 * A flag an adapter's network simulation adds to `peers simnet ADAPTER`, declared without
 * oclif so the contract stays CLI-free; the command builds and validates the flags. Numbers
 * take plain decimals in [min, max]; `default` applies when the flag is absent.
 */
export type SimulationFlag =
  | { type: 'number', summary: string, min: number, max?: number, integer: boolean, default?: number, required?: boolean }
  | { type: 'string', summary: string, options?: readonly string[], default?: string, required?: boolean }
  | { type: 'boolean', summary: string }

/** Flag values by flag name, defaults applied: number, string, boolean, or undefined when absent. */
export type SimulationFlagValues = Readonly<Record<string, number | string | boolean | undefined>>

export interface NetworkSimulation {
  /** Paragraphs for `peers simnet --help`: what this adapter's simulated network is. */
  readonly description: readonly string[]
  /** Example argument lists after `peers simnet ADAPTER`, e.g. `--nodes 1000 --refused 200`. */
  readonly examples: readonly string[]
  /** `--net` when none is given: a `name` from the adapter's networks. */
  readonly defaultNetwork: string
  /** The flags this simulation takes, by name (without `--`). */
  readonly flags: Readonly<Record<string, SimulationFlag>>
  /** Start listening; throws UsageError for options that cannot work (too many nodes for their range). */
  start (network: Network, values: SimulationFlagValues): Promise<RunningSimulation>
}

export interface RunningSimulation {
  /** The endpoints a crawl starts from. */
  readonly seeds: readonly Endpoint[]
  /** Reachable nodes a perfect crawl from the seeds finds. */
  readonly reachable: number
  /** Addresses of each kind (honest, refused, …). */
  readonly nodes: Readonly<Record<string, number>>
  /** Addresses in all. */
  readonly size: number
  /** `peers crawl` flags besides the adapter, --net and --seed, e.g. `--allow-cidr 127.0.0.0/8`. */
  readonly crawlFlags: readonly string[]
  /** Lines worth telling whoever started it (e.g. what a flag does only inside netns-run). */
  readonly notes: readonly string[]
  /** More facts for `--json` (e.g. the SOCKS5 or SAM endpoints a simulated overlay listens on). */
  readonly details?: Readonly<Record<string, string | number | boolean | readonly string[]>>
  /** Stop listening and close every connection; resolves to one line of what the network saw. */
  stop (): Promise<string>
}

export interface Adapter {
  /** The word after `peers crawl`, e.g. `bitcoin`. */
  readonly name: string
  readonly description: string
  /** 'stub' when a part needed for real crawls is declared but not implemented. */
  readonly status: 'complete' | 'stub'
  readonly networks: readonly Network[]
  /** A `name` from networks. */
  readonly defaultNetwork: string
  /** Endpoint types this adapter can dial; others are recorded as discovered and not dialed. */
  readonly dialableTypes: readonly AddressType[]
  /** Phase timeouts and limits for this protocol on clearnet. */
  readonly defaults: AdapterDefaults
  /** Deduplication key: two endpoints with the same key are one peer. */
  key (endpoint: Endpoint): string
  /** Parse a user-given `host:port`, `[ipv6]:port` or bare host (default port). Throws UsageError. */
  parseEndpoint (text: string, network: Network): Endpoint
  /** Throws NotImplementedError (one clear line) when this network cannot be crawled yet. */
  assertCrawlable (network: Network): void
  /** The default seeds: DNS seeds, and fixed seeds when DNS yields nothing. Never dials peers. */
  bootstrap (network: Network, options: BootstrapOptions): Promise<Endpoint[]>
  /** Connect, handshake, collect addresses, disconnect. Never throws: failures are results. */
  runSession (endpoint: Endpoint, options: SessionOptions): Promise<SessionResult>
  /** Simulated peers for tests, the compliance suite and `peers simnet`. */
  readonly simulation: SimulationKit
  /** Optional: names of the service bits set in `services` (a decimal string), for `peers stats`. */
  serviceNames? (services: string): string[]
}
