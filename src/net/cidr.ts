// CIDR ranges as numeric intervals: IPv4 as unsigned 32-bit numbers, IPv6 as 128-bit
// bigints. Parsing happens once per flag or default range; matching is two comparisons.
import { isIPv4, isIPv6 } from 'node:net'
import { UsageError } from '../errors.js'

export interface CidrRange {
  /** As written, normalised: `10.0.0.0/8`, `fe80::/64`. */
  text: string
  family: 4 | 6
  /** Inclusive bounds; number for IPv4, bigint for IPv6. */
  first: number | bigint
  last: number | bigint
}

/** An IPv4 dotted quad as an unsigned 32-bit number; undefined if not one. */
export function ipv4ToNumber (host: string): number | undefined {
  if (!isIPv4(host)) return undefined
  const p = host.split('.')
  return ((Number(p[0]) * 256 + Number(p[1])) * 256 + Number(p[2])) * 256 + Number(p[3])
}

/** An IPv6 literal (any RFC 4291 text form, embedded IPv4 included) as a 128-bit bigint. */
export function ipv6ToBigInt (host: string): bigint | undefined {
  if (!isIPv6(host)) return undefined
  let text = host
  const zone = text.indexOf('%')
  if (zone !== -1) text = text.slice(0, zone)
  // A trailing dotted quad stands for the last two groups.
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  if (tail.includes('.')) {
    const v4 = ipv4ToNumber(tail) as number
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const [head, rest] = text.split('::') as [string, string | undefined]
  const headGroups = head === '' ? [] : head.split(':')
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':')
  const groups = rest === undefined
    ? headGroups
    : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups]
  let value = 0n
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16))
  return value
}

function bigIntToIPv6 (value: bigint): string {
  const groups: string[] = []
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16))
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
}

function numberToIPv4 (value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')
}

/**
 * Parse `a.b.c.d/len`, `ipv6/len`, or a bare address (a single-address range). Bits set
 * beyond the prefix are refused rather than silently masked: `10.1.0.0/8` is usually a typo.
 * `flag` names the option in the error message.
 */
export function parseCidr (input: string, flag = 'CIDR'): CidrRange {
  const text = input.trim()
  const slash = text.indexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  const lenText = slash === -1 ? undefined : text.slice(slash + 1)
  const v4 = ipv4ToNumber(addr)
  const v6 = v4 === undefined ? ipv6ToBigInt(addr) : undefined
  if (v4 === undefined && v6 === undefined) {
    throw new UsageError(`${flag} '${input}' is not a CIDR range: expected e.g. 10.0.0.0/8 or fc00::/7`)
  }
  const bits = v4 !== undefined ? 32 : 128
  let len = bits
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) {
      throw new UsageError(`${flag} '${input}' has an invalid prefix length: expected 0-${bits}`)
    }
    len = Number(lenText)
  }
  if (v4 !== undefined) {
    const size = 2 ** (32 - len)
    const first = v4 - (v4 % size)
    if (first !== v4) throw new UsageError(`${flag} '${input}' has bits set beyond the /${len} prefix: did you mean ${numberToIPv4(first)}/${len}?`)
    return { text: `${numberToIPv4(first)}/${len}`, family: 4, first, last: first + size - 1 }
  }
  const hostMask = (1n << BigInt(128 - len)) - 1n
  const first = (v6 as bigint) & ~hostMask
  if (first !== v6) throw new UsageError(`${flag} '${input}' has bits set beyond the /${len} prefix: did you mean ${bigIntToIPv6(first)}/${len}?`)
  return { text: `${bigIntToIPv6(first)}/${len}`, family: 6, first, last: first | hostMask }
}

/** A set of ranges, matched against a host's numeric form. */
export class CidrSet {
  readonly ranges: readonly CidrRange[]
  private readonly v4First: Float64Array
  private readonly v4Last: Float64Array
  private readonly v6: Array<{ first: bigint, last: bigint }>

  constructor (ranges: readonly CidrRange[]) {
    this.ranges = ranges
    const v4 = ranges.filter((r) => r.family === 4)
    this.v4First = Float64Array.from(v4, (r) => r.first as number)
    this.v4Last = Float64Array.from(v4, (r) => r.last as number)
    this.v6 = ranges.filter((r) => r.family === 6).map((r) => ({ first: r.first as bigint, last: r.last as bigint }))
  }

  get size (): number { return this.ranges.length }

  /** Whether an IPv4 address, as a number, is in any range. */
  matchV4 (value: number): boolean {
    for (let i = 0; i < this.v4First.length; i++) {
      if (value >= this.v4First[i] && value <= this.v4Last[i]) return true
    }
    return false
  }

  /** Whether an IPv6 address, as a bigint, is in any range. */
  matchV6 (value: bigint): boolean {
    for (const r of this.v6) {
      if (value >= r.first && value <= r.last) return true
    }
    return false
  }

  /** The first range holding `host` (for messages; not the hot path). */
  find (host: string): CidrRange | undefined {
    const v4 = ipv4ToNumber(host)
    const v6 = v4 === undefined ? ipv6ToBigInt(host) : undefined
    return this.ranges.find((r) => v4 !== undefined
      ? r.family === 4 && v4 >= (r.first as number) && v4 <= (r.last as number)
      : v6 !== undefined && r.family === 6 && v6 >= (r.first as bigint) && v6 <= (r.last as bigint))
  }
}
