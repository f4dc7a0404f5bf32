#!/usr/bin/env node
// Runs every test file under test/ with node's test runner and tsx. PEERS_LOOPBACK_ONLY=1
// makes every dial outside 127.0.0.0/8 and ::1, and every DNS query, throw: tests cannot
// reach another machine whatever they pass in.
//
// Preflight: the Debian packages some tests drive (microsocks: a SOCKS5 proxy; chromium: the
// report's rendering) must be present. Missing ones are installed when we run as root
// (apt-get, quiet, one line of log); otherwise one line says what to install, and the tests
// that need them fail (they read PEERS_TEST_MICROSOCKS / PEERS_TEST_CHROMIUM: never skipped).
import { spawnSync } from 'node:child_process'
import { accessSync, constants, readdirSync, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Test-time tools: env var → [Debian package, executables to look for]. */
const SYSTEM_TOOLS = {
  PEERS_TEST_MICROSOCKS: ['microsocks', ['microsocks']],
  PEERS_TEST_CHROMIUM: ['chromium', ['chromium', 'chromium-browser']]
}

function which (names) {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/sbin'])) {
    for (const name of names) {
      const p = join(dir, name)
      try { accessSync(p, constants.X_OK); return p } catch { /* next */ }
    }
  }
  return undefined
}

function locate () {
  return Object.fromEntries(Object.entries(SYSTEM_TOOLS).map(([env, [, names]]) => [env, process.env[env] || which(names)]))
}

function preflight () {
  let found = locate()
  let missing = Object.entries(SYSTEM_TOOLS).filter(([env]) => found[env] === undefined).map(([, [pkg]]) => pkg)
  if (missing.length > 0 && process.getuid?.() === 0) {
    console.error(`peers tests: installing ${missing.join(' ')} (apt-get)`)
    const quiet = { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }
    const update = spawnSync('apt-get', ['-qq', 'update'], quiet)
    const install = update.status === 0 ? spawnSync('apt-get', ['-qq', 'install', '-y', ...missing], quiet) : update
    if (install.status !== 0) console.error(`peers tests: apt-get failed: ${String(install.stderr ?? install.error ?? '').trim().split('\n').at(-1)}`)
    found = locate()
    missing = Object.entries(SYSTEM_TOOLS).filter(([env]) => found[env] === undefined).map(([, [pkg]]) => pkg)
  }
  if (missing.length > 0) {
    console.error(`peers tests: missing ${missing.join(', ')}: install with \`apt-get install -y ${missing.join(' ')}\` (as root); the tests that need them will fail`)
  }
  return Object.fromEntries(Object.entries(found).filter(([, p]) => p !== undefined))
}

function find (dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'bench' ? [] : find(p)
    return p.endsWith('.test.ts') ? [p] : []
  })
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : find('test').sort()
const env = { ...process.env, ...preflight(), PEERS_LOOPBACK_ONLY: '1', NODE_ENV: 'test' }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env })
process.exit(r.status ?? 1)
