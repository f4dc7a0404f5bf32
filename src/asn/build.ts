// `peers asn build`: the @ip-location-db/asn CSVs (inclusive IP ranges -> AS number and
// organisation) into a GeoLite2-ASN-shaped MaxMind DB that openAsnLookup reads.

import { existsSync, statSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Logger } from '../contract.js'
import { AsnDatabaseError } from '../errors.js'
import { parseCsv } from './csv.js'
import { MmdbWriter, type MmdbRecord } from './mmdb-writer.js'

export const ASN_SOURCE_PACKAGE = '@ip-location-db/asn'
export const ASN_SOURCE_FILES = { ipv4: 'asn-ipv4.csv', ipv6: 'asn-ipv6.csv' } as const
export const ASN_ATTRIBUTION = 'ASN data: CC BY 4.0 by RouteViews (routeviews.org), DB-IP (db-ip.com) and NRO (nro.net), via @ip-location-db/asn'

const MAX_ASN = 0xffffffff
const MALFORMED_ROWS_SHOWN = 3

export interface AsnBuildSummary {
  path: string
  bytes: number
  seconds: number
  sourceDir: string
  /** The source package's version when the source is the npm package. */
  sourceVersion?: string
  ipv4Ranges: number
  ipv6Ranges: number
  skippedRows: number
  /** Distinct (AS number, organisation) records written. */
  records: number
  nodeCount: number
  recordSize: number
  attribution: string
}

/** Where npm installed the source package; undefined when it is not installed. */
export function defaultAsnSourceDir (): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${ASN_SOURCE_PACKAGE}/package.json`))
  } catch {
    return undefined
  }
}

export async function buildAsnDatabase (options: { sourceDir: string, outPath: string, log: Logger }): Promise<AsnBuildSummary> {
  const { sourceDir, outPath, log } = options
  const started = performance.now()
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) {
    throw new AsnDatabaseError(`ASN source directory ${sourceDir} does not exist (expected the ${ASN_SOURCE_PACKAGE} CSVs: ${ASN_SOURCE_FILES.ipv4}, ${ASN_SOURCE_FILES.ipv6})`)
  }
  const present = Object.values(ASN_SOURCE_FILES).filter((name) => existsSync(join(sourceDir, name)))
  if (present.length === 0) {
    throw new AsnDatabaseError(`ASN source directory ${sourceDir} has neither ${ASN_SOURCE_FILES.ipv4} nor ${ASN_SOURCE_FILES.ipv6}`)
  }
  for (const name of Object.values(ASN_SOURCE_FILES)) {
    if (!present.includes(name)) log.warn(`${join(sourceDir, name)} is missing; building without it`)
  }
  const sourceVersion = await packageVersion(sourceDir)

  const writer = new MmdbWriter({
    databaseType: 'GeoLite2-ASN',
    description: { en: `peers ASN database. ${ASN_ATTRIBUTION}${sourceVersion === undefined ? '' : ` ${sourceVersion}`}` }
  })
  // One object per (ASN, organisation): the writer then encodes each once.
  const records = new Map<string, MmdbRecord>()
  const rangeCounts = { [ASN_SOURCE_FILES.ipv4]: 0, [ASN_SOURCE_FILES.ipv6]: 0 }
  let skippedRows = 0
  for (const name of present) {
    const file = join(sourceDir, name)
    const text = await readFile(file, 'utf8').catch((err: unknown) => {
      throw new AsnDatabaseError(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
    })
    const skip = (lineNumber: number, why: string): void => {
      if (++skippedRows <= MALFORMED_ROWS_SHOWN) log.warn(`${file}:${lineNumber}: skipped: ${why}`)
    }
    try {
      parseCsv(text, (fields, lineNumber) => {
        const [start, end, asnText, org = ''] = fields
        if (fields.length < 3 || fields.length > 4) return skip(lineNumber, `expected 3 or 4 fields, got ${fields.length}`)
        const asn = Number(asnText)
        if (!/^\d+$/.test(asnText) || asn > MAX_ASN) {
          // A header names its columns; tolerate one on the first line.
          if (lineNumber === 1) return
          return skip(lineNumber, `'${asnText}' is not an AS number`)
        }
        const key = `${asn}\n${org}`
        let record = records.get(key)
        if (record === undefined) {
          record = org === '' ? { autonomous_system_number: asn } : { autonomous_system_number: asn, autonomous_system_organization: org }
          records.set(key, record)
        }
        try {
          writer.insertRange(start, end, record)
          rangeCounts[name]++
        } catch (err) {
          skip(lineNumber, (err as Error).message)
        }
      })
    } catch (err) {
      throw new AsnDatabaseError(`${file}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (skippedRows > MALFORMED_ROWS_SHOWN) log.warn(`skipped ${skippedRows} malformed rows in all (first ${MALFORMED_ROWS_SHOWN} shown)`)
  const ipv4Ranges = rangeCounts[ASN_SOURCE_FILES.ipv4]
  const ipv6Ranges = rangeCounts[ASN_SOURCE_FILES.ipv6]
  if (ipv4Ranges + ipv6Ranges === 0) throw new AsnDatabaseError(`no usable rows in ${present.map((name) => join(sourceDir, name)).join(', ')}`)

  const { buffer, stats } = writer.toBuffer()
  await mkdir(dirname(outPath), { recursive: true })
  // Write beside the target and rename, so a reader never sees half a file.
  const temporary = `${outPath}.${process.pid}.tmp`
  try {
    await writeFile(temporary, buffer)
    await rename(temporary, outPath)
  } catch (err) {
    await rm(temporary, { force: true })
    throw new AsnDatabaseError(`cannot write ${outPath}: ${(err as Error).message}`, { cause: err })
  }
  return {
    path: outPath,
    bytes: buffer.length,
    seconds: Math.round(performance.now() - started) / 1000,
    sourceDir,
    sourceVersion,
    ipv4Ranges,
    ipv6Ranges,
    skippedRows,
    records: stats.records,
    nodeCount: stats.nodeCount,
    recordSize: stats.recordSize,
    attribution: ASN_ATTRIBUTION
  }
}

async function packageVersion (dir: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
    return manifest.name === ASN_SOURCE_PACKAGE ? manifest.version : undefined
  } catch {
    return undefined
  }
}
