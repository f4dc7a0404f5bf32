// IP -> autonomous system, from a MaxMind DB with GeoLite2-ASN fields (MaxMind's own
// GeoLite2-ASN, or the one `peers asn build` writes), read with the `maxmind` package.

import { existsSync, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import maxmind, { type AsnResponse, type Reader } from 'maxmind'
import type { Logger } from '../contract.js'
import { AsnDatabaseError } from '../errors.js'
import { ipv4FromMapped } from '../net/ip.js'

export interface AsnLookup {
  readonly path: string
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

/** Decoded records are small and there are at most a few hundred thousand distinct ones: keep them all. */
const DECODED_RECORDS_CACHE = 1_000_000

// One parsed database per path for the whole process; `stamp` notices a rebuilt file.
const readers = new Map<string, { stamp: string, reader: Promise<Reader<AsnRecord>> }>()

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
  const reader = await openReader(path, source)
  const type = reader.metadata.databaseType
  if (!/ASN|ISP/i.test(type)) log.warn(`ASN database ${path} is a '${type}' database; its records may carry no AS numbers`)
  log.debug(`ASN database ${path} (${type}, built ${reader.metadata.buildEpoch.toISOString().slice(0, 10)})`)
  let failureReported = false
  return {
    path,
    lookup (ip: string) {
      let record: AsnRecord | null
      try {
        record = find(reader, ip)
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

function find (reader: Reader<AsnRecord>, text: string): AsnRecord | null {
  const version = isIP(text)
  if (version === 4) return reader.get(text)
  if (version !== 6) return null
  const ip = text.includes('%') ? text.slice(0, text.indexOf('%')) : text
  // Not every database aliases ::ffff:0:0/96 to IPv4; ask for the IPv4 address itself.
  const mapped = ipv4FromMapped(ip)
  return reader.get(mapped ?? ip)
}

async function openReader (path: string, source: string): Promise<Reader<AsnRecord>> {
  let stat
  try {
    stat = statSync(path)
  } catch {
    throw new AsnDatabaseError(`ASN database ${path} (from ${source}) does not exist`)
  }
  if (!stat.isFile()) throw new AsnDatabaseError(`ASN database ${path} (from ${source}) is not a file`)
  const stamp = `${stat.size} ${stat.mtimeMs}`
  const cached = readers.get(path)
  if (cached?.stamp === stamp) return await cached.reader
  const reader = openChecked(path, source, stat.size)
  readers.set(path, { stamp, reader })
  reader.catch(() => readers.delete(path))
  return await reader
}

async function openChecked (path: string, source: string, size: number): Promise<Reader<AsnRecord>> {
  let reader: Reader<AsnRecord>
  try {
    reader = await maxmind.open<AsnRecord>(path, { cache: { max: DECODED_RECORDS_CACHE } })
  } catch (err) {
    throw new AsnDatabaseError(`ASN database ${path} (from ${source}) is not a readable MaxMind DB: ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
  // The reader trusts the metadata; a damaged file can still parse, so check it fits.
  const m = reader.metadata
  const sane = Number.isInteger(m.nodeCount) && m.nodeCount > 0 && m.binaryFormatMajorVersion === 2 &&
    (m.ipVersion === 4 || m.ipVersion === 6) && m.searchTreeSize + 16 <= size
  if (!sane) throw new AsnDatabaseError(`ASN database ${path} (from ${source}) is corrupt: its metadata does not match the file`)
  return reader
}
