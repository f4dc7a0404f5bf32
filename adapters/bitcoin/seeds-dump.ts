// `peers export --format seeds`: the DNS seeder's dump (sipa/bitcoin-seeder main.cpp
// ThreadDumper), the input of Bitcoin Core's contrib/seeds/makeseeds.py. Columns, widths,
// rows and the "good" rules follow ../shared/seeds-format.md §1 and §3 (sipa db.h IsGood),
// with the network's own default port and a minimum height per network.
import type { AdapterExportFormat, Network, StoredPeer } from '../../src/contract.js'
import { formatEndpoint } from '../../src/net/endpoint.js'
import { AddressPolicy } from '../../src/net/policy.js'

/** sipa's header line, verbatim (its `%%` printed as `%`). */
export const SEEDS_HEADER = '# address                                        good  lastSuccess    %(2h)   %(8h)   %(1d)   %(7d)  %(30d)  blocks      svcs  version\n'

/** sipa's REQUIRE_VERSION: older peers are never good. */
const REQUIRE_VERSION = 70001
/** sipa's GetRequireHeight on mainnet; test networks get none (their heights differ too much). */
const MIN_HEIGHT: Readonly<Record<string, number>> = { mainnet: 350_000 }
/** NODE_NETWORK. */
const NODE_NETWORK = 1n
/** Core gives every I2P address port 0 (I2P_SAM31_PORT); sipa's seeder predates I2P, dnsseedrs exempts it. */
const I2P_PORT = 0
/** sipa IsGood: (window, reliability above, count above), 2 h … 30 d. */
const GOOD_WINDOWS: ReadonlyArray<[window: number, reliability: number, count: number]> = [[0, 0.85, 2], [1, 0.70, 4], [2, 0.55, 8], [3, 0.45, 16], [4, 0.35, 32]]

const routability = new AddressPolicy()
const EVERY_TYPE = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'yggdrasil'] as const

/** The rows sipa's GetAll gives (tried, at least one success), in its StatCompare order, with the header. */
export function seedsDump (records: readonly StoredPeer[], network: Network): string {
  const rows = records.filter((r) => r.successes > 0)
  rows.sort((a, b) => reliability(b, 4) - reliability(a, 4) || reliability(b, 3) - reliability(a, 3) || (b.protocolVersion ?? 0) - (a.protocolVersion ?? 0))
  return SEEDS_HEADER + rows.map((r) => seedsLine(r, network)).join('')
}

/** One dump line's fields, as sipa's CAddrReport carries them. */
export interface SeedsRow {
  address: string
  good: boolean
  /** Unix seconds. */
  lastSuccess: number
  /** Reliability 0..1 of the 2 h, 8 h, 1 d, 7 d, 30 d windows. */
  uptimes: readonly number[]
  blocks: number
  services: bigint
  version: number
  agent: string
}

/**
 * sipa's printf: "%-47s  %4d  %11" PRId64 "  %6.2f%% %6.2f%% %6.2f%% %6.2f%% %6.2f%%  %6i  %08" PRIx64 "  %5i \"%s\"\n".
 * (JS toFixed rounds exact binary ties up where C rounds them to even; makeseeds does not care.)
 */
export function formatSeedsRow (row: SeedsRow): string {
  const uptimes = row.uptimes.map((u) => `${(100 * u).toFixed(2).padStart(6)}%`)
  return `${row.address.padEnd(47)}  ${String(row.good ? 1 : 0).padStart(4)}  ${String(row.lastSuccess).padStart(11)}  ` +
    `${uptimes.join(' ')}  ${String(row.blocks).padStart(6)}  ${row.services.toString(16).padStart(8, '0')}  ` +
    `${String(row.version).padStart(5)} "${row.agent}"\n`
}

/** A stored peer as a dump line: its address, good flag, uptimes, and what its last version said. */
export function seedsLine (r: StoredPeer, network: Network): string {
  return formatSeedsRow({
    address: formatEndpoint(r),
    good: isGood(r, network),
    lastSuccess: r.lastSuccess === undefined ? 0 : Math.floor(Date.parse(r.lastSuccess) / 1000),
    uptimes: [0, 1, 2, 3, 4].map((i) => reliability(r, i)),
    blocks: r.startHeight ?? 0,
    services: services(r.services),
    version: r.protocolVersion ?? 0,
    agent: cleanAgent(r.userAgent ?? '')
  })
}

/** sipa's CAddrInfo::IsGood, with the network's default port and minimum height. */
export function isGood (r: StoredPeer, network: Network): boolean {
  if (r.port !== (r.type === 'i2p' ? I2P_PORT : network.defaultPort)) return false
  if ((services(r.services) & NODE_NETWORK) === 0n) return false
  if (!routability.classify(r, EVERY_TYPE).dial) return false
  const version = r.protocolVersion ?? 0
  if (version !== 0 && version < REQUIRE_VERSION) return false
  const blocks = r.startHeight ?? 0
  if (blocks !== 0 && blocks < (MIN_HEIGHT[network.id] ?? 0)) return false
  const total = r.successes + r.failures
  if (total <= 3 && r.successes * 2 >= total) return true
  return GOOD_WINDOWS.some(([w, rel, count]) => reliability(r, w) > rel && (r.uptimeWindows?.[w]?.count ?? 0) > count)
}

/**
 * A user agent as one whitespace-free token makeseeds can read: Core's SanitizeString
 * (SAFE_CHARS_DEFAULT) minus the space, so quotes, whitespace, control and non-ASCII
 * characters go and the line keeps its 12 tokens.
 */
export function cleanAgent (agent: string): string {
  return agent.replace(/[^a-zA-Z0-9.,;\-_/:?@()]/g, '')
}

/** The raw EMA reliability (not normalised by weight, as sipa prints it); 0 without history. */
function reliability (r: StoredPeer, window: number): number {
  return r.uptimeWindows?.[window]?.reliability ?? 0
}

function services (decimal: string | undefined): bigint {
  try {
    return BigInt(decimal ?? '0')
  } catch {
    return 0n
  }
}

export const seedsFormat: AdapterExportFormat = {
  summary: 'the DNS seeder dump (sipa/bitcoin-seeder) that Bitcoin Core\'s contrib/seeds/makeseeds.py reads',
  extension: 'seeds.txt',
  format: seedsDump
}
