// Overlay crawls against real SOCKS5 software: microsocks, from Debian. The crawl itself runs
// in overlay-crawl.ns.ts inside a private mount + network namespace (unshare -m -n, as root):
// only loopback exists there, and its own /etc/hosts maps test onion names to loopback nodes.
// A machine without microsocks or without root fails here with what to install or change;
// the test command (.ci/run) installs microsocks when it is missing.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { REPO_ROOT } from '../helpers/cli.js'

const MICROSOCKS = process.env.PEERS_TEST_MICROSOCKS ?? '/usr/bin/microsocks'

test('a crawl through microsocks in a private namespace (overlay-crawl.ns.ts)', async () => {
  assert.ok(existsSync(MICROSOCKS), `microsocks is missing at ${MICROSOCKS}: apt-get install -y microsocks (or set PEERS_TEST_MICROSOCKS)`)
  assert.equal(process.getuid?.(), 0, 'this test needs root, for unshare -m -n (a private mount and network namespace)')
  const seed = String(Math.floor(Math.random() * 1000))
  // Without NODE_TEST_CONTEXT: the inner runner must report to us as a program, not as a child of this runner.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env
  const child = spawn('unshare', ['-m', '-n', '--', process.execPath, '--import', 'tsx', '--test', '--test-reporter', 'spec', 'test/overlay/namespace/overlay-crawl.ns.ts'], {
    cwd: REPO_ROOT,
    env: { ...env, PEERS_IN_TEST_NAMESPACE: '1', PEERS_LOOPBACK_ONLY: '1', PEERS_TEST_MICROSOCKS: MICROSOCKS, PEERS_TEST_SEED: seed },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  process.stdout.write(`# seed ${seed}\n${output.split('\n').filter((l) => l.includes('crawl:')).map((l) => `# ${l.trim()}\n`).join('')}`)
  assert.equal(code, 0, `the namespace test failed (seed ${seed}):\n${output}`)
})
