import { Flags } from '@oclif/core'
import { GEO_DB_ENV, GEO_DB_OFF, GEO_PACKAGE } from '../geo/lookup.js'

/** `--geo-db PATH` for every command that shows countries. */
export const geoDbFlag = Flags.string({
  helpValue: 'PATH',
  summary: `MaxMind DB with country data, e.g. GeoLite2-Country or GeoLite2-City (default: $${GEO_DB_ENV}, else ./GeoLite2-Country.mmdb, output/GeoLite2-Country.mmdb, the City ones, /usr/share/GeoIP, /var/lib/GeoIP, else the installed ${GEO_PACKAGE}); '${GEO_DB_OFF}' for none.`
})
