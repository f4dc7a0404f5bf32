import { Flags } from '@oclif/core'
import { ASN_DB_ENV } from '../asn/lookup.js'

/** `--asn-db PATH` for every command that enriches addresses with AS numbers. */
export const asnDbFlag = Flags.string({
  helpValue: 'PATH',
  summary: `MaxMind DB with GeoLite2-ASN fields (default: $${ASN_DB_ENV}, else ./GeoLite2-ASN.mmdb, output/GeoLite2-ASN.mmdb, output/asn.mmdb, /usr/share/GeoIP, /var/lib/GeoIP).`
})
