import { Args, Flags } from '@oclif/core'
import { adapters, getAdapter, getNetwork } from '../../../adapters/index.js'
import { asnDbFlag } from '../../cli/asn-flags.js'
import { geoDbFlag } from '../../cli/geo-flags.js'
import { openGeoLookup } from '../../geo/lookup.js'
import { openAsnLookup } from '../../asn/lookup.js'
import { PeersCommand } from '../../cli/base-command.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../../cli/number-flags.js'
import type { Adapter, AddressType, Endpoint, Logger, Network } from '../../contract.js'
import { UsageError } from '../../errors.js'
import { DEFAULT_MAX_ENDPOINTS, DEFAULT_RETRIES, DEFAULT_RETRY_MS, DEFAULT_REVISIT_MS } from '../../engine/defaults.js'
import { CrawlEngine, type CrawlSummary } from '../../engine/engine.js'
import { LagMonitor } from '../../engine/lag.js'
import { LANES, parseLaneFlags } from '../../engine/lanes.js'
import { chooseConcurrency } from '../../engine/limits.js'
import { exportNetwork } from '../../export/export.js'
import { buildDialers, DEFAULT_SAM_PORT, DEFAULT_TOR_PORT, dialableTypesOf, flagFor, parseProxyAddress, type OverlaySettings } from '../../net/dialers/router.js'
import { formatEndpoint } from '../../net/endpoint.js'
import { AddressPolicy } from '../../net/policy.js'
import type { StderrLogger } from '../../cli/log.js'
import { startProgress } from '../../cli/progress.js'
import { DEFAULT_RETENTION } from '../../store/retention.js'
import { openStore, resolveStorePath } from '../../store/store.js'
import { isReachable, type Advertisement, type PeerStore, type RunRecord } from '../../store/types.js'

/** Per DNS seed query during bootstrap. */
const DNS_TIMEOUT_MS = 5000
/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer delay fires after 1 ms instead. */
const MAX_TIMER_S = Math.floor((2 ** 31 - 1) / 1000)
/** A phase timeout; the three together plus the session slack must stay a valid timer delay. */
const MAX_PHASE_MS = 3_600_000

// Parsed after oclif's parse (src/number-flags.ts): a bad number is one line.
/** Each adapter's default for one phase, for --help (the engine takes them from Adapter.defaults). */
function adapterDefault (phase: 'connectMs' | 'handshakeMs' | 'askPeersMs'): string {
  return adapters.map((a) => `${a.name} ${a.defaults.timeouts[phase]}`).join(', ')
}

/** Flags that would dial a type the crawl skipped for 'no-route' (docs/design.md §3). */
const CONCURRENCY_SPEC = { summary: 'Sessions at once.', min: 1, max: 100_000, integer: true } satisfies NumberSpec

const NUMBER_FLAGS = {
  'connect-timeout': { summary: `Clearnet connect timeout, ms (default: the adapter's: ${adapterDefault('connectMs')}).`, min: 1, max: MAX_PHASE_MS, integer: true },
  'handshake-timeout': { summary: `Clearnet handshake timeout after connect, ms (default: the adapter's: ${adapterDefault('handshakeMs')}).`, min: 1, max: MAX_PHASE_MS, integer: true },
  'ask-peers-timeout': { summary: `How long to wait for the address answer after the handshake, ms (alias --getaddr-timeout; default: the adapter's: ${adapterDefault('askPeersMs')}).`, min: 1, max: MAX_PHASE_MS, integer: true },
  retries: { summary: 'Extra tries after a transient failure (the peer closed or reset); a retry never delays the end of a finite crawl.', min: 0, max: 10, integer: true, default: DEFAULT_RETRIES },
  'max-endpoints': { summary: 'Endpoints held in memory at most; beyond it the least promising never-reached ones make room, or newcomers are dropped.', min: 1, integer: true, default: DEFAULT_MAX_ENDPOINTS },
  duration: { summary: 'Stop after this many seconds (as Ctrl-C does, but recorded as finished).', min: 0.001, max: MAX_TIMER_S, integer: false },
  'checkpoint-interval': { summary: 'Save the store every this many seconds.', min: 0.1, max: MAX_TIMER_S, integer: false, default: 5 },
  'revisit-interval': { summary: 'With --continuous: visit each reachable peer again after this many seconds.', min: 1, max: MAX_TIMER_S, integer: false, default: DEFAULT_REVISIT_MS / 1000 },
  'retry-interval': { summary: 'With --continuous: try a failed endpoint again after this many seconds.', min: 1, max: MAX_TIMER_S, integer: false, default: DEFAULT_RETRY_MS / 1000 },
  'forget-after': { summary: 'Forget endpoints never reached and not advertised for this many days (0: never), as Core\'s address manager does after 30.', min: 0, max: 36_500, integer: false, default: DEFAULT_RETENTION.forgetAfterMs / 86_400_000 },
  'forget-failures': { summary: 'Forget endpoints never reached after this many failed tries (0: never).', min: 0, max: 1_000_000, integer: true, default: DEFAULT_RETENTION.maxFailures }
} satisfies Record<string, NumberSpec>

export interface CrawlResult extends CrawlSummary {
  adapter: string
  network: string
  store: string
  /** The txt export written at the end; null with --no-export. */
  export: string | null
  /** Stopped by Ctrl-C or SIGTERM (everything was still saved). */
  interrupted: boolean
  /** The longest the store's writes blocked the event loop, ms (checkpoints and the final save). */
  checkpointMaxBlockedMs: number
}

export default class Crawl extends PeersCommand {
  static override summary = 'Map a peer-to-peer network: handshake with every reachable peer and ask each for the addresses it knows.'

  static override description = [
    'Starts from the default seeds (DNS seeds, else fixed seeds) plus the peers the store last found reachable, or from --seed only.',
    'Every reachable peer is asked for the addresses it knows; every new address is dialed, until none is left (or --duration ends, or Ctrl-C).',
    'Results go to the store (--db) as they come, checkpointed every --checkpoint-interval seconds; at the end the reachable peers are exported to <out>/<net>/<net>-<time>.txt with AS data when an ASN database is found.',
    'Non-routable addresses (private, loopback, documentation ranges …) are recorded but not dialed; --allow-cidr permits a range, --deny-cidr excludes one, --only-cidr restricts dialing to the given ranges.',
    'Ctrl-C (or SIGTERM) stops dialing, gives running sessions a moment, saves everything and writes the export; a second Ctrl-C exits at once, keeping the last saved store.',
    `Adapters and networks: ${adapters.map((a) => `${a.name} (${a.networks.map((n) => n.name).join(', ')})`).join('; ')}.`
  ].join('\n')

  static override examples = [
    '<%= config.bin %> crawl bitcoin --net signet',
    '<%= config.bin %> crawl bitcoin --net mainnet --concurrency 2000 --duration 600',
    '<%= config.bin %> crawl bitcoin --net mainnet --connect-timeout 3000 --lane onion:concurrency=128,connect=60000',
    '<%= config.bin %> crawl bitcoin --net testnet4 --continuous --revisit-interval 300',
    '<%= config.bin %> crawl bitcoin --net mainnet --continuous --forget-after 14 --forget-failures 20',
    '<%= config.bin %> crawl bitcoin --net regtest --seed 127.1.0.1:18444 --allow-cidr 127.0.0.0/8 --ask-peers-timeout 10000',
    '<%= config.bin %> crawl bitcoin --net regtest --seed 127.1.0.1:18444 --allow-cidr 127.0.0.0/8',
    '<%= config.bin %> crawl bitcoin --net mainnet --continuous --metrics 127.0.0.1:9464',
    '<%= config.bin %> crawl bitcoin --net mainnet --onion-proxy 127.0.0.1:9050 --i2p-sam 127.0.0.1:7656 --no-tor-isolation',
    '<%= config.bin %> crawl bitcoin --net mainnet --onion-proxy 127.0.0.1:9050 --onion-proxy 127.0.0.1:9052 --cjdns-reachable'
  ]

  static override args = {
    adapter: Args.string({ required: true, options: adapters.map((a) => a.name), description: 'Which network family to crawl.' })
  }

  static override flags = {
    net: Flags.string({ summary: `Network to crawl (default: ${adapters.map((a) => `${a.name} ${a.defaultNetwork}`).join(', ')}).` }),
    seed: Flags.string({ multiple: true, summary: 'Start from this host:port instead of the default seeds (repeatable).' }),
    'allow-cidr': Flags.string({ multiple: true, summary: 'Dial this range even though it is non-routable (repeatable), e.g. 127.0.0.0/8 for a simulated network.' }),
    'deny-cidr': Flags.string({ multiple: true, summary: 'Never dial this range (repeatable); wins over --allow-cidr.' }),
    'only-cidr': Flags.string({ multiple: true, summary: 'Dial nothing outside these ranges (repeatable).' }),
    concurrency: Flags.string({ default: 'auto', summary: 'Sessions at once: a number, or auto (from the open-file limit, at most 16384). A number above the limit is lowered with a notice.', helpValue: '<integer>|auto' }),
    ...withAliases(numberFlags(NUMBER_FLAGS), { 'ask-peers-timeout': ['getaddr-timeout'] }),
    lane: Flags.string({ multiple: true, summary: `One lane's budget: LANE:KEY=VALUE[,KEY=VALUE…] (repeatable). Lanes ${LANES.join(', ')}; keys concurrency, connect, handshake, ask (ms). E.g. onion:concurrency=128,connect=60000.` }),
    continuous: Flags.boolean({ default: false, summary: 'Keep going: revisit reachable peers and retry failed ones until stopped.' }),
    db: Flags.string({ summary: 'Store file (default: $PEERS_DB, else output/peers.json).' }),
    out: Flags.string({ default: 'output', summary: 'Directory of the export (one subdirectory per network).' }),
    'asn-db': asnDbFlag,
    'geo-db': geoDbFlag,
    export: Flags.boolean({ default: true, allowNo: true, summary: 'Write the txt export at the end (--no-export: do not).' }),
    metrics: Flags.string({ summary: 'Serve Prometheus metrics on http://HOST:PORT/metrics while crawling (a bare PORT listens on 127.0.0.1), e.g. 127.0.0.1:9464.' }),
    'onion-proxy': Flags.string({ multiple: true, helpGroup: 'OVERLAY', summary: `Dial .onion peers through this Tor SOCKS5 port, HOST:PORT (default port ${DEFAULT_TOR_PORT}); repeat for several Tor daemons. Env: PEERS_ONION_PROXY (comma-separated).` }),
    proxy: Flags.string({ helpGroup: 'OVERLAY', summary: 'Dial IPv4, IPv6 and CJDNS peers through this SOCKS5 proxy, HOST:PORT; also onion peers when no --onion-proxy is given.' }),
    'tor-isolation': Flags.boolean({ default: true, allowNo: true, helpGroup: 'OVERLAY', summary: 'Fresh SOCKS credentials per onion connection, so Tor builds a circuit for each (--no-tor-isolation: share circuits).' }),
    'i2p-sam': Flags.string({ helpGroup: 'OVERLAY', summary: `Dial .b32.i2p peers (port 0) through this I2P SAM v3.1 bridge, HOST:PORT (default port ${DEFAULT_SAM_PORT}). Env: PEERS_I2P_SAM.` }),
    'cjdns-reachable': Flags.boolean({ default: false, helpGroup: 'OVERLAY', summary: 'This host is on CJDNS: dial fc00::/8 addresses directly, as IPv6 (as Core\'s -cjdnsreachable).' })
  }

  async run (): Promise<CrawlResult> {
    const { args, flags } = await this.parse(Crawl)
    const n = parseNumberFlags(NUMBER_FLAGS, flags)
    const requestedConcurrency = flags.concurrency === 'auto' ? undefined : parseNumberFlags({ concurrency: CONCURRENCY_SPEC }, { concurrency: flags.concurrency }).concurrency
    const laneOverrides = parseLaneFlags(flags.lane)
    const log = this.makeLogger(flags)
    const adapter = getAdapter(args.adapter)
    const network = getNetwork(adapter, flags.net ?? adapter.defaultNetwork)
    const policy = new AddressPolicy({ allow: flags['allow-cidr'], deny: flags['deny-cidr'], only: flags['only-cidr'] })
    const overlay = overlaySettings(flags)
    // Nothing is opened before the first dial: built here, closed in the finally below.
    const dialers = buildDialers(overlay, log)
    const dialable = dialableTypesOf(adapter.dialableTypes, dialers.byType)
    const givenSeeds = flags.seed?.map((text) => checkedSeed(adapter, network, policy, dialable, text))
    adapter.assertCrawlable(network)

    // Before the store: a busy port is one line at once, nothing opened or locked.
    // prom-client takes about 60 ms to load: only when asked for.
    const metrics = flags.metrics === undefined ? undefined : await (await import('../../metrics/crawl-metrics.js')).startCrawlMetrics(flags.metrics)
    if (metrics !== undefined) log.info(`metrics on ${metrics.url}`)
    const retention = { forgetAfterMs: n['forget-after'] * 86_400_000, maxFailures: n['forget-failures'] }
    const store = await openStore(resolveStorePath(flags.db), { mode: 'write', log, retention })
    const stopSignals = new AbortController()
    let engine: CrawlEngine | undefined
    let interrupted = false
    const onSignal = (signal: NodeJS.Signals): void => {
      if (interrupted) {
        log.warn(`${signal} again: exiting now; the store keeps its last checkpoint`)
        process.exit(130)
      }
      interrupted = true
      log.warn(`${signal}: stopping: no new dials, running sessions get a moment, then everything is saved (${signal === 'SIGINT' ? 'Ctrl-C again' : 'SIGINT'} exits at once)`)
      stopSignals.abort()
      engine?.stop()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      const previous = store.peers(network.id)
      const seeds = givenSeeds ?? await defaultSeeds(adapter, network, previous.filter(isReachable), stopSignals.signal, log)
      if (seeds.length === 0 && !interrupted) throw new UsageError(`no seeds for ${network.name}: it has no default seeds and the store knows no reachable peer; pass --seed host:port`)

      const run = store.beginRun(adapter.name, network.id)
      store.startAutoCheckpoint(n['checkpoint-interval'] * 1000)
      const concurrency = chooseConcurrency(requestedConcurrency)
      const lag = new LagMonitor()
      if (concurrency.notice !== undefined) log.warn(concurrency.notice)
      const crawl = new CrawlEngine({
        adapter,
        network,
        policy,
        concurrency: concurrency.concurrency,
        timeouts: { connectMs: n['connect-timeout'], handshakeMs: n['handshake-timeout'], askPeersMs: n['ask-peers-timeout'] },
        lanes: laneOverrides,
        retries: n.retries,
        maxEndpoints: n['max-endpoints'],
        durationMs: n.duration === undefined ? undefined : n.duration * 1000,
        continuous: flags.continuous,
        revisitMs: n['revisit-interval'] * 1000,
        retryMs: n['retry-interval'] * 1000,
        userAgent: `/peers:${this.config.version}/`,
        known: new Set(previous.map((r) => adapter.key(r))),
        reachableBefore: new Set(previous.filter(isReachable).map((r) => adapter.key(r))),
        lag,
        dialers: dialers.byType,
        onionProxies: overlay.onionProxies?.length
      })
      engine = crawl
      wireEngine(crawl, store, network, log, n['max-endpoints'])
      metrics?.attach(crawl, store, network, (e) => adapter.key(e))
      if (interrupted) crawl.stop()
      const clear = crawl.settings().lanes.clear.timeouts
      log.info(`crawling ${adapter.name} ${network.name} from ${seeds.length} seed${seeds.length === 1 ? '' : 's'}, ${concurrency.concurrency} at once${requestedConcurrency === undefined ? ` (auto${concurrency.fdLimit !== undefined ? `, open-file limit ${concurrency.fdLimit}` : ''})` : ''}; timeouts connect ${clear.connectMs} ms, handshake ${clear.handshakeMs} ms, ask for peers ${clear.askPeersMs} ms`)
      const progress = flags.quiet ? undefined : startProgress({ counts: () => crawl.stats(), logger: log })
      let summary: CrawlSummary
      lag.start()
      try {
        summary = await crawl.run(seeds)
      } finally {
        lag.stop()
        progress?.stop()
      }
      // A signal from here on (export, final save) did not cut the crawl short: the run record and the result agree.
      const stoppedBySignal = interrupted
      if (stoppedBySignal) log.info('stopped: sessions ended, saving the store')
      const unrouted = Object.entries(summary.noRoute).map(([type, count]) => `${count} ${type} (${flagFor(type as AddressType) ?? 'no flag yet'})`)
      if (unrouted.length > 0) log.info(`overlay addresses recorded, not dialed: ${unrouted.join(', ')}`)
      finishRun(store, run, summary, stoppedBySignal)

      let exported: string | null = null
      if (flags.export) {
        // Before close: the export's ASN and country enrichment (store.setAsn, setCountry) is then saved with the rest.
        const asn = await openAsnLookup({ path: flags['asn-db'], log })
        const geo = await openGeoLookup({ path: flags['geo-db'], log })
        exported = await exportNetwork(store, network.id, { format: 'txt', outDir: flags.out, asn, geo })
      }
      // Closed here so a failed final write is an error, not a success line; the finally's close is then a no-op.
      await store.close()
      const result: CrawlResult = { adapter: adapter.name, network: network.id, store: store.path, export: exported, interrupted: stoppedBySignal, checkpointMaxBlockedMs: store.maxBlockedMs, ...summary }
      if (!this.jsonEnabled() && !flags.quiet) process.stderr.write(humanSummary(result))
      return result
    } finally {
      dialers.close()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await metrics?.close()
      await store.close()
    }
  }
}

/** A --seed the adapter parses and the policy would dial; otherwise a UsageError saying which flag permits it. */
function checkedSeed (adapter: Adapter, network: Network, policy: AddressPolicy, dialable: readonly AddressType[], text: string): Endpoint {
  const endpoint = adapter.parseEndpoint(text, network)
  const verdict = policy.classify(endpoint, dialable)
  if (!verdict.dial) {
    const flag = flagFor(endpoint.type)
    if (verdict.reason === 'not-dialable-type' && flag !== undefined && adapter.dialableTypes.includes(endpoint.type)) {
      throw new UsageError(`--seed ${formatEndpoint(endpoint)} is an ${endpoint.type} address: pass ${flag} to dial it`)
    }
    throw new UsageError(`--seed ${policy.explain(endpoint, verdict.reason, dialable)}`)
  }
  return endpoint
}

/** The overlay flags, with PEERS_ONION_PROXY and PEERS_I2P_SAM when the flags are not given. */
function overlaySettings (flags: { 'onion-proxy'?: string[], proxy?: string, 'tor-isolation': boolean, 'i2p-sam'?: string, 'cjdns-reachable': boolean }): OverlaySettings {
  const onion = flags['onion-proxy'] ?? (process.env.PEERS_ONION_PROXY ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  const sam = flags['i2p-sam'] ?? (process.env.PEERS_I2P_SAM?.trim() === '' ? undefined : process.env.PEERS_I2P_SAM)
  return {
    onionProxies: onion.map((text) => parseProxyAddress(text, flags['onion-proxy'] !== undefined ? '--onion-proxy' : 'PEERS_ONION_PROXY', DEFAULT_TOR_PORT)),
    proxy: flags.proxy === undefined ? undefined : parseProxyAddress(flags.proxy, '--proxy', DEFAULT_TOR_PORT),
    torIsolation: flags['tor-isolation'],
    i2pSam: sam === undefined ? undefined : parseProxyAddress(sam, flags['i2p-sam'] !== undefined ? '--i2p-sam' : 'PEERS_I2P_SAM', DEFAULT_SAM_PORT),
    cjdnsReachable: flags['cjdns-reachable']
  }
}

/** One line: how many overlay addresses were recorded but not dialed, and which flag would dial them. */
/** The adapter's bootstrap seeds plus the peers the last crawls found reachable. */
async function defaultSeeds (adapter: Adapter, network: Network, reachable: readonly Endpoint[], signal: AbortSignal, log: Logger): Promise<Endpoint[]> {
  let boot: Endpoint[] = []
  try {
    boot = await adapter.bootstrap(network, { signal, dnsTimeoutMs: DNS_TIMEOUT_MS, log })
  } catch (err) {
    // Ctrl-C during bootstrap: go on with what the store knows, so the run is recorded and ends at once.
    if (!signal.aborted) throw err
  }
  log.info(`bootstrap gave ${boot.length} seed${boot.length === 1 ? '' : 's'}; the store adds ${reachable.length} peer${reachable.length === 1 ? '' : 's'} reachable last time`)
  return [...boot, ...reachable.map((r) => ({ host: r.host, port: r.port, type: r.type }))]
}

/** Engine events to the store and the log. */
function wireEngine (engine: CrawlEngine, store: PeerStore, network: Network, log: StderrLogger, maxEndpoints: number): void {
  // 'discovered' fires for every new address (a million in a long crawl; repeats come summed as 'advertised'): build debug lines only when they are written.
  const debug = log.level === 'debug'
  engine.on('discovered', (event) => {
    const { endpoint, from, first, skipped } = event
    // A seed already in the store was not seen anew: leave its record alone.
    if (from === null && store.get(network.id, endpoint) !== undefined) return
    // What the advertising peer claimed (LearnedAddress.time/services), when the engine passes it on.
    const { time, services } = event as Advertisement
    store.recordDiscovered(network.id, endpoint, from, skipped, from === null || (time === undefined && services === undefined) ? undefined : { time, services })
    if (!debug || !first || from === null) return
    if (skipped === undefined) log.debug(`new peer discovered @ ${formatEndpoint(endpoint)}`)
    else log.debug(`not dialing ${formatEndpoint(endpoint)}: ${skipped}`)
  })
  engine.on('advertised', (sum) => store.recordAdvertised(network.id, sum.endpoint, sum))
  engine.on('session-start', ({ endpoint, attempt }) => {
    if (debug) log.debug(`starting handshake with ${formatEndpoint(endpoint)}${attempt > 1 ? ` (attempt ${attempt})` : ''}`)
  })
  engine.on('session-end', ({ result, retryInMs }) => {
    // A cancelled session (Ctrl-C, --duration) says nothing about the peer: do not record it (the engine does not count it either).
    if (!result.ok && result.reason === 'cancelled') {
      if (debug) log.debug(`session with ${formatEndpoint(result.endpoint)} cancelled`)
      return
    }
    store.recordResult(network.id, result)
    if (result.ok) {
      const agent = result.peer?.userAgent !== undefined ? `${result.peer.userAgent}, ` : ''
      // addressesReceived, not learned.length: with onLearned streaming, learned is empty.
      const answer = result.answer !== undefined ? `answered ${result.answer.entries} ${result.answer.entries === 1 ? 'entry' : 'entries'} after ${result.answer.afterMs} ms` : `no address answer, ${result.addressesReceived} addresses`
      log.info(`successful handshake with ${formatEndpoint(result.endpoint)} (${agent}${answer})`)
    } else if (debug) {
      const retry = retryInMs === undefined ? '' : `; retrying in ${Math.round(retryInMs / 1000)} s`
      log.debug(`handshake with ${formatEndpoint(result.endpoint)} failed: ${result.reason ?? 'error'}${result.detail !== undefined ? ` (${result.detail})` : ''}${retry}`)
    }
  })
  let warnedOverflow = false
  engine.on('notice', (line) => log.warn(line))
  engine.on('overflow', () => {
    if (warnedOverflow) return
    warnedOverflow = true
    log.warn(`--max-endpoints ${maxEndpoints} reached: further addresses are counted and dropped`)
  })
}

function finishRun (store: PeerStore, run: RunRecord, s: CrawlSummary, interrupted: boolean): void {
  const { stoppedBy: _stoppedBy, mappedAfterMs, ...counts } = s
  store.finishRun(run, interrupted ? 'interrupted' : 'finished', mappedAfterMs === null ? counts : { ...counts, mappedAfterMs })
}

/** oclif flags with extra names (an alias parses into the flag's own key). */
function withAliases<F extends Record<string, object>> (flags: F, aliases: Partial<Record<keyof F, string[]>>): F {
  return Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, aliases[k] === undefined ? f : { ...f, aliases: aliases[k] }])) as F
}

function byReason (counts: Record<string, number>): string {
  const parts = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`)
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`
}

function humanSummary (r: CrawlResult): string {
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0)
  const how = r.interrupted ? 'interrupted' : r.stoppedBy === 'duration' ? 'stopped at --duration' : 'finished'
  return [
    `${r.network}: crawl ${how} after ${(r.elapsedMs / 1000).toFixed(1)} s, ${r.sessionsPerSecond} sessions/s`,
    `  reachable  ${r.reachable} of ${r.tried} tried`,
    `  failed     ${sum(r.failed)}${byReason(r.failed)}`,
    `  skipped    ${sum(r.skipped)}${byReason(r.skipped)}`,
    `  discovered ${r.discovered} (${r.new} new)${r.untried > 0 ? `, ${r.untried} never tried` : ''}${r.evicted > 0 ? `, ${r.evicted} evicted` : ''}${r.overflow > 0 ? `, ${r.overflow} dropped over --max-endpoints` : ''}`,
    `  mapped     ${r.mappedAfterMs === null ? 'no reachable peer' : `after ${(r.mappedAfterMs / 1000).toFixed(1)} s (the last reachable peer's handshake, from process start)`}`,
    `  sessions   ${r.sessions} at most ${r.concurrency} at once${r.retriesDropped > 0 ? `, ${r.retriesDropped} retries dropped at the end` : ''}${r.fdBackpressure > 0 ? `, ${r.fdBackpressure} put back at the open-file limit` : ''}${r.lagBackoffMs > 0 ? `, dials held back ${(r.lagBackoffMs / 1000).toFixed(1)} s while the event loop lagged` : ''}`,
    `  store      ${r.store}`,
    ...(r.export !== null ? [`  export     ${r.export}`] : []),
    ''
  ].join('\n')
}
