import { existsSync } from 'node:fs'
import { lookup } from 'node:dns/promises'
import { performance } from 'node:perf_hooks'
import { Args, Flags } from '@oclif/core'
import { adapters, findNetworkById } from '../../adapters/index.js'
import { PeersCommand } from '../cli/base-command.js'
import { genericCause, historyLines, stepLine, storedHistory, type CheckReason, type CheckStep, type StoredHistory } from '../cli/check-report.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../cli/number-flags.js'
import type { Adapter, Dial, Diagnosis, DiagnosisStep, Endpoint, Network, SessionTimeouts } from '../contract.js'
import { describeError, NotImplementedError, UsageError } from '../errors.js'
import { assertDnsAllowed } from '../net/dial-guard.js'
import { formatEndpoint } from '../net/endpoint.js'
import { addressTypeOf, canonicalIPv6 } from '../net/ip.js'
import { AddressPolicy } from '../net/policy.js'
import { readTimeline } from '../store/history.js'
import { openStore, resolveStorePath } from '../store/store.js'

const MAX_PHASE_MS = 3_600_000
const NUMBER_FLAGS = {
  'connect-timeout': { summary: 'Connect timeout, ms (default: the adapter\'s).', min: 1, max: MAX_PHASE_MS, integer: true },
  'handshake-timeout': { summary: 'Handshake timeout after connect, ms (default: the adapter\'s).', min: 1, max: MAX_PHASE_MS, integer: true },
  'getaddr-timeout': { summary: 'How long to wait for the address answer, ms (default: the adapter\'s).', min: 1, max: MAX_PHASE_MS, integer: true }
} satisfies Record<string, NumberSpec>

/** A DNS name: labels of letters, digits and inner hyphens; the last one not all digits (else it is a malformed IPv4). */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]*[a-z][a-z0-9-]*\.?$/i

export interface CheckResult {
  target: string
  adapter: string
  network: string
  endpoint: string
  reachable: boolean
  reason?: CheckReason
  cause?: string
  advice?: string
  steps: CheckStep[]
  times: Diagnosis['times'] & { resolveMs?: number }
  answer?: Diagnosis['answer']
  peer?: Diagnosis['peer'] & { serviceNames?: string[] }
  /** What the store knows about the peer; absent when it does not know it. */
  store?: StoredHistory
}

/** Tries from the store's history shown by a check (`peers history` shows them all). */
const RECENT_TRIES = 10

export default class Check extends PeersCommand {
  static override summary = 'Diagnose one node: can it be reached, and if not, why.'

  static override description = [
    'Dials HOST[:PORT] once and tells each step in plain words, with its time: the name lookup (only for a host name), the address policy (and which flag would allow a non-routable address), the connection (refused or timed out), the handshake (network, protocol version, user agent, services, height), a ping round trip and the answer to the request for addresses.',
    'Ends with one verdict line and, when the node is not reachable, the likely cause and what to try. When the store knows the node, its stored history is shown too.',
    'Exit code: 0 reachable, 1 not reachable, 2 bad usage. --json prints every step with its timing.',
    'Overlay addresses (.onion, .b32.i2p) need a proxy, which this build cannot use yet.'
  ].join('\n')

  static override examples = [
    '<%= config.bin %> check 203.0.113.7',
    '<%= config.bin %> check node.example.org:8333 --json',
    '<%= config.bin %> check 127.0.0.1:18444 --net regtest --allow-cidr 127.0.0.0/8'
  ]

  static override args = {
    target: Args.string({ required: true, description: 'HOST[:PORT]: an IPv4 or [IPv6] address or a host name; the port defaults to the network\'s.' })
  }

  static override flags = {
    net: Flags.string({ summary: `Network (id or --net name), default ${adapters[0].name} ${adapters[0].defaultNetwork}.` }),
    'allow-cidr': Flags.string({ multiple: true, summary: 'Dial this range even though it is non-routable (repeatable), as crawl does.' }),
    'deny-cidr': Flags.string({ multiple: true, summary: 'Never dial this range (repeatable), as crawl does.' }),
    'only-cidr': Flags.string({ multiple: true, summary: 'Dial nothing outside these ranges (repeatable), as crawl does.' }),
    ...numberFlags(NUMBER_FLAGS),
    db: Flags.string({ summary: 'Store whose history of the node is shown (default: $PEERS_DB, else output/peers.json; none when absent).' })
    // Proxy flags (--onion-proxy, --i2p-sam, …) join here when the crawl has them (#12): see proxyDial below.
  }

  async run (): Promise<CheckResult> {
    const { args, flags } = await this.parse(Check)
    const n = parseNumberFlags(NUMBER_FLAGS, flags)
    const { adapter, network } = flags.net === undefined
      ? { adapter: adapters[0], network: adapters[0].networks.find((x) => x.name === adapters[0].defaultNetwork) as Network }
      : findNetworkById(flags.net)
    const policy = new AddressPolicy({ allow: flags['allow-cidr'], deny: flags['deny-cidr'], only: flags['only-cidr'] })
    const timeouts: SessionTimeouts = {
      connectMs: n['connect-timeout'] ?? adapter.defaults.timeouts.connectMs,
      handshakeMs: n['handshake-timeout'] ?? adapter.defaults.timeouts.handshakeMs,
      askPeersMs: n['getaddr-timeout'] ?? adapter.defaults.timeouts.askPeersMs
    }
    const target = parseTarget(args.target, adapter, network)
    if (target.endpoint !== undefined && (target.endpoint.type === 'onion' || target.endpoint.type === 'i2p') && proxyDial(target.endpoint) === undefined) {
      throw new UsageError(`${args.target} is ${target.endpoint.type === 'onion' ? 'a Tor onion' : 'an I2P'} address: checking it needs ${target.endpoint.type === 'onion' ? 'a Tor proxy' : 'an I2P SAM bridge'}, which this build cannot use yet`)
    }
    if (adapter.diagnose === undefined) throw new NotImplementedError(`the ${adapter.name} adapter cannot diagnose a peer yet (it has no diagnosis steps)`)

    const human = !this.jsonEnabled()
    const started = performance.now()
    const steps: CheckStep[] = []
    const addStep = (s: DiagnosisStep): void => {
      const step = { ...s, atMs: Math.round(performance.now() - started) }
      steps.push(step)
      if (human) process.stdout.write(stepLine(step))
    }
    if (human) process.stdout.write(`peers check ${args.target} (${adapter.name} ${network.name})\n`)
    const result: CheckResult = { target: args.target, adapter: adapter.name, network: network.id, endpoint: args.target, reachable: false, steps, times: {} }

    const stop = new AbortController()
    const onSignal = (): void => { stop.abort() }
    process.once('SIGINT', onSignal)
    try {
      // 1. The name, when one was given.
      let endpoint: Endpoint
      if (target.endpoint !== undefined) {
        endpoint = target.endpoint
      } else {
        const t0 = performance.now()
        try {
          endpoint = await resolve(target.name, target.port, timeouts.connectMs)
          result.times.resolveMs = Math.round(performance.now() - t0)
          addStep({ name: 'resolve', status: 'ok', ms: result.times.resolveMs, text: `${target.name} is ${endpoint.host}`, facts: { address: endpoint.host } })
        } catch (err) {
          addStep({ name: 'resolve', status: 'failed', ms: Math.round(performance.now() - t0), text: `${target.name} did not resolve: ${describeError(err)}` })
          return this.verdict(result, 'name-not-resolved', undefined, undefined, target.name, timeouts)
        }
      }
      result.endpoint = formatEndpoint(endpoint)

      // 2. The address policy.
      const verdict = policy.classify(endpoint, adapter.dialableTypes)
      if (!verdict.dial) {
        const why = policy.explain(endpoint, verdict.reason, adapter.dialableTypes)
        addStep({ name: 'policy', status: 'failed', ms: 0, text: why, facts: { reason: verdict.reason } })
        const allow = /pass (--allow-cidr \S+)/.exec(why)
        return this.verdict(result, verdict.reason, `not dialed: ${why}`, allow !== null ? `pass ${allow[1]} to check it` : 'change the policy flags (--allow-cidr, --deny-cidr, --only-cidr)', endpoint, timeouts)
      }
      const defaultVerdict = new AddressPolicy({ deny: flags['deny-cidr'], only: flags['only-cidr'] }).classify(endpoint, adapter.dialableTypes)
      addStep({ name: 'policy', status: 'ok', ms: 0, text: defaultVerdict.dial ? 'a routable address' : 'non-routable, allowed by --allow-cidr' })

      // 3. The adapter's steps.
      const diagnosis = await adapter.diagnose(endpoint, { network, timeouts, signal: stop.signal, userAgent: `/peers:${this.config.version}/`, dial: proxyDial(endpoint), onStep: addStep })
      result.times = { ...result.times, ...diagnosis.times }
      if (diagnosis.answer !== undefined) result.answer = diagnosis.answer
      if (diagnosis.peer !== undefined) result.peer = { ...diagnosis.peer, ...(diagnosis.serviceNames !== undefined ? { serviceNames: diagnosis.serviceNames } : {}) }
      await this.addHistory(result, flags.db, network, endpoint)
      if (diagnosis.reachable) {
        result.reachable = true
        if (human) {
          process.stdout.write(timesLine(result))
          if (result.store !== undefined) process.stdout.write(historyLines(result.store, endpoint))
          process.stdout.write(`verdict: REACHABLE ${result.endpoint}: a ${network.name} node${result.peer?.userAgent !== undefined ? ` (${result.peer.userAgent})` : ''} completed the handshake in ${result.times.handshakeMs ?? '?'} ms\n`)
        }
        return result
      }
      return this.verdict(result, diagnosis.reason ?? 'error', diagnosis.cause, diagnosis.advice, endpoint, timeouts)
    } finally {
      process.off('SIGINT', onSignal)
    }
  }

  /** Not reachable: the cause and advice (the adapter's, else the generic ones), exit code 1. */
  private verdict (result: CheckResult, reason: CheckReason, cause: string | undefined, advice: string | undefined, where: Endpoint | string, timeouts: SessionTimeouts): CheckResult {
    const generic = genericCause(reason, typeof where === 'string' ? { host: where, port: 0, type: 'ipv4' } : where, timeouts)
    result.reason = reason
    result.cause = cause ?? generic.cause
    result.advice = advice ?? generic.advice
    if (!this.jsonEnabled()) {
      if (result.store !== undefined && typeof where !== 'string') process.stdout.write(historyLines(result.store, where))
      process.stdout.write(`verdict: NOT REACHABLE [${reason}] ${result.endpoint}\ncause:   ${result.cause}\ntry:     ${result.advice}\n`)
    }
    process.exitCode = 1
    return result
  }

  /** The stored record of the node, when a store exists and knows it; a store problem is a note, never the verdict. */
  private async addHistory (result: CheckResult, db: string | undefined, network: Network, endpoint: Endpoint): Promise<void> {
    const path = resolveStorePath(db)
    if (!existsSync(path)) return
    try {
      const store = await openStore(path, { mode: 'read' })
      try {
        const record = store.get(network.id, endpoint)
        if (record !== undefined) {
          result.store = storedHistory(record)
          const dir = store.historyDir(network.id)
          const observations = dir === undefined ? [] : await readTimeline(dir, formatEndpoint(endpoint))
          if (observations.length > 0) {
            result.store.recent = observations.slice(-RECENT_TRIES).map((o) => ({ at: new Date(o.t).toISOString(), outcome: o.ok ? 'up' : (o.r ?? 'failed') }))
          }
        }
      } finally {
        await store.close()
      }
    } catch (err) {
      process.stderr.write(`peers: note: the store's history of the node is not shown: ${describeError(err)}\n`)
    }
  }
}

type Target = { endpoint: Endpoint, name?: undefined, port?: undefined } | { endpoint: undefined, name: string, port: number }

/** An address the adapter parses, or a host name to resolve; anything else is one usage line. */
function parseTarget (text: string, adapter: Adapter, network: Network): Target {
  const named = /^([^[\]:]+)(?::([^:]*))?$/.exec(text.trim())
  if (named !== null && addressTypeOf(named[1]) === undefined && !/^[\d.]+$/.test(named[1])) {
    const name = named[1]
    if (/\.(onion|i2p)$/i.test(name)) throw new UsageError(`'${text}' is not a valid ${/onion$/i.test(name) ? 'Tor v3 onion (56 base32 characters)' : 'I2P (52 base32 characters .b32.i2p)'} address`)
    if (!HOST_NAME.test(name)) throw new UsageError(`'${text}' is not a valid host: expected an IPv4 or [IPv6] address or a host name, with an optional :port`)
    const portText = named[2]
    if (portText !== undefined && (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)) {
      throw new UsageError(`'${text}' has an invalid port: expected 1-65535`)
    }
    return { endpoint: undefined, name, port: portText === undefined ? network.defaultPort : Number(portText) }
  }
  return { endpoint: adapter.parseEndpoint(text, network) }
}

async function resolve (name: string, port: number, timeoutMs: number): Promise<Endpoint> {
  assertDnsAllowed(name)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs) })
  try {
    const { address } = await Promise.race([lookup(name), timeout])
    const type = addressTypeOf(address) ?? 'ipv4'
    return { host: type === 'ipv4' ? address : canonicalIPv6(address), port, type }
  } finally {
    clearTimeout(timer)
  }
}

/** The seam for the proxy flags (#12): a dialer for overlay names and --proxy. Until then, direct TCP. */
function proxyDial (_endpoint: Endpoint): Dial | undefined {
  return undefined
}

function timesLine (r: CheckResult): string {
  const parts: string[] = []
  if (r.times.resolveMs !== undefined) parts.push(`name lookup ${r.times.resolveMs} ms`)
  if (r.times.connectMs !== undefined) parts.push(`connect ${r.times.connectMs} ms`)
  if (r.times.handshakeMs !== undefined) parts.push(`handshake ${r.times.handshakeMs} ms`)
  if (r.times.pingMs !== undefined) parts.push(`ping ${r.times.pingMs} ms`)
  if (r.answer !== undefined) parts.push(`address answer ${r.answer.afterMs} ms (${r.answer.entries} entries)`)
  return `  times: ${parts.join(', ')}\n`
}
