// `peers report` for one network: compute, render, write `<out>/<net>/<net>-report-<YYYYMMDDhhmmss>.html`.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { OutputError } from '../errors.js'
import { fileStamp } from '../export/export.js'
import type { PeerRecord, RunRecord } from '../store/types.js'
import { computeChurn, computeReportData, type ReportData } from './data.js'
import { renderReportHtml, type ReportContext } from './html.js'

export interface WriteReportOptions extends ReportContext {
  outDir: string
  now?: Date
  serviceNames?: (services: string) => string[]
  /** The network's history directory (`store.historyDir`); undefined: no history, the joins-and-leaves chart gives way to a notice. */
  historyDir?: string
}

export interface WrittenReport { network: string, path: string, bytes: number, data: ReportData }

export async function writeReport (network: string, records: readonly PeerRecord[], runs: readonly RunRecord[], options: WriteReportOptions): Promise<WrittenReport> {
  const now = options.now ?? new Date()
  const churn = await computeChurn(options.historyDir, network, runs)
  const data = computeReportData(network, records, runs, { serviceNames: options.serviceNames, now, churn })
  const html = renderReportHtml(data, options)
  const dir = join(options.outDir, network)
  const path = join(dir, `${network}-report-${fileStamp(now)}.html`)
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw new OutputError(`cannot create the report directory ${dir}: ${reasonOf(err)}`, { cause: err })
  }
  // Temp file and rename: a browser never opens half a report.
  const temp = `${path}.${process.pid}.tmp`
  try {
    await writeFile(temp, html, 'utf8')
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {})
    throw new OutputError(`cannot write the report ${path}: ${reasonOf(err)}`, { cause: err })
  }
  return { network, path, bytes: Buffer.byteLength(html), data }
}

/** `permission denied`, `not a directory`… without Node's `EACCES: …, mkdir '…'` wrapping. */
function reasonOf (err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const known: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', ENOTDIR: 'a part of the path is a file, not a directory', EEXIST: 'a file is in the way', EROFS: 'read-only file system', ENOSPC: 'no space left on the device' }
  return (e.code !== undefined ? known[e.code] : undefined) ?? String(e.message).split('\n')[0]
}
