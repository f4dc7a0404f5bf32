// Address text <-> integers for building and querying the ASN database. IPv4 fits a JS
// number exactly; IPv6 needs a bigint.

const IPV4_PART = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const IPV6_GROUP = /^[0-9a-f]{1,4}$/i

/** Dotted quad -> 0 .. 2^32-1; undefined for anything else (leading zeros included, as node:net does). */
export function parseIpv4 (text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined
    value = value * 256 + Number(part)
  }
  return value
}

export function formatIpv4 (value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`
}

/** IPv6 text (with `::` and an optional trailing dotted quad, no zone) -> 128-bit value; undefined when invalid. */
export function parseIpv6 (text: string): bigint | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = groupsOf(halves[0])
  const tail = halves.length === 2 ? groupsOf(halves[1]) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  let value = 0n
  for (const group of [...head, ...new Array<number>(missing).fill(0), ...tail]) value = (value << 16n) | BigInt(group)
  return value
}

/** The 16-bit groups of one side of `::`; a dotted quad is allowed only at the very end. */
function groupsOf (side: string): number[] | undefined {
  if (side === '') return []
  const texts = side.split(':')
  const groups: number[] = []
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]
    if (i === texts.length - 1 && text.includes('.')) {
      const ipv4 = parseIpv4(text)
      if (ipv4 === undefined) return undefined
      groups.push(ipv4 >>> 16, ipv4 & 0xffff)
    } else {
      if (!IPV6_GROUP.test(text)) return undefined
      groups.push(parseInt(text, 16))
    }
  }
  return groups
}

/** `::ffff:1.2.3.4` or `::ffff:102:304` -> `1.2.3.4`; undefined for any other text. */
export function ipv4FromMapped (text: string): string | undefined {
  const value = parseIpv6(text)
  if (value === undefined || value >> 32n !== 0xffffn) return undefined
  return formatIpv4(Number(value & 0xffffffffn))
}
