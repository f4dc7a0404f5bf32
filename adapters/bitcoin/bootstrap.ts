// Default seeds for a Bitcoin network, as Core finds them: the DNS seeds' A and AAAA
// records (at most 32 addresses per seed), and the built-in fixed seeds when DNS yields
// nothing. Never dials a peer.
import { Resolver } from 'node:dns/promises'
import type { BootstrapOptions, Endpoint } from '../../src/contract.js'
import { describeError } from '../../src/errors.js'
import { assertDnsAllowed } from '../../src/net/dial-guard.js'
import { canonicalIPv6 } from '../../src/net/ip.js'
import type { BitcoinNetworkParams } from './params.js'
import { peerKey } from './session-machine.js'

/** What bootstrap needs of node:dns/promises; tests pass their own. */
export interface DnsResolver {
  resolve4 (name: string): Promise<string[]>
  resolve6 (name: string): Promise<string[]>
  /** Abandons outstanding queries. */
  cancel? (): void
}

/** Core's cap on addresses taken from one seed (ThreadDNSAddressSeed). */
export const MAX_ADDRESSES_PER_SEED = 32

export async function bootstrapBitcoin (params: BitcoinNetworkParams, options: BootstrapOptions, resolver?: DnsResolver): Promise<Endpoint[]> {
  const dns = resolver ?? new Resolver({ timeout: options.dnsTimeoutMs, tries: 1 })
  const cancel = (): void => dns.cancel?.()
  options.signal.addEventListener('abort', cancel, { once: true })
  let fromDns: Endpoint[][]
  try {
    fromDns = await Promise.all(params.dnsSeeds.map((seed) => resolveSeed(seed, params.defaultPort, dns, options)))
  } finally {
    options.signal.removeEventListener('abort', cancel)
  }

  const seen = new Set<string>()
  const endpoints: Endpoint[] = []
  for (const e of fromDns.flat()) {
    const key = peerKey(e)
    if (seen.has(key)) continue
    seen.add(key)
    endpoints.push(e)
  }
  if (endpoints.length > 0) {
    options.log.info(`${params.name}: ${endpoints.length} addresses from ${params.dnsSeeds.length} DNS seeds`)
    return endpoints
  }
  if (params.fixedSeeds.length > 0) options.log.info(`${params.name}: DNS seeds yielded nothing; using ${params.fixedSeeds.length} fixed seeds`)
  return [...params.fixedSeeds]
}

async function resolveSeed (seed: string, port: number, dns: DnsResolver, options: BootstrapOptions): Promise<Endpoint[]> {
  if (options.signal.aborted) return []
  try {
    assertDnsAllowed(seed)
  } catch (err) {
    options.log.warn(`DNS seed ${seed}: ${describeError(err)}`)
    return []
  }
  const [v4, v6] = await Promise.all([
    query(() => dns.resolve4(seed), `${seed} A`, options),
    query(() => dns.resolve6(seed), `${seed} AAAA`, options)
  ])
  options.log.debug(`DNS seed ${seed}: ${v4.length} A, ${v6.length} AAAA`)
  // Interleaved so that the cap keeps both families.
  const endpoints: Endpoint[] = []
  for (let i = 0; i < Math.max(v4.length, v6.length) && endpoints.length < MAX_ADDRESSES_PER_SEED; i++) {
    if (i < v4.length) endpoints.push({ host: v4[i], port, type: 'ipv4' })
    if (i < v6.length && endpoints.length < MAX_ADDRESSES_PER_SEED) endpoints.push({ host: canonicalIPv6(v6[i]), port, type: 'ipv6' })
  }
  return endpoints
}

/** One DNS query with its own timeout; a failure or timeout yields no addresses and a log line. */
async function query (run: () => Promise<string[]>, what: string, options: BootstrapOptions): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${options.dnsTimeoutMs} ms`)), options.dnsTimeoutMs)
  })
  try {
    return await Promise.race([run(), timeout])
  } catch (err) {
    // No records is an ordinary answer from a seed with nothing to offer.
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENODATA' || code === 'ENOTFOUND') options.log.debug(`DNS ${what}: no records`)
    else options.log.warn(`DNS ${what}: ${describeError(err)}`)
    return []
  } finally {
    clearTimeout(timer)
  }
}
