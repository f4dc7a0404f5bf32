// The adapter contract: everything the engine knows about a network. An adapter is one
// folder under adapters/ that exports an object implementing `Adapter`, listed in
// adapters/index.ts. The engine never names a chain.

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
  /** The peer's "last seen" time for this address, unix seconds. */
  time?: number
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
  /** Whether the real address answer arrived before the getaddr timeout. */
  gotAddressAnswer?: boolean
}

export interface SessionTimeouts {
  connectMs: number
  handshakeMs: number
  /** How long to wait for the address answer after the handshake. */
  askPeersMs: number
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
