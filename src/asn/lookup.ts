// IP -> autonomous system, from a MaxMind DB with GeoLite2-ASN fields (MaxMind's own
// GeoLite2-ASN, or the one `peers asn build` writes), read with the `maxmind` package.

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AsnResponse, Reader } from 'maxmind'
import type { Logger } from '../contract.js'
import { AsnDatabaseError } from '../errors.js'
import { findIp, openMmdb } from './mmdb-reader.js'

export interface AsnLookup {
  readonly path: string
  /** One line to print with results: whose data, its licence, its date. */
  readonly attribution: string
  /** {} when the database has no entry, and for anything that is not an IP (onion, i2p names). */
  lookup (ip: string): { asn?: number, org?: string }
}

// The reader's own type says both fields are always there; real records may lack the organisation.
type AsnRecord = Partial<AsnResponse>

export const ASN_DB_ENV = 'PEERS_ASN_DB'
/** Where `peers asn build` writes by default; one of the usual places. */
export const DEFAULT_ASN_DB_OUT = 'output/asn.mmdb'

/** Tried in order when neither --asn-db nor PEERS_ASN_DB names a database; relative ones from the working directory. */
export const USUAL_ASN_DB_PLACES: readonly string[] = [
  'GeoLite2-ASN.mmdb',
  'output/GeoLite2-ASN.mmdb',
  DEFAULT_ASN_DB_OUT,
  '/usr/share/GeoIP/GeoLite2-ASN.mmdb',
  '/var/lib/GeoIP/GeoLite2-ASN.mmdb'
]

export interface OpenAsnLookupOptions {
  /** From --asn-db: must exist and be readable. */
  path?: string
  log: Logger
  /** Defaults to process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv
  /** Defaults to process.cwd(). */
  cwd?: string
  /** Defaults to USUAL_ASN_DB_PLACES. */
  places?: readonly string[]
}

/**
 * The ASN database named by `path` (--asn-db), else $PEERS_ASN_DB, else the first of the
 * usual places that exists. A named database that is missing or unreadable throws
 * AsnDatabaseError; when nothing is found, one warning and undefined (ASN shows as unknown).
 */
export async function openAsnLookup (options: OpenAsnLookupOptions): Promise<AsnLookup | undefined> {
  const { log } = options
  const found = findAsnDatabase(options)
  if (found.path !== undefined) return await openAt(found.path, found.source, log)
  for (const path of found.candidates) {
    try {
      return await openAt(path, 'a usual place', log)
    } catch (err) {
      log.warn(`${(err as Error).message}; trying the next place`)
    }
  }
  log.warn(`no usable ASN database found (looked in ${found.tried.join(', ')}): ASN shows as unknown. Run \`peers asn build\`, or get MaxMind's GeoLite2-ASN.mmdb and put it there or pass --asn-db / set ${ASN_DB_ENV}`)
  return undefined
}

type DatabaseChoice =
  | { path: string, source: '--asn-db' | typeof ASN_DB_ENV, candidates: [], tried: [] }
  | { path: undefined, source: undefined, candidates: string[], tried: string[] }

/** Which database the resolution order picks, without opening it. `candidates` are the usual places that exist. */
export function findAsnDatabase (options: Omit<OpenAsnLookupOptions, 'log'>): DatabaseChoice {
  const cwd = options.cwd ?? process.cwd()
  if (options.path !== undefined && options.path !== '') return { path: resolve(cwd, options.path), source: '--asn-db', candidates: [], tried: [] }
  const fromEnv = (options.env ?? process.env)[ASN_DB_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv), source: ASN_DB_ENV, candidates: [], tried: [] }
  const tried = (options.places ?? USUAL_ASN_DB_PLACES).map((place) => resolve(cwd, place))
  return { path: undefined, source: undefined, candidates: tried.filter((path) => existsSync(path)), tried }
}

async function openAt (path: string, source: string, log: Logger): Promise<AsnLookup> {
  const reader: Reader<AsnRecord> = await openMmdb<AsnRecord>(path, { source, label: 'ASN database', error: (message, cause) => new AsnDatabaseError(message, { cause }) })
  const type = reader.metadata.databaseType
  if (!/ASN|ISP/i.test(type)) log.warn(`ASN database ${path} is a '${type}' database; its records may carry no AS numbers`)
  log.debug(`ASN database ${path} (${type}, built ${reader.metadata.buildEpoch.toISOString().slice(0, 10)})`)
  let failureReported = false
  return {
    path,
    attribution: attributionOf(path, type, englishDescription(reader.metadata.description), reader.metadata.buildEpoch),
    lookup (ip: string) {
      let record: AsnRecord | null
      try {
        record = findIp(reader, ip)
      } catch (err) {
        // A damaged record must not end a crawl: unknown, and say so once.
        if (!failureReported) log.warn(`ASN database ${path}: lookup of ${ip} failed (${(err as Error).message}); such addresses show as unknown`)
        failureReported = true
        return {}
      }
      if (record === null) return {}
      const result: { asn?: number, org?: string } = {}
      if (typeof record.autonomous_system_number === 'number') result.asn = record.autonomous_system_number
      if (typeof record.autonomous_system_organization === 'string') result.org = record.autonomous_system_organization
      return result
    }
  }
}

/** What `peers asn build` writes in the description, else MaxMind's own, else what the file says of itself. */
function attributionOf (path: string, type: string, description: string | undefined, buildEpoch: Date): string {
  const builtOn = Number.isNaN(buildEpoch.getTime()) ? 'unknown date' : buildEpoch.toISOString().slice(0, 10)
  const ours = 'peers ASN database. '
  if (description?.startsWith(ours) === true) return `${description.slice(ours.length)}, built ${builtOn}`
  if (/GeoLite2|GeoIP2/i.test(type)) return `ASN data: ${type} by MaxMind (maxmind.com), built ${builtOn}; this product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com`
  return `ASN data: ${type}${description === undefined ? '' : ` (${description})`} from ${path}, built ${builtOn}`
}

/** The metadata's description: a map of language -> text in the MMDB format (the reader's type says string). */
function englishDescription (description: unknown): string | undefined {
  if (typeof description === 'string') return description
  const en = (description as { en?: unknown } | null)?.en
  return typeof en === 'string' ? en : undefined
}
