import { isIP } from 'node:net'
import { Args } from '@oclif/core'
import { PeersCommand } from '../../cli/base-command.js'
import { AsnDatabaseError, UsageError } from '../../errors.js'
import { asnDbFlag } from '../../cli/asn-flags.js'
import { ASN_DB_ENV, findAsnDatabase, openAsnLookup } from '../../asn/lookup.js'

export interface AsnLookupRow {
  ip: string
  asn: number | null
  org: string | null
}

export default class AsnLookupCommand extends PeersCommand {
  static override summary = 'Show the autonomous system (number and organisation) of IP addresses.'
  static override description = 'Uses the ASN database from --asn-db, $PEERS_ASN_DB or the usual places (see `peers asn build`). Prints `unknown` for an address the database does not cover; any argument that is not an IPv4 or IPv6 address is an error (exit 2) and nothing is looked up.'
  static override examples = ['<%= config.bin %> asn lookup 1.1.1.1 2606:4700::1111', '<%= config.bin %> asn lookup 8.8.8.8 --asn-db GeoLite2-ASN.mmdb --json']
  static override strict = false
  static override args = {
    ip: Args.string({ required: true, description: 'IPv4 or IPv6 addresses' })
  }

  static override flags = {
    'asn-db': asnDbFlag
  }

  async run (): Promise<AsnLookupRow[]> {
    const { argv, flags } = await this.parse(AsnLookupCommand)
    const ips = argv as string[]
    const invalid = ips.filter((ip) => isIP(ip) === 0)
    if (invalid.length > 0) throw new UsageError(`not an IP address: ${invalid.map((ip) => `'${ip}'`).join(', ')}`)
    const log = this.makeLogger(flags)
    // Here the database is the point: none at all is an error, not a warning.
    const choice = findAsnDatabase({ path: flags['asn-db'] })
    if (choice.path === undefined && choice.candidates.length === 0) {
      throw new AsnDatabaseError(`no ASN database found: run \`peers asn build\`, or pass --asn-db / set ${ASN_DB_ENV} to MaxMind's GeoLite2-ASN.mmdb`)
    }
    const asn = await openAsnLookup({ path: flags['asn-db'], log })
    if (asn === undefined) throw new AsnDatabaseError('no usable ASN database found (see the warnings above)')
    const rows = ips.map((ip): AsnLookupRow => {
      const found = asn.lookup(ip)
      return { ip, asn: found.asn ?? null, org: found.org ?? null }
    })
    const ipWidth = Math.max(...rows.map((row) => row.ip.length))
    const asnWidth = Math.max(...rows.map((row) => (row.asn === null ? 'unknown' : `AS${row.asn}`).length))
    for (const row of rows) {
      const asnText = row.asn === null ? 'unknown' : `AS${row.asn}`
      this.log(row.org === null ? `${row.ip.padEnd(ipWidth)}  ${asnText}` : `${row.ip.padEnd(ipWidth)}  ${asnText.padEnd(asnWidth)}  ${row.org}`)
    }
    return rows
  }
}
