// Opening a MaxMind DB (ASN or geo) with the `maxmind` package: one parsed reader per path for
// the whole process, re-read when the file changes, and a sanity check of the metadata, since
// a damaged file can still parse.
import { statSync } from 'node:fs'
import { isIP } from 'node:net'
import maxmind, { type Reader, type Response } from 'maxmind'
import type { PeersError } from '../errors.js'
import { ipv4FromMapped } from '../net/ip.js'

/** Decoded records are small and there are at most a few hundred thousand distinct ones: keep them all. */
const DECODED_RECORDS_CACHE = 1_000_000

export interface MmdbOpenOptions {
  /** Where the path came from, for messages ('--asn-db', 'PEERS_GEO_DB', 'a usual place'). */
  source: string
  /** 'ASN database', 'geo database'. */
  label: string
  /** The error class of the caller's database (one line, stable code). */
  error: (message: string, cause?: unknown) => PeersError
}

// `stamp` notices a rebuilt file.
const readers = new Map<string, { stamp: string, reader: Promise<Reader<Response>> }>()

export async function openMmdb<T extends Response> (path: string, options: MmdbOpenOptions): Promise<Reader<T>> {
  const { source, label, error } = options
  let stat
  try {
    stat = statSync(path)
  } catch {
    throw error(`${label} ${path} (from ${source}) does not exist`)
  }
  if (!stat.isFile()) throw error(`${label} ${path} (from ${source}) is not a file`)
  const stamp = `${stat.size} ${stat.mtimeMs}`
  const cached = readers.get(path)
  if (cached?.stamp === stamp) return await (cached.reader as Promise<Reader<T>>)
  const reader = openChecked<T>(path, stat.size, options)
  readers.set(path, { stamp, reader: reader as Promise<Reader<Response>> })
  reader.catch(() => readers.delete(path))
  return await reader
}

async function openChecked<T extends Response> (path: string, size: number, options: MmdbOpenOptions): Promise<Reader<T>> {
  const { source, label, error } = options
  let reader: Reader<T>
  try {
    reader = await maxmind.open<T>(path, { cache: { max: DECODED_RECORDS_CACHE } })
  } catch (err) {
    throw error(`${label} ${path} (from ${source}) is not a readable MaxMind DB: ${(err as Error).message.split('\n')[0]}`, err)
  }
  // The reader trusts the metadata; a damaged file can still parse, so check it fits.
  const m = reader.metadata
  const sane = Number.isInteger(m.nodeCount) && m.nodeCount > 0 && m.binaryFormatMajorVersion === 2 &&
    (m.ipVersion === 4 || m.ipVersion === 6) && m.searchTreeSize + 16 <= size
  if (!sane) throw error(`${label} ${path} (from ${source}) is corrupt: its metadata does not match the file`)
  return reader
}

/** The record for an IP address; null for no entry and for anything that is not an IP (onion, i2p names). */
export function findIp<T extends Response> (reader: Reader<T>, text: string): T | null {
  const version = isIP(text)
  if (version === 4) return reader.get(text)
  if (version !== 6) return null
  const ip = text.includes('%') ? text.slice(0, text.indexOf('%')) : text
  // Not every database aliases ::ffff:0:0/96 to IPv4; ask for the IPv4 address itself.
  const mapped = ipv4FromMapped(ip)
  return reader.get(mapped ?? ip)
}
