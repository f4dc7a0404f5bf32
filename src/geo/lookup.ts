// IP -> country (ISO 3166-1 alpha-2), from a MaxMind DB read with the `maxmind` package:
// MaxMind's GeoLite2-Country or GeoLite2-City (`country.iso_code`) when the user has one, else
// the country MMDB of the installed @ip-location-db/geo-whois-asn-country-mmdb package
// (`country_code`). That package is already an MMDB in the right shape, so it is read where npm
// put it: nothing to build, no copy to fall out of date beside it (docs/report.md says why).
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import type { Reader, Response } from 'maxmind'
import type { Logger } from '../contract.js'
import { GeoDatabaseError } from '../errors.js'
import { findIp, openMmdb } from '../asn/mmdb-reader.js'
import { isCountryCode } from './countries.js'

export const GEO_DB_ENV = 'PEERS_GEO_DB'
/** `--geo-db off` (or PEERS_GEO_DB=off): no country data, and no warning. */
export const GEO_DB_OFF = 'off'

export const GEO_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb'
const GEO_PACKAGE_FILE = 'geo-whois-asn-country.mmdb'

/** Tried in order when neither --geo-db nor PEERS_GEO_DB names a database; relative ones from the working directory. The installed package comes last. */
export const USUAL_GEO_DB_PLACES: readonly string[] = [
  'GeoLite2-Country.mmdb',
  'output/GeoLite2-Country.mmdb',
  'GeoLite2-City.mmdb',
  'output/GeoLite2-City.mmdb',
  '/usr/share/GeoIP/GeoLite2-Country.mmdb',
  '/usr/share/GeoIP/GeoLite2-City.mmdb',
  '/var/lib/GeoIP/GeoLite2-Country.mmdb',
  '/var/lib/GeoIP/GeoLite2-City.mmdb'
]

/** What a geo database is, for the attribution printed with results. */
export interface GeoSource {
  path: string
  /** e.g. 'GeoLite2-Country', 'country ipvAll'. */
  databaseType: string
  /** When the data was built (the MMDB's build epoch), YYYY-MM-DD. */
  builtOn: string
  /** One line to print with results: who made the data, its licence, its date. */
  attribution: string
  /** Where the licence and source are described. */
  url: string
}

export interface GeoLookup {
  readonly source: GeoSource
  /** ISO alpha-2, or undefined when the database has no entry, and for anything that is not an IP. */
  country (ip: string): string | undefined
}

export interface OpenGeoLookupOptions {
  /** From --geo-db: must exist and be readable; 'off' disables country data. */
  path?: string
  log: Logger
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Defaults to USUAL_GEO_DB_PLACES then the installed package (tests pass their own). */
  places?: readonly string[]
}

/** GeoLite2-Country/City and ip-location-db records. */
type GeoRecord = Response & { country_code?: unknown, country?: { iso_code?: unknown }, registered_country?: { iso_code?: unknown } }

/** The installed package's MMDB, when npm installed it. */
export function installedGeoDatabase (): string | undefined {
  try {
    const file = join(dirname(createRequire(import.meta.url).resolve(`${GEO_PACKAGE}/package.json`)), GEO_PACKAGE_FILE)
    return existsSync(file) ? file : undefined
  } catch {
    return undefined
  }
}

/**
 * The geo database named by `path` (--geo-db), else $PEERS_GEO_DB, else the first usual place
 * that exists, else the installed package. A named database that is missing or unreadable
 * throws GeoDatabaseError; 'off' gives undefined quietly; nothing found: one warning, undefined.
 */
export async function openGeoLookup (options: OpenGeoLookupOptions): Promise<GeoLookup | undefined> {
  const { log } = options
  const cwd = options.cwd ?? process.cwd()
  const named = options.path !== undefined && options.path !== '' ? { path: options.path, source: '--geo-db' } : undefined
  const fromEnv = (options.env ?? process.env)[GEO_DB_ENV]
  const chosen = named ?? (fromEnv !== undefined && fromEnv !== '' ? { path: fromEnv, source: GEO_DB_ENV } : undefined)
  if (chosen?.path === GEO_DB_OFF) return undefined
  if (chosen !== undefined) return await openAt(resolve(cwd, chosen.path), chosen.source, log)
  const installed = installedGeoDatabase()
  const tried = [...(options.places ?? USUAL_GEO_DB_PLACES).map((place) => resolve(cwd, place)), ...(options.places === undefined && installed !== undefined ? [installed] : [])]
  for (const path of tried.filter((p) => existsSync(p))) {
    try {
      return await openAt(path, 'a usual place', log)
    } catch (err) {
      log.warn(`${(err as Error).message}; trying the next place`)
    }
  }
  log.warn(`no usable geo database found (looked in ${tried.join(', ')}): countries show as unknown. Reinstall peers (npm ci installs ${GEO_PACKAGE}), or get MaxMind's GeoLite2-Country.mmdb and pass --geo-db / set ${GEO_DB_ENV}`)
  return undefined
}

async function openAt (path: string, source: string, log: Logger): Promise<GeoLookup> {
  const reader: Reader<GeoRecord> = await openMmdb<GeoRecord>(path, { source, label: 'geo database', error: (message, cause) => new GeoDatabaseError(message, { cause }) })
  const meta = reader.metadata
  if (/ASN|ISP/i.test(meta.databaseType)) log.warn(`geo database ${path} is a '${meta.databaseType}' database; its records carry no countries`)
  const geoSource = describe(path, meta.databaseType, meta.buildEpoch)
  log.debug(`geo database ${path} (${meta.databaseType}, built ${geoSource.builtOn})`)
  let failureReported = false
  return {
    source: geoSource,
    country (ip: string) {
      let record: GeoRecord | null
      try {
        record = findIp(reader, ip)
      } catch (err) {
        if (!failureReported) log.warn(`geo database ${path}: lookup of ${ip} failed (${(err as Error).message}); such addresses show no country`)
        failureReported = true
        return undefined
      }
      if (record === null) return undefined
      // The located country; MaxMind leaves it out for some anycast ranges, where the registration country stands in.
      const code = record.country_code ?? record.country?.iso_code ?? record.registered_country?.iso_code
      return typeof code === 'string' && isCountryCode(code) ? code : undefined
    }
  }
}

function describe (path: string, databaseType: string, buildEpoch: Date): GeoSource {
  const builtOn = Number.isNaN(buildEpoch.getTime()) ? 'unknown date' : buildEpoch.toISOString().slice(0, 10)
  if (/GeoLite2|GeoIP2/i.test(databaseType)) {
    return {
      path,
      databaseType,
      builtOn,
      attribution: `Country data: ${databaseType} by MaxMind (maxmind.com), built ${builtOn}; this product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com`,
      url: 'https://www.maxmind.com/en/geolite2/eula'
    }
  }
  if (path.includes(GEO_PACKAGE_FILE) || path.includes('geo-whois-asn-country')) {
    return {
      path,
      databaseType,
      builtOn,
      attribution: `Country data: geo-whois-asn-country by ip-location-db (github.com/sapics/ip-location-db, package CC0-1.0), built ${builtOn} from published geofeeds and RIR WHOIS and ASN data (CC BY 4.0, NRO, nro.net)`,
      url: 'https://github.com/sapics/ip-location-db'
    }
  }
  return { path, databaseType, builtOn, attribution: `Country data: ${databaseType} from ${path}, built ${builtOn}`, url: path }
}
