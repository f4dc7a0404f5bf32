#!/usr/bin/env node
// Writes oclif.manifest.json after `tsc`: with it, `peers crawl` loads only the crawl command
// instead of importing every command to learn their flags (a third of the start-up time).
// Uses @oclif/core's own manifest builder; the `oclif` packaging CLI is not needed.
import { rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Config } from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// An old manifest would be read back instead of the commands: remove it first.
rmSync(join(root, 'oclif.manifest.json'), { force: true })
const config = await Config.load({ root })
const manifest = config.plugins.get(config.pjson.name)?.manifest
if (manifest === undefined || Object.keys(manifest.commands).length === 0) {
  process.stderr.write('oclif-manifest: no commands found; was `tsc` run?\n')
  process.exit(1)
}
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
