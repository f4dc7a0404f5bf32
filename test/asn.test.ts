import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Reader } from 'maxmind'
import type { Logger } from '../src/contract.js'
import { AsnDatabaseError } from '../src/errors.js'
import { MmdbWriter, type MmdbRecord } from '../src/asn/mmdb-writer.js'
import { openAsnLookup, USUAL_ASN_DB_PLACES } from '../src/asn/lookup.js'
import { buildAsnDatabase, defaultAsnSourceDir } from '../src/asn/build.js'
import { parseCsv } from '../src/asn/csv.js'
import { ipv4FromMapped, ipv4ToNumber, ipv6ToBigInt } from '../src/net/ip.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const maxmindTestDb = resolve(repoRoot, '../shared/data/GeoLite2-ASN-Test.mmdb')

// ---- helpers, independent of the code under test ----

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

const v4 = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
/** Eight uncompressed groups: nothing for the parser under test to get clever about. */
const v6 = (n: bigint): string => Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':')
const asnRecord = (asn: number, org?: string): MmdbRecord =>
  org === undefined ? { autonomous_system_number: asn } : { autonomous_system_number: asn, autonomous_system_organization: org }

interface Range<T extends number | bigint> { start: T, end: T, record: MmdbRecord }

/** What the last inserted range holding `ip` says: later ranges win. */
function expected<T extends number | bigint> (ranges: Range<T>[], ip: T): { asn?: number, org?: string } {
  for (let i = ranges.length - 1; i >= 0; i--) {
    const r = ranges[i]
    if (r.start <= ip && ip <= r.end) {
      const org = r.record.autonomous_system_organization
      return org === undefined ? { asn: r.record.autonomous_system_number as number } : { asn: r.record.autonomous_system_number as number, org: org as string }
    }
  }
  return {}
}

function recordingLogger (): Logger & { lines: string[] } {
  const lines: string[] = []
  return { lines, debug: () => {}, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) }
}

function tempDir (t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'peers-asn-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function writeDb (path: string, v4Ranges: Range<number>[], v6Ranges: Range<bigint>[] = []): Buffer {
  const writer = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 'peers test database' } })
  for (const r of v4Ranges) writer.insertRange(v4(r.start), v4(r.end), r.record)
  for (const r of v6Ranges) writer.insertRange(v6(r.start), v6(r.end), r.record)
  const { buffer } = writer.toBuffer()
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, buffer)
  return buffer
}

const ORGS = ['Cloudflare, Inc.', 'LLC "SPUTNIK"', 'Zürich Netz AG', '日本電信電話株式会社', 'emoji 🛰️ uplink', 'a'.repeat(40), 'b'.repeat(300), undefined]

function randomRanges (random: () => number, seed: number): { v4Ranges: Range<number>[], v6Ranges: Range<bigint>[] } {
  // IPv4 inside 10.0.0.0/16 so random addresses often hit; odd, non-aligned bounds;
  // later ranges overlap earlier ones (some more specific, some wider).
  const base4 = 10 * 2 ** 24
  const v4Ranges: Range<number>[] = []
  for (let i = 0; i < 60; i++) {
    const start = base4 + Math.floor(random() * 65536)
    const length = 1 + Math.floor(random() * (i % 5 === 0 ? 20000 : 700))
    v4Ranges.push({ start, end: Math.min(start + length - 1, base4 + 65535), record: asnRecord(1 + (i * 7919) % 400000, ORGS[i % ORGS.length]) })
  }
  v4Ranges.push({ start: 0, end: 0, record: asnRecord(seed % 1000 + 1, 'first address') })
  v4Ranges.push({ start: 2 ** 32 - 3, end: 2 ** 32 - 1, record: asnRecord(4294967295, 'last addresses, max ASN') })
  // IPv6 inside 2001:db8::/32 with ranges that split deep in the 128 bits.
  const base6 = 0x20010db8n << 96n
  const v6Ranges: Range<bigint>[] = []
  for (let i = 0; i < 40; i++) {
    const start = base6 + (BigInt(Math.floor(random() * 2 ** 20)) << 76n) + BigInt(Math.floor(random() * 2 ** 30))
    const length = (BigInt(Math.floor(random() * 2 ** 18)) << 70n) + BigInt(Math.floor(random() * 1000)) + 1n
    v6Ranges.push({ start, end: start + length - 1n, record: asnRecord(64512 + i, ORGS[(i + 3) % ORGS.length]) })
  }
  return { v4Ranges, v6Ranges }
}

/** Range boundaries and their neighbours (where off-by-one errors live), and uniform draws. */
function randomAddresses<T extends number | bigint> (random: () => number, ranges: Range<T>[], uniform: () => T, step: (ip: T, delta: 1 | -1) => T, inSpace: (ip: T) => boolean, count: number): T[] {
  const out: T[] = []
  for (let i = 0; i < count; i++) {
    const r = ranges[Math.floor(random() * ranges.length)]
    out.push([r.start, r.end, step(r.start, -1), step(r.end, 1), uniform()][i % 5])
  }
  return out.filter(inSpace)
}

// ---- IP parsing ----

test('IP text parsing', () => {
  assert.equal(ipv4ToNumber('1.2.3.4'), 0x01020304)
  assert.equal(ipv4ToNumber('255.255.255.255'), 2 ** 32 - 1)
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.x', '']) assert.equal(ipv4ToNumber(bad), undefined, bad)
  assert.equal(ipv6ToBigInt('::'), 0n)
  assert.equal(ipv6ToBigInt('::1'), 1n)
  assert.equal(ipv6ToBigInt('2001:db8::'), 0x20010db8n << 96n)
  assert.equal(ipv6ToBigInt('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), (1n << 128n) - 1n)
  assert.equal(ipv6ToBigInt('::ffff:1.2.3.4'), (0xffffn << 32n) | 0x01020304n)
  for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::', '::1.2.3', ':1::']) assert.equal(ipv6ToBigInt(bad), undefined, bad)
  assert.equal(ipv4FromMapped('::ffff:1.2.3.4'), '1.2.3.4')
  assert.equal(ipv4FromMapped('::FFFF:102:304'), '1.2.3.4')
  assert.equal(ipv4FromMapped('0:0:0:0:0:ffff:0a00:0001'), '10.0.0.1')
  assert.equal(ipv4FromMapped('::1.2.3.4'), undefined)
  assert.equal(ipv4FromMapped('2001:db8::ffff:1.2.3.4'), undefined)
})

// ---- the writer, read back by the reader we ship ----

test('writer: random IPv4/IPv6 ranges read back as a brute-force range scan says', async (t) => {
  const dir = tempDir(t)
  for (const seed of [1, 2, 3, 20240611]) {
    const random = prng(seed)
    const { v4Ranges, v6Ranges } = randomRanges(random, seed)
    const path = join(dir, `random-${seed}.mmdb`)
    const buffer = writeDb(path, v4Ranges, v6Ranges)
    const reader = new Reader<MmdbRecord>(buffer)
    const asn = await openAsnLookup({ path, log: recordingLogger() })
    assert.ok(asn)

    const ipv4s = randomAddresses(random, v4Ranges, () => Math.floor(random() * 2 ** 32), (ip, d) => ip + d, (ip) => ip >= 0 && ip < 2 ** 32, 3000)
    for (const ip of ipv4s) {
      const want = expected(v4Ranges, ip)
      assert.deepEqual(asn.lookup(v4(ip)), want, `seed ${seed}: ${v4(ip)}`)
      // IPv4-mapped (dotted and hex) and 6to4 reach the same data, through the lookup and through the tree's aliases.
      const mappedHex = `::ffff:${(ip >>> 16).toString(16)}:${(ip & 0xffff).toString(16)}`
      assert.deepEqual(asn.lookup(`::ffff:${v4(ip)}`), want, `seed ${seed}: mapped ${v4(ip)}`)
      assert.deepEqual(asn.lookup(mappedHex), want, `seed ${seed}: ${mappedHex}`)
      const viaReader = (text: string): number | undefined => reader.get(text)?.autonomous_system_number as number | undefined
      assert.equal(viaReader(mappedHex), want.asn, `seed ${seed}: alias ${mappedHex}`)
      assert.equal(viaReader(`2002:${(ip >>> 16).toString(16)}:${(ip & 0xffff).toString(16)}::1`), want.asn, `seed ${seed}: 6to4 ${v4(ip)}`)
    }
    const ipv6s = randomAddresses(random, v6Ranges, () => (0x20010db8n << 96n) + (BigInt(Math.floor(random() * 2 ** 24)) << 72n), (ip, d) => ip + BigInt(d), () => true, 2000)
    for (const ip of ipv6s) assert.deepEqual(asn.lookup(v6(ip)), expected(v6Ranges, ip), `seed ${seed}: ${v6(ip)}`)
    assert.ok(ipv4s.some((ip) => expected(v4Ranges, ip).asn !== undefined) && ipv4s.some((ip) => expected(v4Ranges, ip).asn === undefined), 'the sample covers hits and misses')
  }
})

test('writer: metadata, record size 24, adjacent blocks of one record merge', () => {
  const record = asnRecord(13335, 'Cloudflare, Inc.')
  const writer = new MmdbWriter({ databaseType: 'peers-ASN', description: { en: 'english', de: 'deutsch' }, buildEpoch: 1700000000 })
  // Two halves of 1.0.0.0/24, inserted separately: one /24 in the tree.
  writer.insertRange('1.0.0.0', '1.0.0.127', record)
  writer.insertRange('1.0.0.128', '1.0.0.255', record)
  const { buffer, stats } = writer.toBuffer()
  const reader = new Reader(buffer)
  assert.equal(reader.metadata.binaryFormatMajorVersion, 2)
  assert.equal(reader.metadata.binaryFormatMinorVersion, 0)
  assert.equal(reader.metadata.ipVersion, 6)
  assert.equal(reader.metadata.recordSize, 24)
  assert.equal(reader.metadata.nodeCount, stats.nodeCount)
  assert.equal(reader.metadata.databaseType, 'peers-ASN')
  assert.deepEqual(reader.metadata.languages, ['en', 'de'])
  assert.deepEqual(reader.metadata.description, { en: 'english', de: 'deutsch' })
  assert.equal(reader.metadata.buildEpoch.getTime(), 1700000000 * 1000)
  const [found, prefixLength] = reader.getWithPrefixLength('1.0.0.200')
  assert.deepEqual(found, record)
  assert.equal(prefixLength, 24)
  assert.equal(stats.records, 1)
  // Tree, 16-byte separator, data, marker, metadata.
  const treeBytes = stats.nodeCount * 6
  assert.deepEqual(buffer.subarray(treeBytes, treeBytes + 16), Buffer.alloc(16))
  assert.equal(buffer.lastIndexOf(Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1')), treeBytes + 16 + stats.dataBytes)
  assert.throws(() => writer.insertRange('2.0.0.0', '2.0.0.1', record), /after toBuffer/)
})

test('writer: later inserts win, also over more specific earlier ones', () => {
  const writer = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 't' } })
  writer.insertRange('20.0.0.0', '20.0.0.255', asnRecord(1))
  writer.insertRange('20.0.0.64', '20.0.0.66', asnRecord(2)) // more specific, later: wins inside
  writer.insertRange('20.0.1.0', '20.0.1.0', asnRecord(3))
  writer.insertRange('20.0.0.0', '20.0.1.255', asnRecord(4)) // wider, later: wins over 3
  writer.insertRange('20.0.0.65', '20.0.0.65', asnRecord(5))
  const reader = new Reader<MmdbRecord>(writer.toBuffer().buffer)
  const asnOf = (ip: string): unknown => reader.get(ip)?.autonomous_system_number
  assert.deepEqual(['20.0.0.1', '20.0.0.64', '20.0.0.65', '20.0.0.66', '20.0.1.0', '20.0.2.0'].map(asnOf), [4, 4, 5, 4, 4, undefined])
})

test('writer: rejects bad ranges and values', () => {
  const writer = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 't' } })
  assert.throws(() => writer.insertRange('1.0.0.9', '1.0.0.1', asnRecord(1)), RangeError)
  assert.throws(() => writer.insertRange('1.0.0.1', '::1', asnRecord(1)), RangeError)
  assert.throws(() => writer.insertRange('nope', 'nope', asnRecord(1)), RangeError)
  writer.insertRange('1.0.0.0', '1.0.0.0', asnRecord(-1))
  assert.throws(() => writer.toBuffer(), /not an unsigned 32-bit integer/)
})

test('writer: long strings, repeated strings as pointers of every size, 28-bit records', async (t) => {
  // ~700 kB of distinct organisations pushes later offsets past the 2-byte and 3-byte
  // pointer ranges; the second pass reuses each organisation under another ASN.
  const writer = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 't' } })
  const ranges: Range<number>[] = []
  const orgOf = (i: number): string => `Organisation ${i}, "quoted" – ${'x'.repeat(200 + (i % 97))}`
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < 3000; i++) {
      const start = (30 + pass) * 2 ** 24 + i * 256 + (i % 7)
      ranges.push({ start, end: start + 200 + (i % 50), record: asnRecord(pass * 100000 + i, orgOf(i)) })
    }
  }
  // Sizes past each control-byte length step: 29, 285, 65821 bytes.
  const huge = ['h'.repeat(29), 'i'.repeat(285), 'j'.repeat(65821 + 5)]
  huge.forEach((org, i) => ranges.push({ start: 40 * 2 ** 24 + i, end: 40 * 2 ** 24 + i, record: asnRecord(7, org) }))
  for (const r of ranges) writer.insertRange(v4(r.start), v4(r.end), r.record)
  const { buffer, stats } = writer.toBuffer()
  assert.equal(stats.recordSize, 24)
  assert.ok(stats.dataBytes > 526336 + 65821, `data section ${stats.dataBytes} bytes`)
  // The second pass costs a pointer per organisation, not the string again.
  assert.ok(stats.dataBytes < 3000 * 2 * 200, `data section ${stats.dataBytes} bytes`)
  const dir = tempDir(t)
  writeFileSync(join(dir, 'pointers.mmdb'), buffer)
  const asn = await openAsnLookup({ path: join(dir, 'pointers.mmdb'), log: recordingLogger() })
  assert.ok(asn)
  const random = prng(7)
  for (let i = 0; i < 4000; i++) {
    const r = ranges[Math.floor(random() * ranges.length)]
    const ip = r.start + Math.floor(random() * (r.end - r.start + 1))
    assert.deepEqual(asn.lookup(v4(ip)), expected(ranges, ip), v4(ip))
  }

  // Over 2^24 bytes of data: record values no longer fit 24 bits.
  const big = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 't' } })
  const bigRanges: Range<number>[] = []
  for (let i = 0; i < 20; i++) {
    // Neighbouring /32s, so nodes have data on both sides (left and right 28-bit records).
    bigRanges.push({ start: 50 * 2 ** 24 + i, end: 50 * 2 ** 24 + i, record: asnRecord(1000 + i, `${i}`.padEnd(1_000_000, '.')) })
  }
  for (const r of bigRanges) big.insertRange(v4(r.start), v4(r.end), r.record)
  const bigDb = big.toBuffer()
  assert.equal(bigDb.stats.recordSize, 28)
  const bigReader = new Reader<MmdbRecord>(bigDb.buffer)
  assert.equal(bigReader.metadata.recordSize, 28)
  for (const r of bigRanges) assert.equal(bigReader.get(v4(r.start))?.autonomous_system_number, r.record.autonomous_system_number)
  assert.equal(bigReader.get(v4(50 * 2 ** 24 + 20)), null)
})

test('writer: pointers to strings at the boundaries of each pointer size', () => {
  // Records are encoded in tree order; one-entry maps at consecutive /32s are encoded in
  // address order, so a filler record can place a string at an exact data offset. A later
  // record then refers to that string by pointer.
  const headerSize = (length: number): number => length < 29 ? 1 : length < 285 ? 2 : length < 65821 ? 3 : 4
  for (const at of [2047, 2048, 526335, 526336]) {
    // { f: filler } takes 1 (map) + 2 (key) + header + length bytes; { t: text } then spends 3 bytes before its string.
    const fillerBytes = at - 3
    let length = fillerBytes - 4
    while (3 + headerSize(length) + length > fillerBytes) length--
    assert.equal(3 + headerSize(length) + length, fillerBytes, `filler for ${at}`)
    const text = `target at ${at}`
    const records: MmdbRecord[] = [{ f: '-'.repeat(length) }, { t: text }, { again: text }]
    const writer = new MmdbWriter({ databaseType: 'test', description: { en: 't' } })
    records.forEach((record, i) => writer.insertRange(v4(0x3c000000 + 2 * i), v4(0x3c000000 + 2 * i), record))
    const { buffer, stats } = writer.toBuffer()
    const dataStart = stats.nodeCount * 6 + 16
    assert.equal(buffer.toString('utf8', dataStart + at + 1, dataStart + at + 1 + text.length), text, `string placed at ${at}`)
    assert.deepEqual(new Reader<MmdbRecord>(buffer).get(v4(0x3c000000 + 4)), { again: text }, `pointer to ${at}`)
    // The repeat is a pointer (2, 3 or 4 bytes after the 1-byte map and 6-byte key), not the string again.
    assert.equal(stats.dataBytes, at + 1 + text.length + 7 + (at < 2048 ? 2 : at < 526336 ? 3 : 4), `data section for ${at}`)
  }
})

test('writer: without aliases, the lookup still maps ::ffff:a.b.c.d to IPv4', async (t) => {
  const writer = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 't' }, aliasIpv4: false })
  writer.insertRange('1.2.3.0', '1.2.3.255', asnRecord(64496, 'mapped'))
  const { buffer } = writer.toBuffer()
  assert.equal(new Reader(buffer).get('::ffff:1.2.3.4'), null, 'no alias in the tree')
  const path = join(tempDir(t), 'no-alias.mmdb')
  writeFileSync(path, buffer)
  const asn = await openAsnLookup({ path, log: recordingLogger() })
  for (const ip of ['::ffff:1.2.3.4', '::FFFF:102:304', '0:0:0:0:0:ffff:0102:0304']) assert.deepEqual(asn?.lookup(ip), { asn: 64496, org: 'mapped' }, ip)
  assert.deepEqual(asn?.lookup('2001:db8::ffff:102:304'), {})
})

test('writer: an empty database is valid and finds nothing', () => {
  const reader = new Reader(new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 't' } }).toBuffer().buffer)
  assert.equal(reader.get('1.2.3.4'), null)
  assert.equal(reader.get('2001:db8::1'), null)
})

// ---- CSV ----

test('CSV: quotes, doubled quotes, commas, CRLF, line breaks in quotes, no final newline', () => {
  const rows: [string[], number][] = []
  parseCsv('a,b,"c, d"\r\n1,2,"LLC ""SPUTNIK"""\n\n"multi\nline",x,\n"",last', (fields, line) => rows.push([fields, line]))
  assert.deepEqual(rows, [
    [['a', 'b', 'c, d'], 1],
    [['1', '2', 'LLC "SPUTNIK"'], 2],
    [['multi\nline', 'x', ''], 4],
    [['', 'last'], 6]
  ])
  assert.throws(() => parseCsv('a,"open\n', () => {}), /line 1: unterminated/)
  assert.throws(() => parseCsv('ok\n"x"y,1\n', () => {}), /line 2: unexpected text after a quoted field/)
})

test('build: CSV source -> mmdb, read back through openAsnLookup', async (t) => {
  const dir = tempDir(t)
  const source = join(dir, 'source')
  mkdirSync(source)
  const v4Rows: [string, string, number, string | undefined][] = [
    ['1.0.0.0', '1.0.0.255', 13335, 'Cloudflare, Inc.'],
    ['2.26.200.0', '2.26.215.255', 201907, 'LLC "SPUTNIK"'],
    ['5.0.0.3', '5.0.1.17', 64500, 'Zürich, "Netz" AG'],
    ['6.0.0.0', '6.0.0.9', 64501, undefined]
  ]
  const csvField = (s: string): string => /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
  const lines = v4Rows.map(([s, e, asn, org]) => [s, e, String(asn), ...(org === undefined ? [] : [csvField(org)])].join(','))
  writeFileSync(join(source, 'asn-ipv4.csv'), ['ip_range_start,ip_range_end,as_number,as_organization', ...lines, '7.0.0.0,7.0.0.1,notanumber,Bad', '8.0.0.0,7.0.0.0,1,Reversed'].join('\r\n') + '\r\n')
  writeFileSync(join(source, 'asn-ipv6.csv'), '2001:db8::,2001:db8::ffff,64502,"IPv6, Inc."\n2001:db8:1::5,2001:db8:1::5,64503,one address\n')
  const log = recordingLogger()
  const out = join(dir, 'out', 'asn.mmdb')
  const summary = await buildAsnDatabase({ sourceDir: source, outPath: out, log })
  assert.equal(summary.ipv4Ranges, 4)
  assert.equal(summary.ipv6Ranges, 2)
  assert.equal(summary.skippedRows, 2)
  assert.equal(summary.bytes, readFileSync(out).length)
  assert.match(summary.attribution, /CC BY 4\.0.*RouteViews.*DB-IP/)
  assert.equal(log.lines.filter((l) => l.startsWith('warn') && /asn-ipv4\.csv:\d+: skipped/.test(l)).length, 2)

  const asn = await openAsnLookup({ path: out, log: recordingLogger() })
  assert.ok(asn)
  for (const [start, end, number, org] of v4Rows) {
    const want = org === undefined ? { asn: number } : { asn: number, org }
    const [s, e] = [start, end].map((ip) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0))
    for (const ip of [s, e, Math.floor((s + e) / 2)]) assert.deepEqual(asn.lookup(v4(ip)), want, v4(ip))
    assert.deepEqual(asn.lookup(v4(s - 1)), {}, v4(s - 1))
    assert.deepEqual(asn.lookup(v4(e + 1)), {}, v4(e + 1))
  }
  assert.deepEqual(asn.lookup('2001:db8::ffff'), { asn: 64502, org: 'IPv6, Inc.' })
  assert.deepEqual(asn.lookup('2001:db8::1:0'), {})
  assert.deepEqual(asn.lookup('2001:db8:1::5'), { asn: 64503, org: 'one address' })
  assert.deepEqual(asn.lookup('2001:db8:1::6'), {})
})

test('build: the installed @ip-location-db/asn data, sampled against its numeric CSVs', async (t) => {
  const source = defaultAsnSourceDir()
  if (source === undefined) {
    t.skip('@ip-location-db/asn is not installed')
    return
  }
  const out = join(tempDir(t), 'asn.mmdb')
  const summary = await buildAsnDatabase({ sourceDir: source, outPath: out, log: recordingLogger() })
  const asn = await openAsnLookup({ path: out, log: recordingLogger() })
  assert.ok(asn)
  // The -num files hold the same rows with integer bounds: read them with a plain regex.
  const rowsOf = (name: string): Range<bigint>[] => readFileSync(join(source, name), 'utf8').split('\n').filter((line) => line !== '').map((line) => {
    const [, start, end, number, quotedOrg] = /^(\d+),(\d+),(\d+),?(.*)$/.exec(line) ?? assert.fail(line)
    const org = quotedOrg.startsWith('"') ? quotedOrg.slice(1, -1).replaceAll('""', '"') : quotedOrg
    return { start: BigInt(start), end: BigInt(end), record: asnRecord(Number(number), org === '' ? undefined : org) }
  })
  const random = prng(42)
  for (const [name, family, count] of [['asn-ipv4-num.csv', 4, summary.ipv4Ranges], ['asn-ipv6-num.csv', 6, summary.ipv6Ranges]] as const) {
    const rows = rowsOf(name)
    assert.equal(rows.length, count, name)
    // Rows are sorted by start; the few overlaps resolve to the later row, as in the build.
    const maxEndSoFar: bigint[] = []
    rows.forEach((r, i) => maxEndSoFar.push(i === 0 || r.end > maxEndSoFar[i - 1] ? r.end : maxEndSoFar[i - 1]))
    const want = (ip: bigint): { asn?: number, org?: string } => {
      let lo = 0
      let hi = rows.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        if (rows[mid].start <= ip) lo = mid + 1
        else hi = mid - 1
      }
      for (let i = hi; i >= 0 && maxEndSoFar[i] >= ip; i--) if (rows[i].end >= ip) return expected([rows[i]], ip)
      return {}
    }
    for (let i = 0; i < 20000; i++) {
      const r = rows[Math.floor(random() * rows.length)]
      const span = r.end - r.start + 1n
      const ip = [r.start, r.end, r.start - 1n, r.end + 1n, r.start + BigInt(Math.floor(random() * 2 ** 31)) % span][i % 5]
      const text = family === 4 ? v4(Number(ip)) : v6(ip)
      if (ip < 0n || (family === 4 && ip >= 2n ** 32n) || (family === 6 && ip >> 112n === 0x2002n)) continue // 2002::/16 is the 6to4 alias
      assert.deepEqual(asn.lookup(text), want(ip), text)
    }
  }
})

test('build: a missing source is one clear error', async (t) => {
  const dir = tempDir(t)
  await assert.rejects(buildAsnDatabase({ sourceDir: join(dir, 'nope'), outPath: join(dir, 'a.mmdb'), log: recordingLogger() }),
    (err: unknown) => err instanceof AsnDatabaseError && /does not exist/.test(err.message) && !err.message.includes('\n'))
  await assert.rejects(buildAsnDatabase({ sourceDir: dir, outPath: join(dir, 'a.mmdb'), log: recordingLogger() }),
    (err: unknown) => err instanceof AsnDatabaseError && /neither asn-ipv4\.csv nor asn-ipv6\.csv/.test(err.message))
  assert.equal(existsSync(join(dir, 'a.mmdb')), false)
})

// ---- openAsnLookup: resolution order, errors, non-IP hosts ----

test('openAsnLookup: --asn-db > PEERS_ASN_DB > usual places, a warning when there is none', async (t) => {
  const dir = tempDir(t)
  const at = (name: string, asn: number): string => {
    const path = join(dir, name)
    writeDb(path, [{ start: 0x01020300, end: 0x010203ff, record: asnRecord(asn) }])
    return path
  }
  const flagDb = at('flag.mmdb', 1)
  const envDb = at('env.mmdb', 2)
  const places = ['GeoLite2-ASN.mmdb', 'output/GeoLite2-ASN.mmdb', 'output/asn.mmdb']
  const usualDb = at('output/asn.mmdb', 3)
  const env = { PEERS_ASN_DB: envDb }
  const open = async (options: { path?: string, env?: NodeJS.ProcessEnv }): Promise<{ path?: string, asn?: number, lines: string[] }> => {
    const log = recordingLogger()
    const asn = await openAsnLookup({ ...options, log, cwd: dir, places, env: options.env ?? {} })
    return { path: asn?.path, asn: asn?.lookup('1.2.3.4').asn, lines: log.lines }
  }
  assert.deepEqual(await open({ path: 'flag.mmdb', env }), { path: flagDb, asn: 1, lines: [] })
  assert.deepEqual(await open({ env }), { path: envDb, asn: 2, lines: [] })
  assert.deepEqual(await open({}), { path: usualDb, asn: 3, lines: [] })
  const firstPlace = at('GeoLite2-ASN.mmdb', 4)
  assert.deepEqual(await open({}), { path: firstPlace, asn: 4, lines: [] })

  const empty = tempDir(t)
  const log = recordingLogger()
  assert.equal(await openAsnLookup({ log, cwd: empty, places, env: {} }), undefined)
  assert.equal(log.lines.length, 1)
  assert.match(log.lines[0], /^warn no usable ASN database found \(looked in .*output\/asn\.mmdb\).*peers asn build.*GeoLite2-ASN/)

  // The defaults are the documented places.
  assert.deepEqual(USUAL_ASN_DB_PLACES, ['GeoLite2-ASN.mmdb', 'output/GeoLite2-ASN.mmdb', 'output/asn.mmdb', '/usr/share/GeoIP/GeoLite2-ASN.mmdb', '/var/lib/GeoIP/GeoLite2-ASN.mmdb'])
})

test('openAsnLookup: a missing or corrupt named database throws AsnDatabaseError; a corrupt usual one is skipped', async (t) => {
  const dir = tempDir(t)
  const good = join(dir, 'good.mmdb')
  const goodBytes = writeDb(good, [{ start: 0x01020300, end: 0x010203ff, record: asnRecord(9) }])
  const corrupt: Record<string, Buffer> = {
    'empty.mmdb': Buffer.alloc(0),
    'random.mmdb': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)),
    'gzip.mmdb': Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
    // The metadata survives, but the tree it describes is gone.
    'truncated.mmdb': Buffer.concat([Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), goodBytes.subarray(goodBytes.lastIndexOf(Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1')) + 14)])
  }
  for (const [name, bytes] of Object.entries(corrupt)) writeFileSync(join(dir, name), bytes)
  const isOneLineAsnError = (pattern: RegExp) => (err: unknown): boolean => err instanceof AsnDatabaseError && err.code === 'PEERS_ASN_DB' && pattern.test(err.message) && !err.message.includes('\n')
  await assert.rejects(openAsnLookup({ path: join(dir, 'missing.mmdb'), log: recordingLogger(), env: {} }), isOneLineAsnError(/missing\.mmdb \(from --asn-db\) does not exist/))
  await assert.rejects(openAsnLookup({ log: recordingLogger(), env: { PEERS_ASN_DB: join(dir, 'missing.mmdb') } }), isOneLineAsnError(/from PEERS_ASN_DB\) does not exist/))
  await assert.rejects(openAsnLookup({ path: dir, log: recordingLogger(), env: {} }), isOneLineAsnError(/is not a file/))
  for (const name of Object.keys(corrupt)) {
    await assert.rejects(openAsnLookup({ path: join(dir, name), log: recordingLogger(), env: {} }), isOneLineAsnError(new RegExp(`${name}.*(not a readable MaxMind DB|corrupt)`)), name)
  }
  const log = recordingLogger()
  const asn = await openAsnLookup({ log, cwd: dir, env: {}, places: ['random.mmdb', 'good.mmdb'] })
  assert.equal(asn?.path, good)
  assert.equal(asn?.lookup('1.2.3.4').asn, 9)
  assert.equal(log.lines.length, 1)
  assert.match(log.lines[0], /^warn .*random\.mmdb.*trying the next place/)
})

test('openAsnLookup: non-IP hosts give {}, a rebuilt file is read again', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'asn.mmdb')
  writeDb(path, [{ start: 0, end: 2 ** 32 - 1, record: asnRecord(1, 'everything') }])
  const asn = await openAsnLookup({ path, log: recordingLogger() })
  assert.ok(asn)
  for (const host of ['abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion', 'ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p', '', 'example.com', '1.2.3', '1.2.3.4:8333']) {
    assert.deepEqual(asn.lookup(host), {}, host)
  }
  assert.deepEqual(asn.lookup('9.9.9.9'), { asn: 1, org: 'everything' })
  writeDb(path, [{ start: 0, end: 2 ** 32 - 1, record: asnRecord(2, 'rebuilt with a longer organisation') }])
  assert.deepEqual((await openAsnLookup({ path, log: recordingLogger() }))?.lookup('9.9.9.9'), { asn: 2, org: 'rebuilt with a longer organisation' })
})

test('openAsnLookup: a damaged record gives {} and one warning, not an exception', async (t) => {
  const writer = new MmdbWriter({ databaseType: 'GeoLite2-ASN', description: { en: 't' } })
  writer.insertRange('1.2.3.0', '1.2.3.255', asnRecord(1, 'soon damaged'))
  const { buffer, stats } = writer.toBuffer()
  // An extended-type control byte naming type 7: invalid, the decoder throws.
  const dataStart = stats.nodeCount * 6 + 16
  buffer[dataStart] = 0
  buffer[dataStart + 1] = 0
  const path = join(tempDir(t), 'damaged.mmdb')
  writeFileSync(path, buffer)
  const log = recordingLogger()
  const asn = await openAsnLookup({ path, log })
  assert.deepEqual(asn?.lookup('1.2.3.4'), {})
  assert.deepEqual(asn?.lookup('1.2.3.5'), {})
  assert.deepEqual(asn?.lookup('9.9.9.9'), {})
  assert.equal(log.lines.length, 1)
  assert.match(log.lines[0], /^warn ASN database .*damaged\.mmdb: lookup of 1\.2\.3\.4 failed/)
})

test("MaxMind's GeoLite2-ASN test database", async (t) => {
  if (!existsSync(maxmindTestDb)) {
    t.skip(`${maxmindTestDb} is absent (it comes with the shared data folder)`)
    return
  }
  const asn = await openAsnLookup({ path: maxmindTestDb, log: recordingLogger() })
  assert.ok(asn)
  assert.deepEqual(asn.lookup('1.0.0.1'), { asn: 15169, org: 'Google Inc.' })
  assert.deepEqual(asn.lookup('1.128.0.1'), { asn: 1221, org: 'Telstra Pty Ltd' })
  assert.deepEqual(asn.lookup('12.81.92.1'), { asn: 7018, org: 'AT&T Services' })
  assert.deepEqual(asn.lookup('12.81.96.1'), { asn: 7018 })
  assert.deepEqual(asn.lookup('::ffff:1.128.0.1'), { asn: 1221, org: 'Telstra Pty Ltd' })
  assert.deepEqual(asn.lookup('127.0.0.1'), {})
})
