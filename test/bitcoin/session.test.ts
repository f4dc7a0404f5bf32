// The session state machine, driven message by message without a socket.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Endpoint, LearnedAddress } from '../../src/contract.js'
import { DecodeError } from '../../src/errors.js'
import { MIN_PEER_PROTO_VERSION, PROTOCOL_VERSION } from '../../adapters/bitcoin/params.js'
import { unmapIPv4 } from '../../src/net/ip.js'
import { BitcoinSession, peerKey, sanitizePeerText, type SessionConfig, type SessionOutput } from '../../adapters/bitcoin/session-machine.js'
import { checksum, CountLimitError, FrameParser, Writer, type BitcoinMessage, type NetAddress, type VersionPayload } from '../../adapters/bitcoin/wire/index.js'

const PEER: Endpoint = { host: '127.1.0.1', port: 18444, type: 'ipv4' }
const OUR_NONCE = 0x1122334455667788n

function newSession (config: Partial<SessionConfig> = {}): BitcoinSession {
  return new BitcoinSession({ endpoint: PEER, userAgent: '/peers:0.1.0/', maxAddresses: 1000, nonce: OUR_NONCE, ...config })
}

function peerVersion (overrides: Partial<VersionPayload> = {}): BitcoinMessage {
  return {
    command: 'version',
    payload: {
      version: 70016,
      services: 0x409n,
      timestamp: 1_700_000_000n,
      addrRecv: { services: 0n, host: '127.0.0.1', port: 50000 },
      addrFrom: { services: 0x409n, host: '::', port: 0 },
      nonce: 42n,
      userAgent: '/Satoshi:28.1.0/',
      startHeight: 850_000,
      relay: true,
      ...overrides
    }
  }
}

/** The commands of the messages among `outputs`, and the other outputs by kind. */
function summary (outputs: readonly SessionOutput[]): string[] {
  return outputs.map((o) => o.kind === 'send' ? o.message.command : o.kind)
}

function addresses (count: number, first = 1): NetAddress[] {
  return Array.from({ length: count }, (_, i) => ({ time: 1_700_000_000, services: 1n, type: 'ipv4' as const, host: `10.0.${(first + i) >> 8}.${(first + i) & 255}`, port: 8333 }))
}

/** A session that has completed the handshake. */
function handshaken (config: Partial<SessionConfig> = {}): BitcoinSession {
  const s = newSession(config)
  s.connected()
  s.received(peerVersion())
  s.received({ command: 'verack' })
  assert.equal(s.phase, 'awaiting-addresses')
  return s
}

describe('BitcoinSession handshake', () => {
  it('speaks first with a version as Core expects from a crawler', () => {
    const s = newSession()
    const out = s.connected()
    assert.deepEqual(summary(out), ['version'])
    const sent = out[0]
    assert.ok(sent.kind === 'send' && sent.message.command === 'version')
    const v = sent.message.payload
    assert.equal(v.version, PROTOCOL_VERSION)
    assert.equal(v.services, 0n)
    assert.equal(v.nonce, OUR_NONCE)
    assert.equal(v.userAgent, '/peers:0.1.0/')
    assert.equal(v.startHeight, 0)
    assert.equal(v.relay, false)
    assert.deepEqual(v.addrRecv, { services: 0n, host: PEER.host, port: PEER.port })
    assert.equal(s.phase, 'handshaking')
  })

  it('uses a random nonce by default', () => {
    const a = new BitcoinSession({ endpoint: PEER, userAgent: '/x/', maxAddresses: 10 })
    const b = new BitcoinSession({ endpoint: PEER, userAgent: '/x/', maxAddresses: 10 })
    assert.notEqual(a.nonce, b.nonce)
  })

  it('answers the peer version with sendaddrv2 and wtxidrelay before verack, and no getaddr yet', () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(summary(s.received(peerVersion())), ['sendaddrv2', 'wtxidrelay', 'verack'])
    assert.equal(s.phase, 'handshaking')
  })

  it('offers sendaddrv2 and wtxidrelay only to 70016+ peers, as Core does', () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(summary(s.received(peerVersion({ version: 70015 }))), ['verack'])
  })

  it('sends exactly one getaddr, after both the version and the verack', () => {
    const s = newSession()
    const sent: string[] = []
    const record = (out: readonly SessionOutput[]): void => { sent.push(...summary(out)) }
    record(s.connected())
    record(s.received(peerVersion()))
    assert.ok(!sent.includes('getaddr'))
    record(s.received({ command: 'verack' }))
    assert.deepEqual(sent.slice(-2), ['getaddr', 'handshake-complete'])
    // Repeats change nothing (Core ignores a repeated version).
    record(s.received(peerVersion()))
    record(s.received({ command: 'verack' }))
    record(s.received({ command: 'sendaddrv2' }))
    assert.equal(sent.filter((c) => c === 'getaddr').length, 1)
    assert.equal(sent.filter((c) => c === 'verack').length, 1)
  })

  it('answers ping with pong and the same nonce, before and after the handshake', () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(s.received({ command: 'ping', nonce: 7n }), [{ kind: 'send', message: { command: 'pong', nonce: 7n } }])
    s.received(peerVersion())
    s.received({ command: 'verack' })
    assert.deepEqual(s.received({ command: 'ping', nonce: 2n ** 64n - 1n }), [{ kind: 'send', message: { command: 'pong', nonce: 2n ** 64n - 1n } }])
  })

  it('ignores unknown messages', () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(s.received({ command: 'other', name: 'sendcmpct', payload: new Uint8Array(9) }), [])
    s.received(peerVersion())
    assert.deepEqual(s.received({ command: 'other', name: 'feefilter', payload: new Uint8Array(8) }), [])
    assert.equal(s.phase, 'handshaking')
  })

  it('records the peer, its user agent cleaned of control characters', () => {
    const s = newSession()
    s.connected()
    s.received(peerVersion({ userAgent: '/Evil:1.0/\u001b[31m\r\nFAKE LOG LINE\u202e', services: 2n ** 63n + 1n }))
    s.received({ command: 'verack' })
    s.timedOut()
    const r = s.result()
    assert.deepEqual(r.peer, { protocolVersion: 70016, services: '9223372036854775809', userAgent: '/Evil:1.0/[31mFAKE LOG LINE', startHeight: 850_000, relay: true })
  })

  it('measures connectMs and handshakeMs on its clock', () => {
    let t = 1000
    const s = newSession({ now: () => t })
    t = 1040
    s.connected()
    t = 1100
    s.received(peerVersion())
    t = 1140
    s.received({ command: 'verack' })
    s.timedOut()
    const r = s.result()
    assert.equal(r.connectMs, 40)
    assert.equal(r.handshakeMs, 100)
  })
})

describe('BitcoinSession addresses', () => {
  // Oracle: Core since v22 (src/net_processing.cpp, the GETADDR branch of ProcessMessage and
  // MaybeSendAddr) answers at once, its own address inside the same message; see
  // ../shared/bitcoin-p2p.md §5.
  it('takes the first addr after getaddr for the answer, whatever its size', () => {
    let t = 1000
    const s = handshaken({ now: () => t })
    t = 1250
    assert.deepEqual(summary(s.received({ command: 'addr', addresses: addresses(2) })), ['finish'])
    const r = s.result()
    assert.equal(r.ok, true)
    assert.equal(r.gotAddressAnswer, true)
    assert.deepEqual(r.answer, { entries: 2, afterMs: 250 })
    assert.deepEqual(r.learned[0], { endpoint: { host: '10.0.0.1', port: 8333, type: 'ipv4' }, key: '10.0.0.1:8333', time: 1_700_000_000, services: '1' })
  })

  it('waits on after a lone self-announcement (any port), then takes the next message', () => {
    const s = handshaken()
    const self: NetAddress = { time: 1, services: 0x409n, type: 'ipv4', host: '127.1.0.1', port: 8333 }
    assert.deepEqual(s.received({ command: 'addr', addresses: [self] }), [])
    assert.equal(s.phase, 'awaiting-addresses')
    assert.deepEqual(summary(s.received({ command: 'addrv2', addresses: addresses(3), skipped: 0 })), ['finish'])
    const r = s.result()
    assert.equal(r.gotAddressAnswer, true)
    assert.equal(r.answer?.entries, 3)
    assert.equal(r.addressesReceived, 4)
    assert.deepEqual(r.learned[0], { endpoint: { host: '127.1.0.1', port: 8333, type: 'ipv4' }, key: '127.1.0.1:8333', time: 1, services: '1033' })
  })

  it('a lone entry of another host is an answer; the dialed host as IPv4-mapped IPv6 is a self-announcement', () => {
    const other = handshaken()
    assert.deepEqual(summary(other.received({ command: 'addr', addresses: addresses(1) })), ['finish'])
    assert.equal(other.result().answer?.entries, 1)
    const mapped = handshaken()
    assert.deepEqual(mapped.received({ command: 'addr', addresses: [{ time: 1, services: 1n, type: 'ipv6', host: '::ffff:127.1.0.1', port: 18444 }] }), [])
    // Self plus others in one message is current Core's answer.
    assert.deepEqual(summary(mapped.received({ command: 'addr', addresses: [{ time: 1, services: 1n, type: 'ipv4', host: '127.1.0.1', port: 18444 }, ...addresses(1)] })), ['finish'])
  })

  it('drops an addr declaring more than 1,000 entries unlearned, counts it, and waits on', () => {
    const s = handshaken()
    assert.deepEqual(s.decodeError(new CountLimitError('too-many-entries', 'addr count: 50000 exceeds the limit of 1000', 50_000), 'addr'), [])
    assert.deepEqual(s.decodeError(new CountLimitError('too-many-entries', 'addrv2 count: 1001 exceeds the limit of 1000', 1001), 'addrv2'), [])
    assert.equal(s.phase, 'awaiting-addresses')
    s.received({ command: 'addr', addresses: addresses(4) })
    const r = s.result()
    assert.deepEqual(r.oversizedAddr, { messages: 2, largestDeclared: 50_000 })
    assert.equal(r.addressesReceived, 4)
    assert.equal(r.learned.length, 4)
    assert.equal(r.gotAddressAnswer, true)
  })

  it('parses the declared count of an over-long addr from the wire', () => {
    const parser = new FrameParser(Uint8Array.of(0xfa, 0xbf, 0xb5, 0xda))
    // compactSize 0xfe + 2^32-1, then three entries
    const payload = new Writer().compactSize(0xffffffff).finish()
    const frames = parser.push(rawFrame(Uint8Array.of(0xfa, 0xbf, 0xb5, 0xda), 'addr', payload))
    assert.equal(frames.length, 1)
    const f = frames[0]
    assert.ok(f.kind === 'error' && f.error instanceof CountLimitError)
    assert.equal(f.error.declared, 0xffffffff)
  })

  it('streams learned addresses through onLearned, one batch per message, and then keeps none', () => {
    const batches: LearnedAddress[][] = []
    const s = handshaken({ onLearned: (batch) => batches.push(batch), maxAddresses: 5 })
    s.received({ command: 'addr', addresses: [{ time: 1, services: 0x409n, type: 'ipv4', host: '127.1.0.1', port: 18444 }] })
    assert.equal(batches.length, 1, 'the self-announcement goes out before the answer')
    s.received({ command: 'addr', addresses: addresses(10) })
    assert.deepEqual(batches.map((b) => b.length), [1, 4])
    const r = s.result()
    assert.deepEqual(r.learned, [])
    assert.equal(r.gotAddressAnswer, true)
  })

  it('counts entries addrv2 skipped towards received and the answer size', () => {
    const s = handshaken()
    assert.deepEqual(summary(s.received({ command: 'addrv2', addresses: addresses(5), skipped: 6 })), ['finish'])
    const r = s.result()
    assert.equal(r.addressesReceived, 11)
    assert.equal(r.answer?.entries, 11)
    assert.equal(r.learned.length, 5)
  })

  it('does not take an address flood before getaddr for the answer', () => {
    const s = newSession()
    s.connected()
    s.received(peerVersion())
    assert.deepEqual(s.received({ command: 'addr', addresses: addresses(500) }), [])
    assert.equal(s.phase, 'handshaking')
    s.received({ command: 'verack' })
    assert.equal(s.result().addressesReceived, 500)
    assert.equal(s.result().learned.length, 0)
  })

  it('deduplicates within the session and caps what it keeps', () => {
    const s = handshaken({ maxAddresses: 30 })
    s.received({ command: 'addr', addresses: [{ time: 1, services: 1n, type: 'ipv4', host: '127.1.0.1', port: 1 }] })
    s.received({ command: 'addr', addresses: [...addresses(5), { time: 1, services: 1n, type: 'ipv6', host: '::ffff:a00:1', port: 8333 }, ...addresses(100, 3)] }) // ::ffff:a00:1 = 10.0.0.1
    const r = s.result()
    assert.equal(r.addressesReceived, 107)
    assert.equal(r.learned.length, 30)
    assert.equal(new Set(r.learned.map((a) => peerKey(a.endpoint))).size, 30)
  })

  it('ends ok without an answer when the ask-for-peers timeout expires', () => {
    const s = handshaken()
    s.received({ command: 'addr', addresses: [{ time: 1, services: 1n, type: 'ipv4', host: '127.1.0.1', port: 18444 }] })
    assert.deepEqual(summary(s.timedOut()), ['finish'])
    const r = s.result()
    assert.equal(r.ok, true)
    assert.equal(r.reason, undefined)
    assert.equal(r.gotAddressAnswer, false)
    assert.equal(r.answer, undefined)
    assert.equal(r.learned.length, 1)
  })

  it('ends ok with what it has when the peer leaves after the handshake', () => {
    const s = handshaken()
    s.received({ command: 'addr', addresses: [{ time: 1, services: 1n, type: 'ipv4', host: '127.1.0.1', port: 18444 }] })
    assert.deepEqual(summary(s.end('reset', 'ECONNRESET')), ['finish'])
    const r = s.result()
    assert.equal(r.ok, true)
    assert.equal(r.gotAddressAnswer, false)
    assert.equal(r.detail, 'reset: ECONNRESET')
    assert.equal(r.learned.length, 1)
  })
})

describe('BitcoinSession failures', () => {
  function failureOf (s: BitcoinSession): string | undefined {
    assert.equal(s.phase, 'finished')
    const r = s.result()
    assert.equal(r.ok, false)
    assert.equal(r.gotAddressAnswer, undefined)
    return r.reason
  }

  it('wrong magic → wrong-network', () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(summary(s.decodeError(new DecodeError('bad-magic', 'magic 0b110907', true))), ['finish'])
    assert.equal(failureOf(s), 'wrong-network')
  })

  it('our own nonce in the peer version → self-connection', () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(summary(s.received(peerVersion({ nonce: OUR_NONCE }))), ['finish'])
    assert.equal(failureOf(s), 'self-connection')
  })

  it(`version below ${MIN_PEER_PROTO_VERSION} → obsolete-version`, () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(summary(s.received(peerVersion({ version: MIN_PEER_PROTO_VERSION - 1 }))), ['finish'])
    assert.equal(failureOf(s), 'obsolete-version')
    assert.equal(s.result().peer?.protocolVersion, MIN_PEER_PROTO_VERSION - 1)

    const ok = newSession()
    ok.connected()
    assert.deepEqual(summary(ok.received(peerVersion({ version: MIN_PEER_PROTO_VERSION }))), ['verack'])
  })

  it('verack before version → protocol-error', () => {
    const s = newSession()
    s.connected()
    s.received({ command: 'verack' })
    assert.equal(failureOf(s), 'protocol-error')
  })

  it('an undecodable message before the handshake → protocol-error', () => {
    const s = newSession()
    s.connected()
    s.decodeError(new DecodeError('truncated', 'version: needs 4 bytes, 0 left'))
    assert.equal(failureOf(s), 'protocol-error')
    assert.match(s.result().detail ?? '', /^truncated: /)
  })

  it('before the handshake only a bad version fails: other bad messages are ignored unread, as Core does', () => {
    const s = newSession()
    s.connected()
    const bad = new DecodeError('truncated', 'addr: needs 30 bytes, 2 left')
    assert.deepEqual(s.decodeError(bad, 'addr'), [])
    assert.deepEqual(s.decodeError(bad, 'ping'), [])
    assert.equal(s.phase, 'handshaking')
    assert.deepEqual(summary(s.decodeError(new DecodeError('user-agent-too-long', 'version user_agent'), 'version')), ['finish'])
    assert.equal(failureOf(s), 'protocol-error')

    // A bad version after a good one is a repeat, which Core ignores unread.
    const t = newSession()
    t.connected()
    t.received(peerVersion())
    assert.deepEqual(t.decodeError(new DecodeError('truncated', 'version'), 'version'), [])
    assert.deepEqual(summary(t.received({ command: 'verack' })), ['getaddr', 'handshake-complete'])
  })

  it('drops a bad-checksum message, as Core does', () => {
    const s = newSession()
    s.connected()
    assert.deepEqual(s.decodeError(new DecodeError('bad-checksum', 'checksum mismatch')), [])
    assert.equal(s.phase, 'handshaking')
  })

  it('drops an undecodable message after the handshake', () => {
    const s = handshaken()
    assert.deepEqual(s.decodeError(new DecodeError('too-many-entries', 'addr count: 1001')), [])
    assert.equal(s.phase, 'awaiting-addresses')
  })

  it('oversized payload → protocol-error, buffer limit → session-limit', () => {
    const a = newSession()
    a.connected()
    a.decodeError(new DecodeError('oversized-payload', 'payload of 4000001 bytes', true))
    assert.equal(failureOf(a), 'protocol-error')
    const b = newSession()
    b.connected()
    b.decodeError(new DecodeError('buffer-limit', 'more than 1000 bytes buffered', true))
    assert.equal(failureOf(b), 'session-limit')
  })

  it('timeouts fail by phase: connect, then handshake', () => {
    const a = newSession()
    a.timedOut()
    assert.equal(failureOf(a), 'connect-timeout')
    assert.equal(a.result().connectMs, undefined)
    const b = newSession()
    b.connected()
    b.received(peerVersion())
    b.timedOut()
    assert.equal(failureOf(b), 'handshake-timeout')
    assert.equal(b.result().detail, 'no verack')
    assert.equal(b.result().connectMs !== undefined, true)
  })

  it('an end before the handshake is the failure it names', () => {
    const s = newSession()
    s.connected()
    s.end('cancelled', 'aborted')
    assert.equal(failureOf(s), 'cancelled')
    // Nothing after the end changes the result.
    assert.deepEqual(s.received(peerVersion()), [])
    assert.deepEqual(s.timedOut(), [])
    assert.equal(s.result().reason, 'cancelled')
  })
})

describe('peer keys and text', () => {
  it('normalises IPv4-mapped IPv6 and case', () => {
    assert.equal(peerKey({ host: '::ffff:1.2.3.4', port: 8333 }), '1.2.3.4:8333')
    assert.equal(peerKey({ host: '::ffff:102:304', port: 8333 }), '1.2.3.4:8333')
    assert.equal(peerKey({ host: '2001:DB8::1', port: 8333 }), '2001:db8::1:8333')
    assert.equal(unmapIPv4('::ffff:7f00:1'), '127.0.0.1')
    assert.equal(unmapIPv4('::1'), '::1')
  })

  it('strips control and bidi characters and caps the length', () => {
    assert.equal(sanitizePeerText('a\u0000b\u007fc\u0085d\u202ee\nf'), 'abcdef')
    assert.equal(sanitizePeerText('x'.repeat(300)).length, 256)
  })
})

/** A frame with a correct header around any payload (the codec refuses to encode an over-long addr). */
function rawFrame (magic: Uint8Array, command: string, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(24 + payload.length)
  frame.set(magic, 0)
  frame.set(new TextEncoder().encode(command), 4)
  new DataView(frame.buffer).setUint32(16, payload.length, true)
  frame.set(checksum(payload), 20)
  frame.set(payload, 24)
  return frame
}
