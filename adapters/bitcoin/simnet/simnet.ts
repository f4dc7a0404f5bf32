// A whole simulated Bitcoin network in one process, for crawling without the internet. Each
// node has its own loopback address (Linux routes all of 127/8 to lo), so every node can use
// the network's default port as on the real network:
//   127.1.0.1 … 127.8.255.254   listening nodes and refused addresses, in that order
//   127.9.0.1 … 127.9.255.254   'hole' addresses (HOLE=1 netns-run drops them: dials time out)
//   127.10.0.1 …                 listeners of onion and I2P nodes, reached through the simnet's
//                                SOCKS5 proxy and SAM bridge (overlay.ts); CJDNS nodes listen on fc00::/8
// Node kinds: current Bitcoin Core by default (`nodes`), and old Core, small, mute, bcoin-like
// and slow nodes as options (node.ts says how each talks); `latency` delays every reply.
// Topology: node i's getaddr answer is a fixed sample of 23% of what it knows (as Core's
// cache); a small node's answer holds only its ring neighbours and the nodes it names. The nodes that give that answer (the honest ones) also form a ring: each names its
// next few, and each other node is named by one of them, so that every node can be found
// from any seed. Answers are a pure function of (seed, i): nothing is stored per node but
// its address, and truth() replays the same answers a crawler gets.
import { createServer, type Server, type Socket } from 'node:net'
import type { Endpoint } from '../../../src/contract.js'
import { BITCOIN_NETWORKS, MAX_ADDR_ENTRIES, type BitcoinNetworkParams } from '../params.js'
import type { NetAddress } from '../wire/index.js'
import { bcoinLike, closeImmediately, CORE_SERVICES, coreLike, emptyStats, muteCore, oldCore, silent, slowCore, smallCore, unreachable, wrongNetwork, type CoreLikeOptions, type NodeBehaviour, type SimNode, type SimnetStats } from './node.js'
import { OVERLAY_LISTEN_OCTET, overlayName, simnetSam, simnetSocks5, type OverlayType } from './overlay.js'
import { deriveSeed, exponential, seededRandom } from './random.js'
import type { SamServer } from './sam-server.js'
import type { Socks5Server } from './socks5-server.js'

export interface SimnetOptions {
  /** Honest nodes: reachable, answering like current Bitcoin Core (v22 and later). */
  nodes: number
  /** Core before v22: a separate self-announcement, the answer on the 30 s trickle. */
  oldCore?: number
  /** Nodes that know only a few addresses: a handful in their answer. */
  small?: number
  /** Reachable nodes that never answer getaddr. */
  mute?: number
  /** Nodes like bcoin 1.0.2: protocol 70015, answer at once, no self-announcement. */
  bcoin?: number
  /** Honest nodes at the slow end: version after 3 s, getaddr answer after 5 s. */
  slow?: number
  /** Round trip of each node, ms: drawn uniformly per node from [min, max], added to every reply. */
  latencyMs?: { min: number, max: number }
  /** Mean of old Core's addr trickle, ms; default Core's AVG_ADDRESS_BROADCAST_INTERVAL, 30 s. */
  oldTrickleMeanMs?: number
  /** Addresses nobody listens on. */
  refused?: number
  /** Nodes that accept and never speak. */
  silent?: number
  /** Nodes of another network (another magic). */
  wrongNetwork?: number
  /** Nodes that accept and close at once. */
  closeImmediately?: number
  /** Addresses in 127.9.0.0/16: dropped under `HOLE=1 netns-run` (refused without it). */
  hole?: number
  /** More nodes with behaviours of your own (hostile ones, say). */
  custom?: ReadonlyArray<{ count: number, behaviour: NodeBehaviour }>
  /** Mean of an exponential delay added to every node's getaddr answer (processing time); 0 (default): none. */
  getaddrDelayMeanMs?: number
  /** PRNG seed: the same seed gives the same network. */
  seed?: number
  /** A Bitcoin network name; default 'regtest'. */
  network?: string
  /** Port of every node; default the network's. 0: each listening node gets one from the OS (tests running side by side). */
  basePort?: number
  /** Addresses a node knows; its getaddr answer is 23% of them, at most 1000. Default 1000. */
  knownPerNode?: number
  /** How many honest nodes seeds() returns; default 1. */
  seedCount?: number
  /** Settings of the honest nodes. */
  core?: CoreLikeOptions
  /** Honest nodes on Tor (v3 onion names), reached through the simnet's SOCKS5 proxy. */
  onion?: number
  /** Honest nodes on I2P (.b32.i2p, port 0), reached through the simnet's SAM bridge. */
  i2p?: number
  /** Honest nodes on CJDNS (fc00::1, fc00::2, …): each address must be on the loopback interface. */
  cjdns?: number
  /** Dead addresses of each overlay type that is present (onion, I2P, CJDNS): advertised, never reachable. */
  deadOverlay?: number
  /** Ports of the SOCKS5 proxy and SAM bridge (started when there are onion or I2P nodes); default: from the OS. */
  socksPort?: number
  samPort?: number
}

/** Core answers getaddr with at most 23% of its address manager (MAX_PCT_ADDR_TO_SEND). */
const ANSWER_FRACTION = 0.23
/** Next ring nodes every ring node names in its answer. */
const RING_NEIGHBOURS = 3
const HOSTS_PER_SLASH16 = 254 * 256
const MAIN_RANGE_HOSTS = 8 * HOSTS_PER_SLASH16
const HOLE_RANGE_HOSTS = HOSTS_PER_SLASH16
/** How far back the advertised "last seen" times go (3 days). */
const MAX_ADDRESS_AGE_S = 3 * 24 * 3600

export class Simnet {
  readonly params: BitcoinNetworkParams
  readonly stats: SimnetStats = emptyStats()
  private readonly nodes: SimnetNode[] = []
  /** Indices of the nodes that give their node answer, in ring order. */
  private readonly ring: number[] = []
  /** A node's place in `ring`, or -1. */
  private readonly ringPosition: Int32Array
  private readonly seed: number
  private readonly answerSize: number
  private readonly seedCount: number
  private readonly delayMeanMs: number
  /** Per node: its reply latency, ms. */
  private readonly latencies: Float64Array
  /** Per node: its own PRNG stream (trickle timing, gossip), made on first use. */
  private readonly randoms: Array<(() => number) | undefined> = []
  private readonly servers: Server[] = []
  private readonly sockets = new Set<Socket>()
  /** Overlay nodes by name (onion, I2P) or address (CJDNS). */
  private readonly overlayNodes = new Map<string, SimnetNode>()
  private socksServer: Socks5Server | undefined
  private samServer: SamServer | undefined
  private readonly proxyPorts: { socks: number, sam: number }

  constructor (options: SimnetOptions) {
    const params = BITCOIN_NETWORKS.find((n) => n.name === (options.network ?? 'regtest'))
    if (params === undefined) throw new RangeError(`unknown Bitcoin network '${options.network}'`)
    this.params = params
    this.seed = options.seed ?? 1
    this.seedCount = options.seedCount ?? 1
    this.delayMeanMs = options.getaddrDelayMeanMs ?? 0
    const port = options.basePort ?? params.defaultPort

    this.proxyPorts = { socks: options.socksPort ?? 0, sam: options.samPort ?? 0 }
    const overlayGroups = (['onion', 'i2p', 'cjdns'] as const).filter((t) => (options[t] ?? 0) > 0)
    const trickle = options.oldTrickleMeanMs === undefined ? {} : { trickleMeanMs: options.oldTrickleMeanMs }
    const groups: Array<{ count: number, behaviour: NodeBehaviour, hole?: boolean, overlay?: OverlayType }> = [
      { count: options.nodes, behaviour: coreLike(options.core) },
      { count: options.oldCore ?? 0, behaviour: oldCore({ ...options.core, ...trickle }) },
      { count: options.small ?? 0, behaviour: smallCore(options.core) },
      { count: options.bcoin ?? 0, behaviour: bcoinLike(options.core) },
      { count: options.slow ?? 0, behaviour: slowCore(options.core) },
      { count: options.mute ?? 0, behaviour: muteCore(options.core) },
      ...overlayGroups.map((t) => ({ count: options[t] ?? 0, behaviour: coreLike(options.core), overlay: t })),
      ...overlayGroups.map((t) => ({ count: options.deadOverlay ?? 0, behaviour: { ...unreachable, kind: `dead-${t}` }, overlay: t })),
      ...(options.custom ?? []),
      { count: options.silent ?? 0, behaviour: silent },
      { count: options.wrongNetwork ?? 0, behaviour: wrongNetwork },
      { count: options.closeImmediately ?? 0, behaviour: closeImmediately },
      { count: options.refused ?? 0, behaviour: unreachable },
      { count: options.hole ?? 0, behaviour: { ...unreachable, kind: 'hole' }, hole: true }
    ]
    for (const g of groups) {
      if (!Number.isInteger(g.count) || g.count < 0) throw new RangeError(`node counts must be whole numbers ≥ 0, got ${g.count}`)
    }
    const cjdnsCount = (options.cjdns ?? 0) + (overlayGroups.includes('cjdns') ? options.deadOverlay ?? 0 : 0)
    if (cjdnsCount > 0xfffe) throw new RangeError('at most 65,534 CJDNS nodes (fc00::1 … fc00::fffe)')
    const holeCount = options.hole ?? 0
    if (holeCount > HOLE_RANGE_HOSTS) throw new RangeError(`at most ${HOLE_RANGE_HOSTS} hole addresses fit 127.9.0.0/16`)
    const mainCount = groups.reduce((n, g) => n + (g.overlay === undefined ? g.count : 0), 0) - holeCount
    if (mainCount > MAIN_RANGE_HOSTS) throw new RangeError(`at most ${MAIN_RANGE_HOSTS} nodes fit 127.1.0.0–127.8.255.255`)

    const random = seededRandom(this.seed)
    const now = Math.floor(Date.now() / 1000)
    let mainNext = 0
    let holeNext = 0
    let overlayListenNext = 0
    const overlayNext = { onion: 0, i2p: 0, cjdns: 0 }
    for (const g of groups) {
      for (let k = 0; k < g.count; k++) {
        if (g.overlay !== undefined) {
          const type = g.overlay
          const host = overlayName(type, this.seed, overlayNext[type]++)
          // I2P has no ports (Core uses 0); onion nodes keep the network's port whatever their listener has.
          const selfPort = type === 'i2p' ? 0 : type === 'onion' || port !== 0 || g.behaviour.accept === undefined ? params.defaultPort : 0
          const self: NetAddress = { time: now - Math.floor(random() * MAX_ADDRESS_AGE_S), services: CORE_SERVICES, type, host, port: selfPort }
          const listen = g.behaviour.accept === undefined
            ? undefined
            : type === 'cjdns' ? { host, port: selfPort } : { host: hostAt(OVERLAY_LISTEN_OCTET, overlayListenNext++), port: port === 0 ? 0 : params.defaultPort }
          if (g.behaviour.givesNodeAnswer === true) this.ring.push(this.nodes.length)
          const node = new SimnetNode(this, this.nodes.length, g.behaviour, self, listen)
          this.overlayNodes.set(host, node)
          this.nodes.push(node)
          continue
        }
        const host = g.hole === true ? hostAt(9, holeNext++) : hostAt(1, mainNext++)
        // Nodes with an OS-chosen port learn it in start(); others need a fixed one to be dialed.
        const nodePort = port === 0 && g.behaviour.accept === undefined ? params.defaultPort : port
        const self: NetAddress = { time: now - Math.floor(random() * MAX_ADDRESS_AGE_S), services: CORE_SERVICES, type: 'ipv4', host, port: nodePort }
        if (g.behaviour.givesNodeAnswer === true) this.ring.push(this.nodes.length)
        this.nodes.push(new SimnetNode(this, this.nodes.length, g.behaviour, self))
      }
    }
    this.ringPosition = new Int32Array(this.nodes.length).fill(-1)
    this.ring.forEach((index, position) => { this.ringPosition[index] = position })
    // Every off-ring node must fit, with the neighbours, in one ring node's answer.
    const offRing = this.nodes.length - this.ring.length
    if (offRing > 0 && Math.ceil(offRing / Math.max(1, this.ring.length)) + RING_NEIGHBOURS > MAX_ADDR_ENTRIES) {
      throw new RangeError(`too few honest nodes to name the ${offRing} others in their getaddr answers`)
    }
    const latency = options.latencyMs ?? { min: 0, max: 0 }
    if (!(latency.min >= 0 && latency.max >= latency.min)) throw new RangeError(`latency must be MIN-MAX with 0 ≤ MIN ≤ MAX, got ${latency.min}-${latency.max}`)
    this.latencies = new Float64Array(this.nodes.length)
    if (latency.max > 0) {
      const draw = seededRandom(deriveSeed(this.seed, -2))
      for (let i = 0; i < this.latencies.length; i++) this.latencies[i] = Math.round(latency.min + draw() * (latency.max - latency.min))
    }
    const known = Math.min(this.nodes.length - 1, options.knownPerNode ?? 1000)
    this.answerSize = Math.min(MAX_ADDR_ENTRIES, Math.floor(known * ANSWER_FRACTION))
  }

  /** Start listening on every node's address. */
  async start (): Promise<void> {
    try {
      await Promise.all(this.nodes.filter((n) => n.behaviour.accept !== undefined).map((n) => this.listen(n)))
      const lookup = (host: string): SimnetNode | undefined => this.overlayNodes.get(host)
      if ([...this.overlayNodes.values()].some((n) => n.self.type === 'onion')) {
        this.socksServer = simnetSocks5(lookup)
        await this.socksServer.listen('127.0.0.1', this.proxyPorts.socks)
      }
      if ([...this.overlayNodes.values()].some((n) => n.self.type === 'i2p')) {
        this.samServer = simnetSam(lookup)
        await this.samServer.listen('127.0.0.1', this.proxyPorts.sam)
      }
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** Stop listening and drop every open connection. */
  async stop (): Promise<void> {
    await this.socksServer?.close()
    await this.samServer?.close()
    for (const s of this.sockets) s.destroy()
    await Promise.all(this.servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
  }

  /** Where a crawler starts: the first nodes of the ring (honest ones). */
  seeds (): Endpoint[] {
    return this.ring.slice(0, this.seedCount).map((i) => this.nodes[i].endpoint)
  }

  /** Endpoints of the nodes of one behaviour kind ('honest', 'silent', 'refused', 'hole', …). */
  endpointsOf (kind: string): Endpoint[] {
    return this.nodes.filter((n) => n.behaviour.kind === kind).map((n) => n.endpoint)
  }

  /** The built-in SOCKS5 proxy (present with onion nodes): pass it as --onion-proxy. */
  get socks5 (): { host: string, port: number } | undefined {
    return this.socksServer === undefined ? undefined : { host: this.socksServer.host, port: this.socksServer.port }
  }

  /** The built-in SAM bridge (present with I2P nodes): pass it as --i2p-sam. */
  get sam (): { host: string, port: number } | undefined {
    return this.samServer === undefined ? undefined : { host: this.samServer.host, port: this.samServer.port }
  }

  /** Listening overlay nodes: the name a crawler dials and the loopback address behind it (a test's /etc/hosts maps one to the other). */
  overlayListeners (): Array<{ endpoint: Endpoint, listen: { host: string, port: number } }> {
    return [...this.overlayNodes.values()].flatMap((n) => n.listen === undefined ? [] : [{ endpoint: n.endpoint, listen: { ...n.listen } }])
  }

  /** The CJDNS addresses of the nodes, dead ones included: the listening ones must be on the loopback interface. */
  cjdnsAddresses (): string[] {
    return this.nodes.filter((n) => n.self.type === 'cjdns').map((n) => n.self.host)
  }

  get size (): number {
    return this.nodes.length
  }

  /**
   * The reachable nodes a perfect crawler finds from seeds(): a breadth-first search over
   * the same fixed answers the nodes give. Nodes with answers of their own (hostile ones)
   * count when reachable but are not followed. With `askPeersMs`, an answer that arrives
   * later than that (an old node's trickle, say) is not followed either.
   */
  truth (options: { askPeersMs?: number } = {}): Endpoint[] {
    const askPeersMs = options.askPeersMs ?? Infinity
    const seen = new Uint8Array(this.nodes.length)
    const queue = this.ring.slice(0, this.seedCount)
    for (const i of queue) seen[i] = 1
    const found: Endpoint[] = []
    for (let q = 0; q < queue.length; q++) {
      const node = this.nodes[queue[q]]
      if (!node.behaviour.reachable) continue
      found.push(node.endpoint)
      if (node.behaviour.givesNodeAnswer !== true) continue
      if (this.answerArrivesAfterMs(node.index) >= askPeersMs) continue
      for (const j of this.answerIndices(node.index)) {
        if (seen[j] === 0) {
          seen[j] = 1
          queue.push(j)
        }
      }
    }
    return found
  }

  /** Node `index`'s getaddr answer. */
  answerOf (index: number): NetAddress[] {
    return this.answerIndices(index).map((j) => this.nodes[j].self)
  }

  /**
   * How long node `index` holds its getaddr answer back: its behaviour's fixed delay, old
   * Core's trickle, the simnet-wide extra delay. A pure function of (seed, index).
   */
  getaddrDelayMs (index: number): number {
    const behaviour = this.nodes[index].behaviour
    const random = seededRandom(deriveSeed(this.seed ^ 0x5bd1e995, index))
    const trickleMs = (behaviour.answerTrickleMeanMs ?? 0) > 0 ? exponential(random, behaviour.answerTrickleMeanMs ?? 0) : 0
    const extraMs = this.delayMeanMs > 0 ? exponential(random, this.delayMeanMs) : 0
    return (behaviour.answerDelayMs ?? 0) + trickleMs + extraMs
  }

  /** Node `index`'s reply latency, ms. */
  latencyOf (index: number): number {
    return this.latencies[index]
  }

  /** Node `index`'s own PRNG stream. */
  randomOf (index: number): () => number {
    let random = this.randoms[index]
    if (random === undefined) {
      random = seededRandom(deriveSeed(this.seed ^ 0x27d4eb2f, index))
      this.randoms[index] = random
    }
    return random
  }

  /** From our getaddr to its answer at the crawler, ms (the slow version does not count: it precedes getaddr). */
  private answerArrivesAfterMs (index: number): number {
    return this.getaddrDelayMs(index) + this.latencies[index]
  }

  /**
   * Ring neighbours and the off-ring nodes it names (node j is named by ring[j mod ring
   * length]), then a random sample of the other nodes; never itself.
   */
  private answerIndices (index: number): number[] {
    const chosen = new Set<number>()
    const position = this.ringPosition[index]
    if (position !== -1) {
      const n = this.ring.length
      for (let k = 1; k <= RING_NEIGHBOURS && k < n; k++) chosen.add(this.ring[(position + k) % n])
      for (let j = position; j < this.nodes.length; j += n) if (this.ringPosition[j] === -1) chosen.add(j)
    }
    const random = seededRandom(deriveSeed(this.seed, index))
    const size = this.nodes[index].behaviour.smallAnswer === true ? 0 : this.answerSize
    const want = Math.min(this.nodes.length - 1, Math.max(size, chosen.size))
    while (chosen.size < want) {
      const j = Math.floor(random() * this.nodes.length)
      if (j !== index) chosen.add(j)
    }
    return [...chosen]
  }

  private listen (node: SimnetNode): Promise<void> {
    const accept = node.behaviour.accept
    if (accept === undefined) return Promise.resolve()
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
      accept.call(node.behaviour, socket, node)
    })
    this.servers.push(server)
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      const listen = node.listen ?? { host: node.self.host, port: node.self.port }
      server.listen({ host: listen.host, port: listen.port }, () => {
        server.off('error', reject)
        const address = server.address()
        if (address !== null && typeof address === 'object') {
          listen.port = address.port
          // Onion and I2P nodes keep the port they advertise; the others are where they listen.
          if (node.self.type === 'ipv4' || node.self.type === 'cjdns') node.self.port = address.port
        }
        resolve()
      })
    })
  }
}

class SimnetNode implements SimNode {
  constructor (
    private readonly simnet: Simnet,
    readonly index: number,
    readonly behaviour: NodeBehaviour,
    readonly self: NetAddress,
    /** Where it listens (onion and I2P nodes: a loopback address the proxy maps their name to). */
    readonly listen?: { host: string, port: number }
  ) {}

  get endpoint (): Endpoint { return { host: this.self.host, port: this.self.port, type: this.self.type } }
  get magic (): Uint8Array { return this.simnet.params.magic }
  get stats (): SimnetStats { return this.simnet.stats }
  get announcesSelf (): boolean { return true }
  get latencyMs (): number { return this.simnet.latencyOf(this.index) }
  answer (): NetAddress[] { return this.simnet.answerOf(this.index) }
  getaddrDelayMs (): number { return this.simnet.getaddrDelayMs(this.index) }
  random (): number { return this.simnet.randomOf(this.index)() }
}

/** Host `n` (from 0) of 127.<first>.0.0 onwards, skipping .0 and .255 in the last octet. */
function hostAt (first: number, n: number): string {
  const perSlash24 = 254
  const slash24 = Math.floor(n / perSlash24)
  return `127.${first + (slash24 >> 8)}.${slash24 & 255}.${(n % perSlash24) + 1}`
}
