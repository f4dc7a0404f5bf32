#!/usr/bin/env node
// Development entry: runs the TypeScript sources directly. tsx is registered here (so
// `node bin/dev.js` works as well as `./bin/dev.js`) and oclif is pointed at src/commands,
// instead of letting oclif register a TypeScript loader itself: that fails with tsx on
// Node 20 and silently falls back to a possibly stale dist/. The plugin root is src/, so the
// oclif.manifest.json that `npm run build` writes for dist/ is not read here.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { register } from 'tsx/esm/api'

register()
const { execute } = await import('@oclif/core')
const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const pjson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
pjson.oclif = { ...pjson.oclif, commands: './commands' }

await execute({ development: true, dir: import.meta.url, loadOptions: { root: join(repo, 'src'), pjson } })
