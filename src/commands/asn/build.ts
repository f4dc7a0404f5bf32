import { resolve } from 'node:path'
import { Flags } from '@oclif/core'
import { PeersCommand } from '../../cli/base-command.js'
import { AsnDatabaseError } from '../../errors.js'
import { ASN_SOURCE_FILES, ASN_SOURCE_PACKAGE, buildAsnDatabase, defaultAsnSourceDir, type AsnBuildSummary } from '../../asn/build.js'
import { DEFAULT_ASN_DB_OUT } from '../../asn/lookup.js'

export default class AsnBuildCommand extends PeersCommand {
  static override summary = `Build the ASN database (${DEFAULT_ASN_DB_OUT}) from the installed ${ASN_SOURCE_PACKAGE} CSVs.`
  static override description = `Reads ${ASN_SOURCE_FILES.ipv4} and ${ASN_SOURCE_FILES.ipv6} (inclusive IP ranges with AS number and organisation) and writes a MaxMind DB with GeoLite2-ASN fields, which every command that shows ASNs finds at ${DEFAULT_ASN_DB_OUT}. The data is CC BY 4.0 by RouteViews, DB-IP and NRO: keep the attribution when you share results.`
  static override examples = ['<%= config.bin %> asn build', '<%= config.bin %> asn build --out /tmp/asn.mmdb --json']

  static override flags = {
    out: Flags.string({ helpValue: 'PATH', default: DEFAULT_ASN_DB_OUT, summary: 'Where to write the database.' }),
    source: Flags.string({ helpValue: 'DIR', summary: `Folder with ${ASN_SOURCE_FILES.ipv4} and ${ASN_SOURCE_FILES.ipv6} (default: the installed ${ASN_SOURCE_PACKAGE} package).` })
  }

  async run (): Promise<AsnBuildSummary> {
    const { flags } = await this.parse(AsnBuildCommand)
    const log = this.makeLogger(flags)
    const sourceDir = flags.source === undefined ? defaultAsnSourceDir() : resolve(flags.source)
    if (sourceDir === undefined) throw new AsnDatabaseError(`${ASN_SOURCE_PACKAGE} is not installed: run \`npm install\`, or pass --source DIR`)
    log.info(`building ${flags.out} from ${sourceDir}`)
    const summary = await buildAsnDatabase({ sourceDir, outPath: resolve(flags.out), log })
    const mb = (summary.bytes / 1e6).toFixed(1)
    this.log(`wrote ${summary.path}: ${summary.ipv4Ranges} IPv4 + ${summary.ipv6Ranges} IPv6 ranges, ${summary.records} AS records, ${mb} MB in ${summary.seconds.toFixed(1)} s${summary.skippedRows > 0 ? ` (${summary.skippedRows} malformed rows skipped)` : ''}`)
    this.log(`${summary.attribution}${summary.sourceVersion === undefined ? '' : ` ${summary.sourceVersion}`}`)
    return summary
  }
}
