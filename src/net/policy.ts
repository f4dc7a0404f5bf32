// Which addresses the crawler dials. Peers advertise anything (private ranges, documentation
// ranges, multicast); dialing those wastes slots at best and probes someone's LAN at worst.
// The default refusals are ip.ts's NON_ROUTABLE ranges.
import type { AddressType, Endpoint } from '../contract.js'
import { formatEndpoint } from './endpoint.js'
import { CidrSet, ipv4ToNumber, ipv6ToBigInt, NON_ROUTABLE, nonRoutableWhy, parseCidr } from './ip.js'

export const SKIP_REASONS = ['non-routable', 'denied', 'outside-only', 'not-dialable-type'] as const
export type SkipReason = typeof SKIP_REASONS[number]
export type Classification = { dial: true } | { dial: false, reason: SkipReason }

export interface PolicyOptions {
  /** Permit ranges the defaults refuse (e.g. 127.0.0.0/8 for a simulated network). */
  allow?: readonly string[]
  /** Refuse more ranges; wins over allow. */
  deny?: readonly string[]
  /** When given, nothing outside these ranges is dialed (overlay names included). */
  only?: readonly string[]
}

// Shared results: classify runs for every advertised address and should not allocate.
const DIAL: Classification = { dial: true }
const SKIP = Object.fromEntries(SKIP_REASONS.map((reason) => [reason, { dial: false, reason }])) as Record<SkipReason, Classification>

// Overlays addressed by IPv6-looking names (CJDNS in fc00::/8, Yggdrasil in 200::/7) are
// not the public internet, so the IPv6 defaults do not apply, but user ranges still do.
const IP_OVERLAYS: ReadonlySet<AddressType> = new Set(['cjdns', 'yggdrasil'])

export class AddressPolicy {
  private readonly nonRoutable = new CidrSet(NON_ROUTABLE.map((r) => parseCidr(r.cidr)))
  private readonly allow: CidrSet
  private readonly deny: CidrSet
  private readonly only: CidrSet | undefined

  /** Throws UsageError naming the flag when a range does not parse. */
  constructor (options: PolicyOptions = {}) {
    this.allow = new CidrSet((options.allow ?? []).map((c) => parseCidr(c, '--allow-cidr')))
    this.deny = new CidrSet((options.deny ?? []).map((c) => parseCidr(c, '--deny-cidr')))
    this.only = options.only !== undefined && options.only.length > 0
      ? new CidrSet(options.only.map((c) => parseCidr(c, '--only-cidr')))
      : undefined
  }

  /** Precedence: not-dialable-type, then denied, then non-routable (unless allowed), then outside-only. */
  classify (endpoint: Endpoint, dialableTypes: readonly AddressType[]): Classification {
    if (!dialableTypes.includes(endpoint.type)) return SKIP['not-dialable-type']
    // Onion and I2P names are never IP literals: no parse for them.
    const v4 = endpoint.type === 'ipv4' ? ipv4ToNumber(endpoint.host) : undefined
    const v6 = endpoint.type === 'ipv6' || IP_OVERLAYS.has(endpoint.type) ? ipv6ToBigInt(endpoint.host) : undefined
    if (v4 !== undefined) {
      if (this.deny.matchV4(v4)) return SKIP.denied
      if (this.nonRoutable.matchV4(v4) && !this.allow.matchV4(v4)) return SKIP['non-routable']
      if (this.only !== undefined && !this.only.matchV4(v4)) return SKIP['outside-only']
      return DIAL
    }
    if (v6 !== undefined) {
      if (this.deny.matchV6(v6)) return SKIP.denied
      if (!IP_OVERLAYS.has(endpoint.type) && this.nonRoutable.matchV6(v6) && !this.allow.matchV6(v6)) return SKIP['non-routable']
      if (this.only !== undefined && !this.only.matchV6(v6)) return SKIP['outside-only']
      return DIAL
    }
    // An overlay name (onion, i2p): no range can hold it.
    if (endpoint.type === 'ipv4' || endpoint.type === 'ipv6') return SKIP['non-routable']
    return this.only !== undefined ? SKIP['outside-only'] : DIAL
  }

  /** One line saying why `endpoint` is refused and, when a flag would permit it, which. */
  explain (endpoint: Endpoint, reason: SkipReason, dialableTypes: readonly AddressType[]): string {
    const where = formatEndpoint(endpoint)
    switch (reason) {
      case 'not-dialable-type':
        return `${where} is an ${endpoint.type} address, which this adapter cannot dial (it dials ${dialableTypes.join(', ')})`
      case 'denied':
        return `${where} is excluded by --deny-cidr ${this.deny.find(endpoint.host)?.text ?? ''}`.trimEnd()
      case 'outside-only':
        return `${where} is outside every --only-cidr range (${(this.only?.ranges ?? []).map((r) => r.text).join(', ')})`
      case 'non-routable': {
        const range = this.nonRoutable.find(endpoint.host)
        if (range === undefined) return `${where} is not a valid ${endpoint.type} address`
        return `${where} is non-routable (${range.text}, ${nonRoutableWhy(range)}): pass --allow-cidr ${range.text} to dial it`
      }
    }
  }
}
