import { Flags } from '@oclif/core'
import type { AddressType } from '../contract.js'
import { PeersCommand } from '../cli/base-command.js'
import { UsageError } from '../errors.js'
import { formatEndpoint } from '../net/endpoint.js'
import { addressSortKey } from '../store/address-order.js'
import { numberFlags, parseNumberFlags, type NumberSpec } from '../cli/number-flags.js'
import { asnDbFlag, fillMissingAsn, fillMissingCountry, geoDbFlag, readerFlags, selectNetworks } from '../cli/store-readers.js'
import { countryName, hasCountryAnswer, isCountryCode } from '../geo/countries.js'
import { openStore, resolveStorePath } from '../store/store.js'
import { isReachable, type PeerRecord } from '../store/types.js'
import { renderTable, type Column } from '../cli/table.js'
import { parseUptimeFilter, reliabilityOf, uptimeFigures, uptimeValues, type UptimeValues, type UptimeWindowName } from '../store/uptime.js'

/** Share of the watched time up, and sipa's reliability (what the seeds dump prints) in brackets. */
function uptimeCell (p: PeerRecord, window: UptimeWindowName): string {
  if (p.uptime === undefined) return ''
  const f = uptimeFigures(p.uptime)
  return `${f.normalised[window].toFixed(1)}% (${f.percent[window].toFixed(1)})`
}

const ADDRESS_TYPES = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'yggdrasil'] as const satisfies readonly AddressType[]
const SORT_KEYS = ['address', 'last-seen', 'latency', 'asn', 'agent', 'height', 'uptime'] as const
type SortKey = typeof SORT_KEYS[number]

/** A peer as `--json` prints it: the stored record plus its display address and reachability. */
/** A record as `--json` prints it: uptime as its numbers (src/store/uptime.ts), not the stored text. */
export type ListedPeer = Omit<PeerRecord, 'uptime'> & { address: string, reachable: boolean, countryName?: string, uptime?: UptimeValues }

/** Missing values sort last whatever the direction. */
function compareOptional<T extends number | string> (a: T | undefined, b: T | undefined, descending = false): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1
  const order = a < b ? -1 : a > b ? 1 : 0
  return descending ? -order : order
}

const COMPARE: Record<SortKey, (a: PeerRecord, b: PeerRecord) => number> = {
  address: () => 0, // the address tie-break does it
  'last-seen': (a, b) => compareOptional(a.lastSuccess, b.lastSuccess, true),
  latency: (a, b) => compareOptional(a.connectMs, b.connectMs),
  asn: (a, b) => compareOptional(a.asn, b.asn),
  agent: (a, b) => compareOptional(a.userAgent, b.userAgent),
  height: (a, b) => compareOptional(a.startHeight, b.startHeight, true),
  // As the sipa seeder ranks (StatCompare): 30-day reliability, then 7-day, highest first; never tried last.
  uptime: (a, b) => compareOptional(a.uptime && reliabilityOf(a.uptime, '30d'), b.uptime && reliabilityOf(b.uptime, '30d'), true) ||
    compareOptional(a.uptime && reliabilityOf(a.uptime, '7d'), b.uptime && reliabilityOf(b.uptime, '7d'), true)
}

// Parsed after oclif's parse (src/cli/number-flags.ts): a bad number is one line.
const NUMBER_FLAGS = {
  asn: { summary: 'Only peers in this autonomous system.', integer: true, min: 0, max: 4294967295 },
  limit: { summary: 'At most this many peers.', integer: true, min: 1 }
} satisfies Record<string, NumberSpec>

export default class List extends PeersCommand {
  static override summary = 'List stored peers (reachable ones by default).'
  static override description = [
    'Prints the peers of the store as an aligned table (address, AS, organisation, country, user agent, height, connect latency, uptime, last seen), or as a JSON array with --json. Without --net, every network in the store. Peers without stored AS or country data are looked up in the ASN and geo databases (in memory; the store is not changed). Onion, I2P and CJDNS peers have no country (shown as --).',
    'Uptime columns show the share of the watched time the peer was up in that window (reliability / weight), and in brackets the sipa seeder\'s reliability, which counts time before our first try as down (what a seeds dump prints).'
  ].join('\n')
  static override examples = [
    '<%= config.bin %> list --net signet',
    '<%= config.bin %> list --net mainnet --asn 24940 --sort latency --limit 20',
    '<%= config.bin %> list --all --type onion --db crawl.json',
    '<%= config.bin %> list --net mainnet --agent Satoshi:27 --json',
    '<%= config.bin %> list --net mainnet --country DE --sort latency',
    '<%= config.bin %> list --net mainnet --min-uptime 7d:90 --sort uptime --limit 50'
  ]

  static override flags = {
    ...readerFlags,
    reachable: Flags.boolean({ summary: 'Only peers whose last attempt completed a handshake (the default).' }),
    all: Flags.boolean({ summary: 'Every stored peer, reachable or not.' }),
    agent: Flags.string({ summary: 'Only peers whose user agent contains this text (case-insensitive).' }),
    type: Flags.option({ options: ADDRESS_TYPES, summary: 'Only this address type.' })(),
    'min-uptime': Flags.string({ multiple: true, summary: 'Only peers up at least PERCENT of the watched time in WINDOW (2h, 8h, 1d, 7d, 30d), e.g. 7d:90 (repeatable: all must hold).' }),
    sort: Flags.option({ options: SORT_KEYS, default: 'address' as const, summary: 'Order: address, last-seen (newest first), latency, asn, agent, height (highest first), uptime (30-day reliability as the seeders rank, highest first).' })(),
    ...numberFlags(NUMBER_FLAGS),
    country: Flags.string({ helpValue: 'CC', summary: 'Only peers in this country (ISO 3166-1 alpha-2, e.g. DE).' }),
    'asn-db': asnDbFlag,
    'geo-db': geoDbFlag
  }

  async run (): Promise<ListedPeer[]> {
    const { flags } = await this.parse(List)
    const n = parseNumberFlags(NUMBER_FLAGS, flags)
    // Checked here, not with oclif's `exclusive`, whose message spans several lines.
    if (flags.reachable && flags.all) throw new UsageError('--reachable and --all cannot be used together')
    const country = flags.country?.toUpperCase()
    if (country !== undefined && !isCountryCode(country)) throw new UsageError(`--country ${flags.country}: expected a two-letter ISO 3166-1 code such as DE`)
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log })
    const networks = selectNetworks(store, flags.net)
    await fillMissingAsn(store, networks, flags['asn-db'], log)
    const geo = await fillMissingCountry(store, networks, flags['geo-db'], log)
    const agent = flags.agent?.toLowerCase()
    const minUptime = (flags['min-uptime'] ?? []).map((text) => {
      const parsed = parseUptimeFilter(text)
      if (typeof parsed === 'string') throw new UsageError(parsed)
      return parsed
    })
    const upEnough = (p: PeerRecord): boolean => {
      if (minUptime.length === 0) return true
      const share = uptimeFigures(p.uptime).normalised
      return minUptime.every((m) => p.uptime !== undefined && share[m.window] >= m.min)
    }
    const chosen = networks.flatMap((n) => store.peers(n)).filter((p) =>
      (flags.all || isReachable(p)) &&
      (n.asn === undefined || p.asn === n.asn) &&
      (agent === undefined || (p.userAgent ?? '').toLowerCase().includes(agent)) &&
      (flags.type === undefined || p.type === flags.type) &&
      (country === undefined || p.country === country) &&
      upEnough(p))
    const compare = COMPARE[flags.sort]
    const sorted = chosen.map((p) => ({ p, address: addressSortKey(p) }))
      .sort((a, b) => compare(a.p, b.p) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0) || (a.p.network < b.p.network ? -1 : 1))
      .slice(0, n.limit)
      .map(({ p }) => p)
    if (!this.jsonEnabled()) {
      this.log(this.render(sorted, networks.length > 1, flags.all).trimEnd())
      if (geo !== undefined && sorted.length > 0) this.log(`\n${geo.source.attribution}`)
    }
    return sorted.map(({ uptime, ...p }) => ({ address: formatEndpoint(p), reachable: isReachable(p), ...p, ...(uptime === undefined ? {} : { uptime: uptimeValues(uptime) }), ...(p.country === undefined ? {} : { countryName: countryName(p.country) }) }))
  }

  private render (peers: PeerRecord[], showNetwork: boolean, showReachable: boolean): string {
    if (peers.length === 0) return 'no peers match\n'
    const columns: Column[] = [
      ...(showNetwork ? [{ header: 'network' }] : []),
      { header: 'address' },
      ...(showReachable ? [{ header: 'reachable' }] : []),
      { header: 'AS' },
      { header: 'organisation', maxWidth: 30 },
      { header: 'country' },
      { header: 'user agent', maxWidth: 40 },
      { header: 'height', align: 'right' },
      { header: 'latency', align: 'right' },
      { header: 'up 7d', align: 'right' },
      { header: 'up 30d', align: 'right' },
      { header: 'last seen (UTC)' }
    ]
    const rows = peers.map((p) => [
      ...(showNetwork ? [p.network] : []),
      formatEndpoint(p),
      ...(showReachable ? [isReachable(p) ? 'yes' : 'no'] : []),
      p.asn === undefined ? '' : `AS${p.asn}`,
      p.asOrg ?? '',
      p.country ?? (hasCountryAnswer(p.type) ? '' : '--'),
      p.userAgent ?? '',
      p.startHeight === undefined ? '' : String(p.startHeight),
      p.connectMs === undefined ? '' : `${Math.round(p.connectMs)} ms`,
      uptimeCell(p, '7d'),
      uptimeCell(p, '30d'),
      p.lastSuccess === undefined ? '' : p.lastSuccess.slice(0, 19).replace('T', ' ')
    ])
    return renderTable(columns, rows)
  }
}
