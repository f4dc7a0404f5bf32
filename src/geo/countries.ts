// Country codes and names, offline, from the ICU data in Node (Intl): ISO 3166-1 alpha-2 ->
// English name, and ISO 3166-1 numeric (world-atlas' shape ids) -> alpha-2 through CLDR's
// region aliases. Node's official builds carry full ICU, so no table is written here.
import type { AddressType } from '../contract.js'

const ALPHA2 = /^[A-Z]{2}$/

/** Address types a geo database can answer for; onion, I2P, CJDNS and Yggdrasil peers have no country. */
const GEO_TYPES = new Set<AddressType>(['ipv4', 'ipv6'])

export function hasCountryAnswer (type: AddressType): boolean {
  return GEO_TYPES.has(type)
}

/** A two-letter upper-case code as ISO 3166-1 alpha-2 writes it (databases also use XK for Kosovo). */
export function isCountryCode (text: string): boolean {
  return ALPHA2.test(text)
}

let names: Intl.DisplayNames | undefined

/** English name of an alpha-2 code ('DE' -> 'Germany'); the code itself when ICU does not know it. */
export function countryName (code: string): string {
  if (!isCountryCode(code)) return code
  names ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' })
  try {
    return names.of(code) ?? code
  } catch {
    return code
  }
}

/** ISO 3166-1 numeric ('276', as world-atlas keys shapes) -> alpha-2 ('DE'); undefined when CLDR knows no such region. */
export function alpha2OfNumeric (numeric: string): string | undefined {
  if (!/^\d{3}$/.test(numeric)) return undefined
  try {
    // Canonicalisation only replaces the subtag (maximize() would invent a likely region for an unknown one).
    const region = Intl.getCanonicalLocales(`und-${numeric}`)[0].slice(4)
    return isCountryCode(region) && region !== 'ZZ' ? region : undefined
  } catch {
    return undefined
  }
}
