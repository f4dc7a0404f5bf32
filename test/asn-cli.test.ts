// `peers asn lookup` and `peers asn build` as a user runs them: spawned through bin/dev.js,
// checking stdout, stderr and the exit code.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MmdbWriter } from '../src/asn/mmdb-writer.js'
import { USUAL_ASN_DB_PLACES } from '../src/asn/lookup.js'
import { runCli, type CliOutcome } from './helpers/cli.js'


type Run = CliOutcome

/** The CLI in `cwd`, where no ASN database of the checkout is found; PEERS_ASN_DB only when given. */
async function peers (args: string[], options: { cwd: string, env?: Record<string, string> }): Promise<Run> {
  const run = await runCli(args, { cwd: options.cwd, env: { PEERS_ASN_DB: undefined, ...options.env } })
  if (/command asn:\S+ not found/.test(run.stderr)) assert.fail(`oclif found no asn commands: ${run.stderr.split('\n')[0]}`)
  return run
}

const stderrLines = (run: Run): string[] => run.stderr.split('\n').filter((line) => line !== '')

// Ranges and what each probe address must give, from the same table.
const RANGES = [
  { start: '1.0.0.0', end: '1.0.0.255', asn: 13335, org: 'Cloudflare, Inc.' },
  { start: '1.0.0.64', end: '1.0.0.70', asn: 64500, org: 'Zürich "Netz" AG' },
  { start: '2001:db8::', end: '2001:db8::ffff', asn: 64501, org: undefined }
]
const PROBES = [
  { ip: '1.0.0.1', asn: 13335, org: 'Cloudflare, Inc.' },
  { ip: '1.0.0.65', asn: 64500, org: 'Zürich "Netz" AG' },
  { ip: '::ffff:1.0.0.1', asn: 13335, org: 'Cloudflare, Inc.' },
  { ip: '2001:db8::1', asn: 64501, org: null },
  { ip: '10.9.9.9', asn: null, org: null }
]

describe('peers asn (CLI)', { concurrency: 4 }, () => {
  let dir: string
  let db: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'peers-asn-cli-'))
    const writer = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 'cli test' } })
    for (const r of RANGES) {
      writer.insertRange(r.start, r.end, r.org === undefined ? { autonomous_system_number: r.asn } : { autonomous_system_number: r.asn, autonomous_system_organization: r.org })
    }
    db = join(dir, 'test.mmdb')
    writeFileSync(db, writer.toBuffer().buffer)
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('lookup: one line per address, `unknown` when not found', async () => {
    const run = await peers(['asn', 'lookup', ...PROBES.map((p) => p.ip), '--asn-db', db], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    const lines = run.stdout.trimEnd().split('\n')
    assert.equal(lines.length, PROBES.length)
    PROBES.forEach((probe, i) => {
      const words = lines[i].split(/ {2,}/)
      const want = probe.asn === null ? [probe.ip, 'unknown'] : probe.org === null ? [probe.ip, `AS${probe.asn}`] : [probe.ip, `AS${probe.asn}`, probe.org]
      assert.deepEqual(words.map((w) => w.trim()), want, lines[i])
    })
  })

  test('lookup --json: an array of {ip, asn, org}; PEERS_ASN_DB is used', async () => {
    const run = await peers(['asn', 'lookup', ...PROBES.map((p) => p.ip), '--json'], { cwd: dir, env: { PEERS_ASN_DB: db } })
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(JSON.parse(run.stdout), PROBES)
  })

  test('lookup: an invalid address fails the command with exit 2 and one line', async () => {
    const run = await peers(['asn', 'lookup', '1.0.0.1', 'not-an-ip', '--asn-db', db], { cwd: dir })
    assert.equal(run.code, 2)
    assert.equal(run.stdout, '')
    assert.equal(stderrLines(run).length, 1, run.stderr)
    assert.match(run.stderr, /not an IP address: 'not-an-ip'/)
  })

  test('lookup: a missing or corrupt --asn-db is exit 1 and one line', async () => {
    const corrupt = join(dir, 'corrupt.mmdb')
    writeFileSync(corrupt, 'this is not a MaxMind DB')
    for (const [path, why] of [[join(dir, 'missing.mmdb'), /missing\.mmdb \(from --asn-db\) does not exist/], [corrupt, /corrupt\.mmdb .*not a readable MaxMind DB|corrupt/]] as const) {
      const run = await peers(['asn', 'lookup', '1.0.0.1', '--asn-db', path], { cwd: dir })
      assert.equal(run.code, 1)
      assert.equal(run.stdout, '')
      assert.equal(stderrLines(run).length, 1, run.stderr)
      assert.match(run.stderr, /\[PEERS_ASN_DB\]/)
      assert.match(run.stderr, why)
    }
  })

  test('lookup: no database anywhere is exit 1 with how to get one', async (t) => {
    const system = USUAL_ASN_DB_PLACES.filter((place) => place.startsWith('/') && existsSync(place))
    if (system.length > 0) {
      t.skip(`this machine has ${system.join(', ')}`)
      return
    }
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    const run = await peers(['asn', 'lookup', '1.0.0.1'], { cwd: empty })
    assert.equal(run.code, 1)
    assert.equal(stderrLines(run).length, 1, run.stderr)
    assert.match(run.stderr, /\[PEERS_ASN_DB\] no ASN database found: run `peers asn build`/)
  })

  test('build: CSVs -> mmdb that lookup reads; attribution printed', async () => {
    const source = join(dir, 'source')
    mkdirSync(source)
    writeFileSync(join(source, 'asn-ipv4.csv'), '1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n2.26.200.0,2.26.215.255,201907,"LLC ""SPUTNIK"""\n')
    writeFileSync(join(source, 'asn-ipv6.csv'), '2001:db8::,2001:db8::ffff,64501,Example IPv6\n')
    const out = join(dir, 'built', 'asn.mmdb')
    const run = await peers(['asn', 'build', '--source', source, '--out', out], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /wrote .*asn\.mmdb: 2 IPv4 \+ 1 IPv6 ranges/)
    assert.match(run.stdout, /CC BY 4\.0 by RouteViews .*DB-IP/)
    assert.ok(existsSync(out))
    const lookup = await peers(['asn', 'lookup', '2.26.201.7', '2001:db8::2', '--asn-db', out, '--json'], { cwd: dir })
    assert.equal(lookup.code, 0, lookup.stderr)
    assert.deepEqual(JSON.parse(lookup.stdout), [{ ip: '2.26.201.7', asn: 201907, org: 'LLC "SPUTNIK"' }, { ip: '2001:db8::2', asn: 64501, org: 'Example IPv6' }])
  })

  test('build --json: the summary; a missing source is exit 1 and one line', async () => {
    const missing = await peers(['asn', 'build', '--source', join(dir, 'no-such-dir'), '--out', join(dir, 'x.mmdb'), '--quiet'], { cwd: dir })
    assert.equal(missing.code, 1)
    assert.equal(stderrLines(missing).length, 1, missing.stderr)
    assert.match(missing.stderr, /\[PEERS_ASN_DB\] ASN source directory .*no-such-dir does not exist/)

    const source = join(dir, 'source-json')
    mkdirSync(source)
    writeFileSync(join(source, 'asn-ipv4.csv'), '9.0.0.0,9.0.0.10,64510,Nine\n')
    const run = await peers(['asn', 'build', '--source', source, '--out', join(dir, 'json.mmdb'), '--json', '--quiet'], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as Record<string, unknown>
    assert.equal(summary.path, join(dir, 'json.mmdb'))
    assert.equal(summary.ipv4Ranges, 1)
    assert.equal(summary.ipv6Ranges, 0)
    assert.equal(summary.records, 1)
    assert.match(String(summary.attribution), /CC BY 4\.0/)
  })
})
