// `peers simnet bitcoin`: the Simnet offered through the contract (NetworkSimulation), with
// the flags it takes. The command (src/commands/simnet.ts) is chain-neutral: it builds its
// flags from `SIMNET_FLAGS`, parses them, and calls start().
import type { Network, NetworkSimulation, RunningSimulation, SimulationFlag, SimulationFlagValues } from '../../../src/contract.js'
import { UsageError } from '../../../src/errors.js'
import { BITCOIN_DEFAULTS } from '../defaults.js'
import { Simnet } from './simnet.js'

export const SIMNET_FLAGS = {
  nodes: { type: 'number', summary: 'Honest nodes answering like current Bitcoin Core (v22+): the getaddr answer at once, its own address inside it.', integer: true, min: 1, required: true },
  'old-core': { type: 'number', summary: 'Nodes like Core before v22: a separate self-announcement, then the answer on the 30 s trickle.', integer: true, min: 0, default: 0 },
  small: { type: 'number', summary: 'Honest nodes that know only a few addresses: a handful in their answer.', integer: true, min: 0, default: 0 },
  mute: { type: 'number', summary: 'Reachable nodes that never answer getaddr.', integer: true, min: 0, default: 0 },
  bcoin: { type: 'number', summary: 'Nodes like bcoin 1.0.2: protocol 70015, the answer at once, no self-announcement.', integer: true, min: 0, default: 0 },
  slow: { type: 'number', summary: 'Honest nodes at the slow end: version after 3 s, getaddr answer after 5 s.', integer: true, min: 0, default: 0 },
  latency: { type: 'string', summary: 'Round trip of each node in ms, MIN-MAX (drawn per node) or one value; added to every reply.', default: '0' },
  refused: { type: 'number', summary: 'Addresses nobody listens on (the dial is refused).', integer: true, min: 0, default: 0 },
  silent: { type: 'number', summary: 'Nodes that accept and never speak.', integer: true, min: 0, default: 0 },
  'wrong-network': { type: 'number', summary: 'Nodes of another network (another magic).', integer: true, min: 0, default: 0 },
  'close-immediately': { type: 'number', summary: 'Nodes that accept and close at once.', integer: true, min: 0, default: 0 },
  hole: { type: 'number', summary: 'Addresses in 127.9.0.0/16: dials time out under `HOLE=1 netns-run`, are refused elsewhere.', integer: true, min: 0, default: 0 },
  'getaddr-delay': { type: 'number', summary: 'Mean of an exponential delay added to every getaddr answer, ms (processing time); 0: none.', integer: true, min: 0, default: 0 },
  onion: { type: 'number', summary: 'Honest nodes on Tor (v3 .onion names), reached through the simnet\'s SOCKS5 proxy (crawl with --onion-proxy).', integer: true, min: 0, default: 0 },
  i2p: { type: 'number', summary: 'Honest nodes on I2P (.b32.i2p, port 0), reached through the simnet\'s SAM bridge (crawl with --i2p-sam).', integer: true, min: 0, default: 0 },
  cjdns: { type: 'number', summary: 'Honest nodes on CJDNS at fc00::1, fc00::2, …: add each to lo first (ip -6 addr add fc00::1/128 dev lo nodad, in a namespace); crawl with --cjdns-reachable.', integer: true, min: 0, max: 65534, default: 0 },
  'dead-overlay': { type: 'number', summary: 'Dead addresses of each overlay type present: the proxy answers as Tor does for a missing descriptor (0xF0), the bridge KEY_NOT_FOUND.', integer: true, min: 0, default: 0 },
  'socks-port': { type: 'number', summary: 'Port of the built-in SOCKS5 proxy on 127.0.0.1 (with --onion); default: one from the OS.', integer: true, min: 0, max: 65535 },
  'sam-port': { type: 'number', summary: 'Port of the built-in SAM bridge on 127.0.0.1 (with --i2p); default: one from the OS.', integer: true, min: 0, max: 65535 },
  seed: { type: 'number', summary: 'PRNG seed: the same seed gives the same network.', integer: true, min: 0, max: 0xffffffff, default: 1 },
  port: { type: 'number', summary: 'Port of every node (default: the network\'s); 0 gives each node one from the OS.', integer: true, min: 0, max: 65535 }
} satisfies Record<string, SimulationFlag>

type Values = { [K in Exclude<keyof typeof SIMNET_FLAGS, 'latency'>]: number | undefined } & { latency?: string }

/** `--latency MIN-MAX` (or one value). */
function parseLatency (text: string): { min: number, max: number } {
  const m = /^(\d{1,6})(?:-(\d{1,6}))?$/.exec(text)
  const min = m === null ? NaN : Number(m[1])
  const max = m === null ? NaN : Number(m[2] ?? m[1])
  if (!(min <= max)) throw new UsageError(`--latency '${text}' is not valid: expected MIN-MAX in ms with MIN <= MAX, or one value`)
  return { min, max }
}

export const bitcoinNetworkSimulation: NetworkSimulation = {
  description: [
    'bitcoin: honest nodes answer a crawler like current Bitcoin Core (version, sendaddrv2, verack; then, on getaddr, one message at once with 23% of what they know and their own address; gossip on the 30 s trickle after that), each on its own address in 127.1.0.0–127.8.255.255 with the network\'s port, plus the other kinds asked for: old Core, small, mute, bcoin-like and slow nodes, and unreachable ones.',
    'Linux routes all of 127.0.0.0/8 to the loopback interface; elsewhere only 127.0.0.1 may work. Run both the simnet and the crawl inside ../shared/tools/netns-run to be sure nothing leaves the machine; HOLE=1 makes the --hole addresses time out as most gossiped addresses do.',
    'Overlay nodes (--onion, --i2p, --cjdns): onion and I2P nodes listen on 127.10.0.0/16 behind a built-in SOCKS5 proxy (playing Tor with ExtendedErrors) and SAM v3.1 bridge on 127.0.0.1; CJDNS nodes listen on fc00::/8 addresses that must be on the loopback interface.',
    'More than about 15,000 nodes need a higher open-file limit (ulimit -n).'
  ],
  examples: [
    '--nodes 1000 --refused 200 --silent 50',
    '--nodes 10000 --hole 5000 --getaddr-delay 2000 --seed 7',
    '--nodes 100 --old-core 20 --small 20 --mute 10 --bcoin 5 --slow 5 --latency 20-1000',
    '--nodes 200 --onion 50 --i2p 20 --dead-overlay 10 --socks-port 9050 --sam-port 7656'
  ],
  defaultNetwork: 'regtest',
  flags: SIMNET_FLAGS,
  start: startSimnet
}

async function startSimnet (network: Network, values: SimulationFlagValues): Promise<RunningSimulation> {
  const n = values as Values
  const counts = {
    honest: n.nodes ?? 0,
    oldCore: n['old-core'] ?? 0,
    small: n.small ?? 0,
    mute: n.mute ?? 0,
    bcoin: n.bcoin ?? 0,
    slow: n.slow ?? 0,
    refused: n.refused ?? 0,
    silent: n.silent ?? 0,
    wrongNetwork: n['wrong-network'] ?? 0,
    closeImmediately: n['close-immediately'] ?? 0,
    hole: n.hole ?? 0
  }
  // Overlay kinds appear in the summary only when asked for.
  const overlay = { onion: n.onion ?? 0, i2p: n.i2p ?? 0, cjdns: n.cjdns ?? 0, deadOverlay: n['dead-overlay'] ?? 0 }
  const overlayCounts = Object.fromEntries(Object.entries(overlay).filter(([, v]) => v > 0))
  const latencyMs = parseLatency(n.latency ?? '0')
  let simnet: Simnet
  try {
    simnet = new Simnet({
      network: network.name,
      nodes: counts.honest,
      oldCore: counts.oldCore,
      small: counts.small,
      mute: counts.mute,
      bcoin: counts.bcoin,
      slow: counts.slow,
      latencyMs,
      refused: counts.refused,
      silent: counts.silent,
      wrongNetwork: counts.wrongNetwork,
      closeImmediately: counts.closeImmediately,
      hole: counts.hole,
      getaddrDelayMeanMs: n['getaddr-delay'],
      seed: n.seed,
      basePort: n.port,
      onion: overlay.onion,
      i2p: overlay.i2p,
      cjdns: overlay.cjdns,
      deadOverlay: overlay.deadOverlay,
      socksPort: n['socks-port'],
      samPort: n['sam-port']
    })
  } catch (err) {
    // The simnet's own range checks (too many nodes for their ranges) are the user's to fix.
    if (err instanceof RangeError) throw new UsageError(err.message)
    throw err
  }
  try {
    await simnet.start()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL' && overlay.cjdns > 0) {
      throw new UsageError(`the CJDNS nodes' addresses are not on this machine: add them to lo first, e.g. ip -6 addr add ${simnet.cjdnsAddresses()[0]}/128 dev lo nodad (as root, inside ../shared/tools/netns-run)`)
    }
    throw err
  }
  const socks = simnet.socks5
  const sam = simnet.sam
  const overlayFlags = [
    ...(socks !== undefined ? [`--onion-proxy ${socks.host}:${socks.port}`] : []),
    ...(sam !== undefined ? [`--i2p-sam ${sam.host}:${sam.port}`] : []),
    ...(overlay.cjdns > 0 ? ['--cjdns-reachable'] : [])
  ]
  return {
    seeds: simnet.seeds(),
    // What a crawl with the adapter's default ask-for-peers timeout can find (old Core's trickled answers may come later).
    reachable: simnet.truth({ askPeersMs: BITCOIN_DEFAULTS.timeouts.askPeersMs }).length,
    nodes: { ...counts, ...overlayCounts },
    size: simnet.size,
    crawlFlags: ['--allow-cidr 127.0.0.0/8', ...overlayFlags],
    notes: [
      ...(counts.hole > 0 ? ['hole addresses (127.9.0.0/16) time out only under HOLE=1 netns-run; elsewhere they are refused'] : []),
      ...(socks !== undefined ? [`SOCKS5 proxy (Tor with ExtendedErrors, simulated) on ${socks.host}:${socks.port}`] : []),
      ...(sam !== undefined ? [`SAM v3.1 bridge (simulated) on ${sam.host}:${sam.port}`] : [])
    ],
    async stop () {
      await simnet.stop()
      const s = simnet.stats
      return `${s.connections} connections, ${s.handshakes} handshakes, ${s.getaddrAnswered} getaddr answered, ${s.pongs} pongs`
    }
  }
}
