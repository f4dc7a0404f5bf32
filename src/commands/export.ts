import { Flags } from '@oclif/core'
import { openAsnLookup } from '../asn/lookup.js'
import { PeersCommand } from '../cli/base-command.js'
import { UsageError } from '../errors.js'
import { EXPORT_FORMATS, exportNetwork } from '../export/export.js'
import { asnDbFlag, geoDbFlag, readerFlags, selectNetworks } from '../cli/store-readers.js'
import { openGeoLookup } from '../geo/lookup.js'
import { openStore, resolveStorePath } from '../store/store.js'

export default class Export extends PeersCommand {
  static override summary = 'Write the reachable peers of each network to a file.'
  static override description = [
    'Writes <out>/<net>/<net>-<YYYYMMDDhhmmss>.<format> (UTC) per network; without --net, every network in the store.',
    'txt is the original tool\'s format, one reachable peer per line sorted by address: `2.59.134.244:48333 / AS58212 / dataforest GmbH`; an unknown AS is written `AS? / unknown`.',
    'json and csv (RFC 4180) carry every stored field, country (ISO alpha-2) included; --all includes unreachable peers.',
    'AS and country data come from the ASN and geo databases at export time (in the files only: the store is opened read-only, so a running crawl is not disturbed).'
  ].join('\n')

  static override examples = [
    '<%= config.bin %> export --net signet',
    '<%= config.bin %> export --format csv --out reports',
    '<%= config.bin %> export --net mainnet --format json --all --db crawl.json'
  ]

  static override flags = {
    ...readerFlags,
    format: Flags.option({ options: EXPORT_FORMATS, default: 'txt' as const, summary: 'File format.' })(),
    out: Flags.string({ default: 'output', summary: 'Directory the files go under (one subdirectory per network).' }),
    all: Flags.boolean({ summary: 'json/csv: unreachable peers too.' }),
    'asn-db': asnDbFlag,
    'geo-db': geoDbFlag
  }

  async run (): Promise<{ files: Array<{ network: string, path: string }> }> {
    const { flags } = await this.parse(Export)
    if (flags.all && flags.format === 'txt') throw new UsageError('--all needs --format json or csv: the txt format lists reachable peers only')
    const log = this.makeLogger(flags)
    const store = await openStore(resolveStorePath(flags.db), { mode: 'read', log })
    const networks = selectNetworks(store, flags.net)
    if (networks.length === 0) throw new UsageError(`store ${store.path} has no peers yet; run a crawl first`)
    const asn = await openAsnLookup({ path: flags['asn-db'], log })
    const geo = flags.format === 'txt' ? undefined : await openGeoLookup({ path: flags['geo-db'], log })
    if (geo !== undefined) log.info(geo.source.attribution)
    const now = new Date()
    const files: Array<{ network: string, path: string }> = []
    for (const network of networks) {
      const path = await exportNetwork(store, network, { format: flags.format, outDir: flags.out, asn, geo, now, all: flags.all })
      log.info(`wrote ${path}`)
      files.push({ network, path })
    }
    if (!this.jsonEnabled()) for (const f of files) this.log(f.path)
    return { files }
  }
}
