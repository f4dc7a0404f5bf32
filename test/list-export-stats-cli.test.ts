// The reading commands as a user runs them: a real process, real stdout, stderr and exit code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Endpoint, SessionResult } from '../src/contract.js'
import { openStore } from '../src/store/store.js'
import { runCli, type CliOutcome } from './helpers/cli.js'

/** The CLI in `cwd` (an empty directory, so no ASN database or store of the checkout is picked up); PEERS_DB only when given; no country data (test/geo-cli.test.ts covers it). */
function peers (args: string[], options: { cwd: string, env?: Record<string, string> }): Promise<CliOutcome> {
  return runCli(args, { cwd: options.cwd, env: { PEERS_ASN_DB: undefined, PEERS_DB: undefined, PEERS_GEO_DB: 'off', ...options.env } })
}

function ep (host: string, port = 8333): Endpoint {
  return { host, port, type: host.endsWith('.onion') ? 'onion' : host.includes(':') ? 'ipv6' : 'ipv4' }
}

function reached (endpoint: Endpoint, peer: SessionResult['peer'], connectMs: number): SessionResult {
  return { endpoint, ok: true, connectMs, handshakeMs: connectMs * 2, peer, learned: [], addressesReceived: 10 }
}

/** mainnet: 4 reachable (3 in AS64500, 1 in AS64501) and 1 unreachable; signet: 1 reachable. */
async function makeStore (): Promise<{ dir: string, db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'peers-cli-'))
  const db = join(dir, 'peers.json')
  const store = await openStore(db, { mode: 'write' })
  const rows: Array<[string, number, string, number, number]> = [
    ['10.0.0.2', 64500, '/Satoshi:27.0.0/', 870000, 40],
    ['9.0.0.1', 64500, '/Satoshi:27.0.0/', 870001, 15],
    ['2001:db8::10', 64500, '/Satoshi:26.0.0/', 869990, 90],
    ['2001:db8::9', 64501, '/btcd:0.24.0/', 870002, 25]
  ]
  for (const [host, asn, userAgent, startHeight, connectMs] of rows) {
    store.recordDiscovered('mainnet', ep(host), null)
    store.recordResult('mainnet', reached(ep(host), { userAgent, startHeight, protocolVersion: 70016, services: '1033' }, connectMs))
    store.setAsn('mainnet', ep(host), asn, asn === 64500 ? 'Example Hosting' : 'Other Net')
  }
  store.recordResult('mainnet', { endpoint: ep('192.0.2.1'), ok: false, reason: 'refused', learned: [], addressesReceived: 0 })
  store.recordResult('signet', reached(ep('192.0.2.50', 38333), { userAgent: '/Satoshi:27.0.0/' }, 5))
  store.setAsn('signet', ep('192.0.2.50', 38333), 64502, 'Signet Host')
  await store.close()
  return { dir, db }
}

function assertOneLineError (r: CliOutcome, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`)
  assert.equal(r.stdout, '')
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`)
  assert.match(r.stderr, pattern)
}

test('peers list: an aligned table of reachable peers in address order; --json, filters and sorting', async () => {
  const { dir, db } = await makeStore()
  const table = await peers(['list', '--net', 'mainnet', '--db', db], { cwd: dir })
  assert.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  assert.match(lines[0], /^address +AS +organisation +country +user agent +height +latency +last seen \(UTC\)$/)
  assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), ['9.0.0.1:8333', '10.0.0.2:8333', '[2001:db8::9]:8333', '[2001:db8::10]:8333'])
  assert.match(lines[1], /^9\.0\.0\.1:8333 +AS64500 +Example Hosting +\/Satoshi:27\.0\.0\/ +870001 +15 ms +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
  // Aligned: every row's AS column starts where the header's does.
  const asColumn = lines[0].indexOf('AS')
  for (const line of lines.slice(1)) assert.equal(line.indexOf('AS6450'), asColumn, line)

  const json = await peers(['list', '--net', 'mainnet', '--db', db, '--json', '--asn', '64500', '--sort', 'latency', '--limit', '2'], { cwd: dir })
  assert.equal(json.code, 0, json.stderr)
  const listed = JSON.parse(json.stdout) as Array<{ address: string, asn: number, connectMs: number }>
  assert.deepEqual(listed.map((p) => [p.address, p.connectMs]), [['9.0.0.1:8333', 15], ['10.0.0.2:8333', 40]])

  const agent = JSON.parse((await peers(['list', '--db', db, '--json', '--agent', 'satoshi:26', '--type', 'ipv6'], { cwd: dir })).stdout) as Array<{ address: string }>
  assert.deepEqual(agent.map((p) => p.address), ['[2001:db8::10]:8333'])

  const all = JSON.parse((await peers(['list', '--net', 'mainnet', '--all', '--json'], { cwd: dir, env: { PEERS_DB: db } })).stdout) as Array<{ address: string, reachable: boolean }>
  assert.deepEqual(all.filter((p) => !p.reachable).map((p) => p.address), ['192.0.2.1:8333'], 'PEERS_DB names the store; --all adds unreachable peers')

  const everyNetwork = await peers(['list', '--db', db, '--sort', 'height'], { cwd: dir })
  assert.match(everyNetwork.stdout.split('\n')[0], /^network +address/)
  assert.match(everyNetwork.stdout, /signet +192\.0\.2\.50:38333/)
})

test('peers list: bad input is one line on stderr and a non-zero exit', async () => {
  const { dir, db } = await makeStore()
  assertOneLineError(await peers(['list', '--net', 'dogecoin', '--db', db], { cwd: dir }), 2, /unknown network 'dogecoin'/)
  assertOneLineError(await peers(['list', '--reachable', '--all', '--db', db], { cwd: dir }), 2, /^peers: \[PEERS_USAGE\] --reachable and --all cannot be used together$/m)
  assertOneLineError(await peers(['list', '--sort', 'size', '--db', db], { cwd: dir }), 2, /size/)
  assertOneLineError(await peers(['list', '--limit', '0', '--db', db], { cwd: dir }), 2, /^peers: \[PEERS_USAGE\] --limit '0' is not valid: expected an integer >= 1$/m)
  assertOneLineError(await peers(['list', '--db', join(dir, 'missing.json')], { cwd: dir }), 1, /no store at .*missing\.json; run a crawl first/)
  const corrupt = join(dir, 'corrupt.json')
  writeFileSync(corrupt, '{"schema":1,"peers":{')
  assertOneLineError(await peers(['list', '--db', corrupt], { cwd: dir }), 1, /PEERS_STORE_CORRUPT.*corrupt\.json/)
  assert.equal(readFileSync(corrupt, 'utf8'), '{"schema":1,"peers":{')
})

test('peers export: one file per network in the original txt format, csv on request; bad input fails clearly', async () => {
  const { dir, db } = await makeStore()
  const out = join(dir, 'out')
  const txt = await peers(['export', '--db', db, '--out', out], { cwd: dir })
  assert.equal(txt.code, 0, txt.stderr)
  const written = txt.stdout.trimEnd().split('\n')
  assert.equal(written.length, 2, 'every network in the store')
  const mainnet = written.find((p) => p.includes('/mainnet/'))
  assert.ok(mainnet !== undefined)
  assert.match(mainnet, /mainnet-\d{14}\.txt$/)
  assert.equal(readFileSync(mainnet, 'utf8'), [
    '9.0.0.1:8333 / AS64500 / Example Hosting',
    '10.0.0.2:8333 / AS64500 / Example Hosting',
    '[2001:db8::9]:8333 / AS64501 / Other Net',
    '[2001:db8::10]:8333 / AS64500 / Example Hosting',
    ''
  ].join('\n'))

  const csv = await peers(['export', '--net', 'signet', '--format', 'csv', '--db', db, '--out', out, '--json'], { cwd: dir })
  assert.equal(csv.code, 0, csv.stderr)
  const { files } = JSON.parse(csv.stdout) as { files: Array<{ network: string, path: string }> }
  assert.deepEqual(files.map((f) => f.network), ['signet'])
  assert.match(readFileSync(files[0].path, 'utf8'), /^reachable,network,host,port,/)
  assert.equal(readdirSync(join(out, 'signet')).length, 2)

  assertOneLineError(await peers(['export', '--format', 'xml', '--db', db], { cwd: dir }), 2, /xml/)
  assertOneLineError(await peers(['export', '--all', '--db', db], { cwd: dir }), 2, /--all needs --format json or csv/)
  assertOneLineError(await peers(['export', '--net', 'nope', '--db', db], { cwd: dir }), 2, /unknown network 'nope'/)
  assertOneLineError(await peers(['export', '--db', db, '--out', out, '--asn-db', join(dir, 'no.mmdb')], { cwd: dir }), 1, /no\.mmdb/)
})

test('peers stats: tables on a pipe without bars, exact counts in --json', async () => {
  const { dir, db } = await makeStore()
  const text = await peers(['stats', '--net', 'mainnet', '--db', db], { cwd: dir })
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^mainnet: 4 reachable peers$/m)
  assert.match(text.stdout, /^ *AS64500 +Example Hosting +3 +75\.0%$/m)
  assert.match(text.stdout, /AS concentration: 1 AS host at least half of the reachable peers \(75\.0%\): AS64500/)
  assert.doesNotMatch(text.stdout, /█/)
  assert.match(text.stdout, /^1033 +0x409 +.*4 +100\.0%$/m)

  const json = await peers(['stats', '--db', db, '--json', '--top', '1'], { cwd: dir })
  assert.equal(json.code, 0, json.stderr)
  const reports = JSON.parse(json.stdout) as Array<{ network: string, reachable: number, byAsn: { top: Array<{ asn: number, count: number }>, rest: { count: number } }, byType: Array<{ key: string, count: number }> }>
  assert.deepEqual(reports.map((r) => [r.network, r.reachable]), [['mainnet', 4], ['signet', 1]])
  assert.deepEqual(reports[0].byAsn.top.map((r) => [r.asn, r.count]), [[64500, 3]])
  assert.equal(reports[0].byAsn.rest.count, 1)
  assert.deepEqual(reports[0].byType.map((r) => [r.key, r.count]), [['ipv4', 2], ['ipv6', 2]])

  assertOneLineError(await peers(['stats', '--top', 'x', '--db', db], { cwd: dir }), 2, /top|x/)
  assertOneLineError(await peers(['stats', '--db', join(dir, 'none.json')], { cwd: dir }), 1, /no store at/)
})
