#!/usr/bin/env node
// Runs every test file under test/ with node's test runner and tsx. PEERS_LOOPBACK_ONLY=1
// makes every dial outside 127.0.0.0/8 and ::1, and every DNS query, throw: tests cannot
// reach another machine whatever they pass in.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function find (dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'bench' ? [] : find(p)
    return p.endsWith('.test.ts') ? [p] : []
  })
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : find('test').sort()
const env = { ...process.env, PEERS_LOOPBACK_ONLY: '1', NODE_ENV: 'test' }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env })
process.exit(r.status ?? 1)
