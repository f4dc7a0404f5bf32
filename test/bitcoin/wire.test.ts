// Golden vectors, each from a public source: the verack frames from 22388o/bitcodec-bitcoin-p2p
// (tests/data/verack_message.ts) and chaintope/bitcoinrb (spec/bitcoin/message/verack_spec.rb),
// the version payload from rust-bitcoin (p2p/message_network.rs, version_message_test), the
// addrv2 addresses from Bitcoin Core's src/test/net_tests.cpp and the addrv2 payload and
// checksums from its test/functional/p2p_invalid_messages.py. Frames built by hand for every
// network, and one assertion per hostile case.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { DecodeError } from '../../src/errors.js'
import { BITCOIN_NETWORKS, MAX_PAYLOAD } from '../../adapters/bitcoin/params.js'
import {
  FrameParser, Reader, checksum, decodePayload, encodeFrame, encodePayload,
  type BitcoinMessage, type ParsedFrame
} from '../../adapters/bitcoin/wire/index.js'
import { pubkeyFromOnion } from '../../src/net/ip.js'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const MAINNET = hex('f9beb4d9')
const TESTNET3 = hex('0b110907')
const TIME = 'e6e08453' // any u32 LE time

/** A frame assembled by hand: magic | name padded | length | sha256d[0:4] via node:crypto | payload. */
function handFrame (magic: Uint8Array, name: string, payload: Uint8Array, sum?: Uint8Array): Uint8Array {
  const command = Buffer.alloc(12)
  command.write(name, 'latin1')
  const length = Buffer.alloc(4)
  length.writeUInt32LE(payload.length)
  const digest = sum ?? createHash('sha256').update(createHash('sha256').update(payload).digest()).digest().subarray(0, 4)
  return Buffer.concat([magic, command, length, digest, payload])
}

function decodeError (fn: () => unknown): DecodeError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a DecodeError')
}

function rejects (command: string, payload: Uint8Array, reason: string): void {
  const err = decodeError(() => decodePayload(command, payload))
  assert.equal(err.reason, reason, err.message)
  assert.equal(err.fatal, false)
}

function only (items: ParsedFrame[]): ParsedFrame {
  assert.equal(items.length, 1, JSON.stringify(items.map((i) => i.kind === 'error' ? i.error.reason : i.message.command)))
  return items[0]
}

function errorOf (item: ParsedFrame): DecodeError {
  assert.equal(item.kind, 'error')
  return (item as { error: DecodeError }).error
}

describe('golden vectors', () => {
  test('checksums: empty payload 5df6e0e2, 01 64 78df0a04', () => {
    assert.equal(toHex(checksum(new Uint8Array(0))), '5df6e0e2')
    assert.equal(toHex(checksum(hex('0164'))), '78df0a04')
  })

  test('mainnet and testnet3 verack frames', () => {
    assert.equal(toHex(encodeFrame(MAINNET, { command: 'verack' })), 'f9beb4d976657261636b000000000000000000005df6e0e2')
    assert.equal(toHex(encodeFrame(TESTNET3, { command: 'verack' })), '0b11090776657261636b000000000000000000005df6e0e2')
  })

  test('rust-bitcoin version payload, field by field', () => {
    const payload = hex('721101000100000000000000e6e0845300000000010000000000000000000000000000000000ffff0000000000000100000000000000fd87d87eeb4364f22cf54dca59412db7208d47d920cffce83ee8102f5361746f7368693a302e392e39392f2c9f040001')
    const msg = decodePayload('version', payload)
    assert.equal(msg.command, 'version')
    const v = (msg as Extract<BitcoinMessage, { command: 'version' }>).payload
    assert.equal(v.version, 70002)
    assert.equal(v.services, 1n)
    assert.equal(v.timestamp, 1401217254n)
    assert.deepEqual(v.addrRecv, { services: 1n, host: '0.0.0.0', port: 0 })
    assert.deepEqual(v.addrFrom, { services: 1n, host: 'fd87:d87e:eb43:64f2:2cf5:4dca:5941:2db7', port: 8333 })
    assert.equal(v.nonce, 16735069437859780935n)
    assert.equal(v.userAgent, '/Satoshi:0.9.99/')
    assert.equal(v.startHeight, 302892)
    assert.equal(v.relay, true)
    assert.equal(toHex(encodePayload(msg)), toHex(payload))
  })

  const entry = (body: string): string => `${TIME}01${body}`
  test('addrv2 TorV3, I2P and CJDNS examples (Core net_tests)', () => {
    const msg = decodePayload('addrv2', hex(`03
      ${entry('0420 79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f 208d')}
      ${entry('0520 a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87 0000')}
      ${entry('0610 fc000001000200030004000500060007 208d')}`))
    assert.deepEqual(msg, {
      command: 'addrv2',
      skipped: 0,
      addresses: [
        { time: 0x5384e0e6, services: 1n, type: 'onion', host: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion', port: 8333 },
        { time: 0x5384e0e6, services: 1n, type: 'i2p', host: 'ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p', port: 0 },
        { time: 0x5384e0e6, services: 1n, type: 'cjdns', host: 'fc00:1:2:3:4:5:6:7', port: 8333 }
      ]
    })
  })

  test('addrv2 IPv6 carrying ::ffff:1.2.3.4 is invalid: skipped', () => {
    const msg = decodePayload('addrv2', hex(`01 ${entry('0210 00000000000000000000ffff01020304 208d')}`))
    assert.deepEqual(msg, { command: 'addrv2', addresses: [], skipped: 1 })
  })

  test('whole addrv2 payload with an unknown network yields only 9.9.9.9:8333', () => {
    const msg = decodePayload('addrv2', hex(`02 ${entry('9902abab208d')} ${entry('010409090909208d')}`))
    assert.deepEqual(msg, { command: 'addrv2', skipped: 1, addresses: [{ time: 0x5384e0e6, services: 1n, type: 'ipv4', host: '9.9.9.9', port: 8333 }] })
  })
})

describe('frames built by hand, every network', () => {
  for (const net of BITCOIN_NETWORKS) {
    test(`${net.name}: verack, ping and sendaddrv2 match encodeFrame and parse back`, () => {
      const ping = hex('0102030405060708')
      const cases: Array<[BitcoinMessage, Uint8Array]> = [
        [{ command: 'verack' }, handFrame(net.magic, 'verack', new Uint8Array(0))],
        [{ command: 'ping', nonce: 0x0807060504030201n }, handFrame(net.magic, 'ping', ping)],
        [{ command: 'sendaddrv2' }, handFrame(net.magic, 'sendaddrv2', new Uint8Array(0))]
      ]
      for (const [msg, frame] of cases) {
        assert.equal(toHex(encodeFrame(net.magic, msg)), toHex(frame))
        const item = only(new FrameParser(net.magic).push(frame))
        assert.deepEqual(item, { kind: 'message', message: msg, bytes: frame.length })
      }
    })
  }

  test('several frames in one chunk, and one split across chunks', () => {
    const a = handFrame(MAINNET, 'verack', new Uint8Array(0))
    const b = handFrame(MAINNET, 'pong', hex('ffffffffffffffff'))
    const stream = Buffer.concat([a, b, a])
    const parser = new FrameParser(MAINNET)
    const first = parser.push(stream.subarray(0, 30))
    assert.equal(first.length, 1)
    assert.equal(parser.bufferedBytes, 6)
    const rest = parser.push(stream.subarray(30))
    assert.deepEqual(rest.map((i) => i.kind === 'message' && i.message), [{ command: 'pong', nonce: 2n ** 64n - 1n }, { command: 'verack' }])
    assert.equal(parser.bufferedBytes, 0)
  })

  test('an unknown well-formed command is passed on as other', () => {
    const item = only(new FrameParser(MAINNET).push(handFrame(MAINNET, 'feefilter', hex('e803000000000000'))))
    assert.deepEqual(item, { kind: 'message', message: { command: 'other', name: 'feefilter', payload: hex('e803000000000000') }, bytes: 32 })
  })
})

describe('hostile frames', () => {
  test('oversized-payload: fatal from the header alone, body never buffered', () => {
    const header = new Uint8Array(handFrame(MAINNET, 'addr', new Uint8Array(0)))
    new DataView(header.buffer).setUint32(16, MAX_PAYLOAD + 1, true)
    const parser = new FrameParser(MAINNET)
    const err = errorOf(only(parser.push(header)))
    assert.equal(err.reason, 'oversized-payload')
    assert.equal(err.fatal, true)
    assert.equal(parser.failed, true)
    assert.equal(parser.bufferedBytes, 0)
    assert.deepEqual(parser.push(new Uint8Array(1000)), [])
    assert.equal(parser.bufferedBytes, 0)
  })

  test('oversized-payload honours options.maxPayload; exactly the limit is fine', () => {
    const parser = new FrameParser(MAINNET, { maxPayload: 8 })
    assert.equal(only(parser.push(handFrame(MAINNET, 'ping', new Uint8Array(8)))).kind, 'message')
    assert.equal(errorOf(only(parser.push(handFrame(MAINNET, 'ping', new Uint8Array(9))))).reason, 'oversized-payload')
  })

  test('bad-magic: another network\'s frame is fatal, seen from its first byte', () => {
    const parser = new FrameParser(MAINNET)
    const err = errorOf(only(parser.push(TESTNET3.subarray(0, 1))))
    assert.equal(err.reason, 'bad-magic')
    assert.equal(err.fatal, true)
    assert.deepEqual(parser.push(handFrame(MAINNET, 'verack', new Uint8Array(0))), [])
  })

  test('bad-checksum: dropped, not fatal, the next frame still decodes', () => {
    const bad = handFrame(MAINNET, 'ping', new Uint8Array(8), hex('00000000'))
    const good = handFrame(MAINNET, 'verack', new Uint8Array(0))
    const parser = new FrameParser(MAINNET)
    const items = [...parser.push(bad), ...parser.push(good)]
    assert.equal(items.length, 2)
    assert.equal(errorOf(items[0]).reason, 'bad-checksum')
    assert.equal(errorOf(items[0]).fatal, false)
    assert.deepEqual(items[1], { kind: 'message', message: { command: 'verack' }, bytes: 24 })
    assert.equal(parser.failed, false)
  })

  for (const [label, name] of [['a non-printable byte', 'ver\x01ack'], ['bytes after the NUL', 'verack\0x'], ['DEL (0x7f)', 'ping\x7f']]) {
    test(`bad-command (${label}): dropped, not fatal`, () => {
      const parser = new FrameParser(MAINNET)
      const items = parser.push(Buffer.concat([handFrame(MAINNET, name, new Uint8Array(3)), handFrame(MAINNET, 'getaddr', new Uint8Array(0))]))
      assert.equal(items.length, 2)
      assert.equal(errorOf(items[0]).reason, 'bad-command')
      assert.equal(errorOf(items[0]).fatal, false)
      assert.deepEqual(items[1], { kind: 'message', message: { command: 'getaddr' }, bytes: 24 })
    })
  }

  test('buffer-limit: a frame larger than maxBufferedBytes is fatal once its header is read', () => {
    const parser = new FrameParser(MAINNET, { maxBufferedBytes: 100 })
    assert.equal(only(parser.push(handFrame(MAINNET, 'other', new Uint8Array(76)))).kind, 'message')
    const frame = handFrame(MAINNET, 'other', new Uint8Array(77))
    assert.deepEqual(parser.push(frame.subarray(0, 23)), [])
    const err = errorOf(only(parser.push(frame.subarray(23))))
    assert.equal(err.reason, 'buffer-limit')
    assert.equal(err.fatal, true)
    assert.equal(parser.bufferedBytes, 0)
  })

  test('a payload decode error inside a frame is non-fatal and parsing continues', () => {
    const parser = new FrameParser(MAINNET)
    const items = parser.push(Buffer.concat([handFrame(MAINNET, 'ping', hex('01020304')), handFrame(MAINNET, 'verack', new Uint8Array(0))]))
    assert.equal(errorOf(items[0]).reason, 'truncated')
    assert.equal(errorOf(items[0]).fatal, false)
    assert.equal(items[1].kind, 'message')
  })
})

describe('hostile payloads', () => {
  const v1Entry = (ip: string): string => `${TIME} 0100000000000000 ${ip} 208d`

  test('too-many-entries: addr and addrv2 with 1001 entries, refused from the count', () => {
    rejects('addr', hex('fde903'), 'too-many-entries')
    rejects('addrv2', hex('fde903'), 'too-many-entries')
    rejects('addrv2', hex('feffffffff'), 'too-many-entries')
  })

  test('truncated: a count larger than the remaining bytes can hold is refused before reading', () => {
    rejects('addr', hex(`03 ${v1Entry('00000000000000000000ffff01020304')}`), 'truncated')
    rejects('addrv2', hex('05 0000000001010401020304'), 'truncated')
  })

  test('address-too-long: addrv2 address of 513 bytes', () => {
    rejects('addrv2', hex(`01 ${TIME} 01 99 fd0102 ${'00'.repeat(513)} 208d`), 'address-too-long')
  })

  test('bad-address-length: a known network id with the wrong length', () => {
    for (const [id, length] of [['01', 5], ['02', 4], ['04', 31], ['05', 33], ['06', 15]] as const) {
      rejects('addrv2', hex(`01 ${TIME} 01 ${id} ${length.toString(16).padStart(2, '0')} ${'fc'.repeat(length)} 208d`), 'bad-address-length')
    }
    // Refused from the declared length, before the bytes are looked for.
    rejects('addrv2', hex(`01 ${TIME} 01 04 40 0000`), 'bad-address-length')
  })

  test('truncated: version cut inside addr_recv, short ping and pong, addrv2 cut inside an address', () => {
    rejects('version', hex('7211010001000000000000000000000000000000010000000000000000'), 'truncated')
    rejects('ping', hex('01020304050607'), 'truncated')
    rejects('pong', new Uint8Array(0), 'truncated')
    rejects('addrv2', hex(`01 ${TIME} 01 01 04 0909`), 'truncated')
    rejects('addrv2', hex(`01 ${TIME} 01 01 04 09090909 20`), 'truncated')
  })

  test('non-canonical-compactsize: 0xfd, 0xfe and 0xff forms of small values', () => {
    rejects('addr', hex('fd0100'), 'non-canonical-compactsize')
    rejects('addr', hex('fe01000000'), 'non-canonical-compactsize')
    rejects('addr', hex('ff0100000000000000'), 'non-canonical-compactsize')
    rejects('addrv2', hex(`01 ${TIME} fd0100 01 04 09090909 208d`), 'non-canonical-compactsize')
  })

  test('too-large: a length beyond its limit is refused before anything is sliced', () => {
    const err = decodeError(() => new Reader(hex('ffffffffffffffffff')).varBytes('blob'))
    assert.equal(err.reason, 'too-large')
    assert.equal(decodeError(() => new Reader(hex('0b')).varBytes('blob', 10)).reason, 'too-large')
    assert.equal(decodeError(() => new Reader(hex('0a00')).varBytes('blob', 10)).reason, 'truncated')
  })

  const versionHead = '7f1101000000000000000000e6e08453000000000000000000000000000000000000000000000000000000000000'
  const addrFromAndNonce = '0000000000000000 00000000000000000000000000000000 0000 0102030405060708'

  test('user-agent-too-long: 257 bytes refused, 256 accepted', () => {
    rejects('version', hex(`${versionHead} ${addrFromAndNonce} fd0101 ${'41'.repeat(257)} 00000000 01`), 'user-agent-too-long')
    const ok = decodePayload('version', hex(`${versionHead} ${addrFromAndNonce} fd0001 ${'41'.repeat(256)} 00000000 01`))
    assert.equal(ok.command === 'version' && ok.payload.userAgent.length, 256)
  })

  test('version: fields after addr_recv are optional; relay absent reads as true', () => {
    const bare = decodePayload('version', hex(versionHead))
    assert.deepEqual(bare.command === 'version' && bare.payload, {
      version: 70015, services: 0n, timestamp: 0x5384e0e6n, addrRecv: { services: 0n, host: '::', port: 0 },
      addrFrom: { services: 0n, host: '::', port: 0 }, nonce: 0n, userAgent: '', startHeight: 0, relay: true
    })
    const noRelay = decodePayload('version', hex(`${versionHead} ${addrFromAndNonce} 00 10000000`))
    assert.equal(noRelay.command === 'version' && noRelay.payload.relay, true)
    assert.equal(noRelay.command === 'version' && noRelay.payload.startHeight, 16)
    const relayOff = decodePayload('version', hex(`${versionHead} ${addrFromAndNonce} 00 10000000 00`))
    assert.equal(relayOff.command === 'version' && relayOff.payload.relay, false)
  })

  test('trailing bytes after a message\'s fields are ignored, as in Core', () => {
    assert.deepEqual(decodePayload('verack', hex('00ff')), { command: 'verack' })
    assert.deepEqual(decodePayload('ping', hex('010000000000000099')), { command: 'ping', nonce: 1n })
    assert.deepEqual(decodePayload('addrv2', hex(`01 ${TIME} 01 01 04 09090909 208d ffff`)).command, 'addrv2')
    const version = decodePayload('version', hex(`${versionHead} ${addrFromAndNonce} 00 10000000 01 deadbeef`))
    assert.equal(version.command, 'version')
  })

  test('TorV3: names carry a checksum; a wrong one or a wrong version byte is refused', () => {
    const good = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'
    assert.equal(toHex(pubkeyFromOnion(good) as Uint8Array), '79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f')
    assert.equal(pubkeyFromOnion(good.replace('pg6', 'ph6')), undefined) // key changed, checksum not
    assert.equal(pubkeyFromOnion(good.replace('cryd.', 'crya.')), undefined) // version byte 0x00
    assert.throws(() => encodePayload({ command: 'addrv2', skipped: 0, addresses: [{ time: 0, services: 0n, type: 'onion', host: good.replace('pg6', 'ph6'), port: 1 }] }), RangeError)
  })

  test('CJDNS outside fc00::/8 is skipped; Yggdrasil (id 7) reads as IPv6 text', () => {
    const msg = decodePayload('addrv2', hex(`03
      ${TIME} 01 06 10 fd000000000000000000000000000001 208d
      ${TIME} 01 07 10 0200000000000000000000000000000a 208d
      ${TIME} 01 03 0a 00112233445566778899 208d`))
    assert.deepEqual(msg, { command: 'addrv2', skipped: 2, addresses: [{ time: 0x5384e0e6, services: 1n, type: 'yggdrasil', host: '200::a', port: 8333 }] })
  })

  test('TORv2 (id 3) and Yggdrasil (id 7) of any other length are skipped like unknown ids, not a dropped message', () => {
    // Core's SetNetFromBIP155Network knows neither id, so it throws for neither length.
    const msg = decodePayload('addrv2', hex(`03
      ${TIME} 01 03 10 00112233445566778899aabbccddeeff 208d
      ${TIME} 01 07 04 02000001 208d
      ${TIME} 01 01 04 09090909 208d`))
    assert.deepEqual(msg, { command: 'addrv2', skipped: 2, addresses: [{ time: 0x5384e0e6, services: 1n, type: 'ipv4', host: '9.9.9.9', port: 8333 }] })
  })

  test('addrv2 IPv6 with the TORv2 or Core-internal prefix is skipped', () => {
    const msg = decodePayload('addrv2', hex(`02
      ${TIME} 01 02 10 fd87d87eeb4300000000000000000001 208d
      ${TIME} 01 02 10 fd6b88c0872400000000000000000001 208d`))
    assert.deepEqual(msg, { command: 'addrv2', addresses: [], skipped: 2 })
  })

  test('addr (v1): IPv4-mapped is IPv4, fc00::/8 is CJDNS, OnionCat entries are left out', () => {
    const msg = decodePayload('addr', hex(`03
      ${v1Entry('00000000000000000000ffff0a000001')}
      ${v1Entry('fc000000000000000000000000000001')}
      ${v1Entry('fd87d87eeb4300000000000000000001')}`))
    assert.deepEqual(msg, {
      command: 'addr',
      addresses: [
        { time: 0x5384e0e6, services: 1n, type: 'ipv4', host: '10.0.0.1', port: 8333 },
        { time: 0x5384e0e6, services: 1n, type: 'cjdns', host: 'fc00::1', port: 8333 }
      ]
    })
  })
})

describe('encoding refuses what the wire cannot carry', () => {
  test('overlay addresses in addr (v1), over 1000 entries, known names as other, bad type names', () => {
    const onion = { time: 0, services: 0n, type: 'onion' as const, host: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion', port: 1 }
    assert.throws(() => encodePayload({ command: 'addr', addresses: [onion] }), RangeError)
    assert.throws(() => encodePayload({ command: 'addrv2', addresses: new Array(1001).fill(onion), skipped: 0 }), RangeError)
    assert.throws(() => encodePayload({ command: 'other', name: 'verack', payload: new Uint8Array(0) }), RangeError)
    assert.throws(() => encodeFrame(MAINNET, { command: 'other', name: 'thirteen-long', payload: new Uint8Array(0) }), RangeError)
    assert.throws(() => encodeFrame(MAINNET, { command: 'other', name: 'tab\t', payload: new Uint8Array(0) }), RangeError)
  })
})
