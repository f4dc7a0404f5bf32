#!/usr/bin/env node
// Development entry: runs the TypeScript sources directly. tsx is registered here (so
// `node bin/dev.js` works as well as `./bin/dev.js`) and oclif is pointed at src/commands,
// instead of letting oclif register a TypeScript loader itself: that fails with tsx on
// Node 20 and silently falls back to a possibly stale dist/.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { register } from 'tsx/esm/api'

register()
const { execute } = await import('@oclif/core')
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
pjson.oclif = { ...pjson.oclif, commands: './src/commands' }

await execute({ development: true, dir: import.meta.url, loadOptions: { root, pjson } })
