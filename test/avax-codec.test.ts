import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { DecodeError } from '../src/errors.js'
import { ProtobufReader, ProtobufWriter, encodeVarint, MAX_REPEATED } from '../adapters/avax/protobuf.js'
import { decodeMessage, emptyHandshake, encodeMessage, type AvaxMessage, type Handshake } from '../adapters/avax/messages.js'
import { FrameDecoder, MAX_MESSAGE_SIZE, encodeFrame } from '../adapters/avax/framing.js'
import { formatNodeId, gossipId } from '../adapters/avax/ids.js'
import { endpointFromIpBytes, ipBytesFromHost } from '../adapters/avax/addresses.js'

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)
/** Plain Uint8Array (randomBytes gives a Buffer, which deepEqual tells apart). */
const random = (n: number): Uint8Array => Uint8Array.from(randomBytes(n))

function decodeError (fn: () => unknown, reason: string): void {
  assert.throws(fn, (err: unknown) => err instanceof DecodeError && err.reason === reason)
}

describe('avax protobuf varints', () => {
  for (const v of [0n, 1n, 127n, 128n, 300n, 0xffffffffn, 1n << 53n, 0xffffffffffffffffn]) {
    it(`round-trips ${v}`, () => {
      assert.equal(new ProtobufReader(encodeVarint(v)).readVarint(), v)
    })
  }
  it('encodes 300 as ac 02', () => assert.deepEqual(encodeVarint(300n), bytes(0xac, 0x02)))
  it('refuses values outside uint64', () => {
    assert.throws(() => encodeVarint(-1n), RangeError)
    assert.throws(() => encodeVarint(1n << 64n), RangeError)
  })
  it('rejects an 11-byte varint', () => decodeError(() => new ProtobufReader(new Uint8Array(11).fill(0x80)).readVarint(), 'bad-varint'))
  it('rejects a 10-byte varint above 64 bits', () => decodeError(() => new ProtobufReader(bytes(...new Array(9).fill(0xff), 0x7f)).readVarint(), 'bad-varint'))
  it('rejects a varint cut short', () => decodeError(() => new ProtobufReader(bytes(0x80, 0x80)).readVarint(), 'truncated'))
})

const fullHandshake: Handshake = {
  networkId: 5,
  myTime: 1_732_000_000n,
  ipAddr: ipBytesFromHost('203.0.113.5'),
  ipPort: 9651,
  ipSigningTime: 1_731_999_999n,
  ipNodeIdSig: random(256),
  trackedSubnets: [random(32), random(32)],
  client: { name: 'avalanchego', major: 1, minor: 13, patch: 2 },
  supportedAcps: [23, 24, 25, 30, 31, 41, 62, 77, 103, 118],
  objectedAcps: [99],
  knownPeers: { filter: random(40), salt: random(32) },
  ipBlsSig: random(96),
  allSubnets: true
}

const roundTrips: AvaxMessage[] = [
  { type: 'handshake', handshake: fullHandshake },
  { type: 'handshake', handshake: { ...emptyHandshake(), networkId: 1 } },
  {
    type: 'peer-list',
    claimedIpPorts: [0, 1, 2].map((i) => ({
      x509Certificate: random(400 + i), ipAddr: ipBytesFromHost(`2001:db8::${i + 1}`), ipPort: 9651 + i, timestamp: 1_731_000_000n + BigInt(i), signature: random(64), txId: random(32)
    }))
  },
  { type: 'peer-list', claimedIpPorts: [] },
  { type: 'get-peer-list', knownPeers: { filter: random(17), salt: random(32) }, allSubnets: true },
  { type: 'get-peer-list', allSubnets: false },
  { type: 'ping', uptime: 97 },
  { type: 'pong' }
]

describe('avax messages', () => {
  for (const m of roundTrips) {
    it(`round-trips ${m.type}${m.type === 'handshake' && m.handshake.client === undefined ? ' (minimal)' : ''}`, () => {
      assert.deepEqual(decodeMessage(encodeMessage(m)), m)
    })
  }

  it('uses the p2p.proto field numbers', () => {
    // Message.ping = 11 → tag 0x5a; Ping.uptime = 1.
    assert.deepEqual(encodeMessage({ type: 'ping', uptime: 5 }), bytes(0x5a, 0x02, 0x08, 0x05))
    // Message.pong = 12 → tag 0x62, empty body.
    assert.deepEqual(encodeMessage({ type: 'pong' }), bytes(0x62, 0x00))
    // Message.handshake = 13 → tag 0x6a; Handshake.network_id = 1.
    assert.deepEqual(encodeMessage({ type: 'handshake', handshake: { ...emptyHandshake(), networkId: 1 } }), bytes(0x6a, 0x02, 0x08, 0x01))
    // Message.peer_list = 14 → tag 0x72; PeerList.claimed_ip_ports = 1; ClaimedIpPort.ip_port = 3.
    assert.deepEqual(
      encodeMessage({ type: 'peer-list', claimedIpPorts: [{ x509Certificate: new Uint8Array(0), ipAddr: new Uint8Array(0), ipPort: 1, timestamp: 0n, signature: new Uint8Array(0), txId: new Uint8Array(0) }] }),
      bytes(0x72, 0x04, 0x0a, 0x02, 0x18, 0x01))
    // Message.get_peer_list = 35 → two-byte tag 9a 02; GetPeerList.all_subnets = 2.
    assert.deepEqual(encodeMessage({ type: 'get-peer-list', allSubnets: true }), bytes(0x9a, 0x02, 0x02, 0x10, 0x01))
  })

  // Golden bytes written by hand from proto/p2p/p2p.proto (ava-labs/avalanchego): each line
  // is one field, tag = (field number << 3) | wire type (0 varint, 2 length-delimited).
  const hex = (...lines: string[]): Uint8Array => Uint8Array.from(Buffer.from(lines.join(''), 'hex'))
  const golden: Array<[string, Uint8Array, AvaxMessage]> = [
    ['Handshake with every field', hex(
      '6a53', // Message.handshake = 13, 83 bytes
      '0801', // network_id = 1: 1
      '1080e2cfaa06', // my_time = 2: 1700000000
      '1a10', '00000000000000000000ffff01020304', // ip_addr = 3: ::ffff:1.2.3.4
      '20b34b', // ip_port = 4: 9651
      '3081e2cfaa06', // ip_signing_time = 6: 1700000001
      '3a02aabb', // ip_node_id_sig = 7
      '4201cc', // tracked_subnets = 8 (repeated bytes, one)
      '4a13', '0a0b6176616c616e636865676f', '1001180d2002', // client = 9: name = 1 'avalanchego', major = 2: 1, minor = 3: 13, patch = 4: 2
      '52021718', // supported_acps = 10, packed: 23, 24
      '5a0163', // objected_acps = 11, packed: 99
      '6206', '0a0100', '120107', // known_peers = 12: BloomFilter filter = 1, salt = 2
      '6a01dd', // ip_bls_sig = 13
      '7001' // all_subnets = 14: true
    ), {
      type: 'handshake',
      handshake: {
        networkId: 1,
        myTime: 1_700_000_000n,
        ipAddr: bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4),
        ipPort: 9651,
        ipSigningTime: 1_700_000_001n,
        ipNodeIdSig: bytes(0xaa, 0xbb),
        trackedSubnets: [bytes(0xcc)],
        client: { name: 'avalanchego', major: 1, minor: 13, patch: 2 },
        supportedAcps: [23, 24],
        objectedAcps: [99],
        knownPeers: { filter: bytes(0), salt: bytes(7) },
        ipBlsSig: bytes(0xdd),
        allSubnets: true
      }
    }],
    ['PeerList with one ClaimedIpPort', hex(
      '7227', // Message.peer_list = 14, 39 bytes
      '0a25', // claimed_ip_ports = 1, 37 bytes
      '0a023082', // x509_certificate = 1
      '1210', '20010db8000000000000000000000001', // ip_addr = 2: 2001:db8::1
      '18b34b', // ip_port = 3: 9651
      '2082e2cfaa06', // timestamp = 4: 1700000002
      '2a01ee', // signature = 5
      '3201ff' // tx_id = 6
    ), {
      type: 'peer-list',
      claimedIpPorts: [{
        x509Certificate: bytes(0x30, 0x82),
        ipAddr: bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        ipPort: 9651,
        timestamp: 1_700_000_002n,
        signature: bytes(0xee),
        txId: bytes(0xff)
      }]
    }],
    ['GetPeerList with a filter', hex(
      '9a020a', // Message.get_peer_list = 35 (two-byte tag), 10 bytes
      '0a06', '0a0100', '120107', // known_peers = 1: filter = 1, salt = 2
      '1001' // all_subnets = 2: true
    ), { type: 'get-peer-list', knownPeers: { filter: bytes(0), salt: bytes(7) }, allSubnets: true }],
    ['Ping', hex('5a02', '0864'), { type: 'ping', uptime: 100 }], // Message.ping = 11; uptime = 1: 100
    ['Pong', hex('6200'), { type: 'pong' }] // Message.pong = 12, empty (its fields are reserved)
  ]
  for (const [name, wire, message] of golden) {
    it(`golden bytes from p2p.proto: ${name}`, () => {
      assert.deepEqual(decodeMessage(wire), message)
      assert.deepEqual(encodeMessage(message), wire)
    })
  }

  it('reads Handshake fields 12 (known peers) and 14 (all subnets) where p2p.proto puts them', () => {
    const inner = new ProtobufWriter().message(12, new ProtobufWriter().bytes(1, bytes(1, 2)).bytes(2, bytes(3)).finish()).uint(14, true).finish()
    const m = decodeMessage(new ProtobufWriter().message(13, inner).finish())
    assert.equal(m.type, 'handshake')
    if (m.type !== 'handshake') return
    assert.deepEqual(m.handshake.knownPeers, { filter: bytes(1, 2), salt: bytes(3) })
    assert.equal(m.handshake.allSubnets, true)
  })

  it('skips Handshake field 5 (reserved in p2p.proto) whatever its wire type', () => {
    for (const inner of [
      new ProtobufWriter().uint(1, 5).uint(5, 7).uint(14, true).finish(),
      new ProtobufWriter().uint(1, 5).string(5, 'avalanche/1.9.0').uint(14, true).finish()
    ]) {
      const m = decodeMessage(new ProtobufWriter().message(13, inner).finish())
      assert.ok(m.type === 'handshake')
      if (m.type !== 'handshake') return
      assert.deepEqual(m.handshake, { ...emptyHandshake(), networkId: 5, allSubnets: true })
    }
  })

  it('accepts unpacked repeated uint32 (either encoding is valid proto3)', () => {
    const inner = new ProtobufWriter().uint(10, 23).uint(10, 24).uint(11, 99).finish()
    const m = decodeMessage(new ProtobufWriter().message(13, inner).finish())
    assert.ok(m.type === 'handshake')
    if (m.type !== 'handshake') return
    assert.deepEqual(m.handshake.supportedAcps, [23, 24])
    assert.deepEqual(m.handshake.objectedAcps, [99])
  })

  it('skips unknown fields of every wire type', () => {
    const inner = Uint8Array.from([
      ...new ProtobufWriter().uint(1, 1).finish(),
      0xa8, 0x06, 0x05, // field 101 varint
      0xb1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, // field 102 fixed64
      0xbd, 0x06, 1, 2, 3, 4, // field 103 fixed32
      ...new ProtobufWriter().bytes(104, bytes(9, 9)).finish()
    ])
    const m = decodeMessage(new ProtobufWriter().message(13, inner).finish())
    assert.ok(m.type === 'handshake' && m.handshake.networkId === 1)
  })

  it('reports other message types without decoding them', () => {
    assert.deepEqual(decodeMessage(new ProtobufWriter().message(32, bytes(0x0a, 0x00)).finish()), { type: 'other', field: 32 })
  })

  describe('hostile input', () => {
    it('length running past the end', () => decodeError(() => decodeMessage(bytes(0x6a, 0x05, 0x08)), 'truncated'))
    it('huge length', () => decodeError(() => decodeMessage(bytes(0x6a, 0xff, 0xff, 0xff, 0xff, 0x0f)), 'truncated'))
    it('group wire type', () => decodeError(() => decodeMessage(bytes(0x6b)), 'bad-wire-type'))
    it('field number 0', () => decodeError(() => decodeMessage(bytes(0x02, 0x00)), 'bad-field-number'))
    it('known field with the wrong wire type', () => {
      const inner = new ProtobufWriter().bytes(1, bytes(1)).finish() // network_id as bytes
      decodeError(() => decodeMessage(new ProtobufWriter().message(13, inner).finish()), 'bad-wire-type')
    })
    it('empty envelope', () => decodeError(() => decodeMessage(new Uint8Array(0)), 'empty-message'))
    it('zstd-compressed message', () => decodeError(() => decodeMessage(new ProtobufWriter().bytes(2, bytes(1, 2, 3)).finish()), 'compressed-unsupported'))
    it('too many repeated entries', () => {
      const w = new ProtobufWriter()
      for (let i = 0; i <= MAX_REPEATED; i++) w.message(1, new Uint8Array(0))
      decodeError(() => decodeMessage(new ProtobufWriter().message(14, w.finish()).finish()), 'too-many-entries')
    })
    it('random bytes only ever raise DecodeError', () => {
      for (let i = 0; i < 2000; i++) {
        const input = randomBytes(1 + (i % 64))
        try {
          decodeMessage(input)
        } catch (err) {
          assert.ok(err instanceof DecodeError, `${(err as Error).message} on ${Buffer.from(input).toString('hex')}`)
        }
      }
    })
    it('mutated valid messages only ever raise DecodeError', () => {
      const valid = encodeMessage(roundTrips[0])
      for (let i = 0; i < 2000; i++) {
        const input = Uint8Array.from(valid)
        input[i % input.length] ^= 1 + (i % 255)
        try {
          decodeMessage(input)
        } catch (err) {
          assert.ok(err instanceof DecodeError, (err as Error).message)
        }
      }
    })
  })
})

describe('avax framing', () => {
  it('prefixes a 4-byte big-endian length', () => {
    assert.deepEqual(encodeFrame(bytes(7, 8, 9)), bytes(0, 0, 0, 3, 7, 8, 9))
  })

  it('splits frames arriving a byte at a time and several per chunk', () => {
    const payloads = [bytes(1), new Uint8Array(0), random(1000), bytes(4, 5)]
    const stream = Uint8Array.from(payloads.flatMap((p) => [...encodeFrame(p)]))
    const decoder = new FrameDecoder()
    const out: Uint8Array[] = []
    for (const b of stream) out.push(...decoder.push(bytes(b)))
    assert.deepEqual(out, payloads)
    assert.equal(decoder.bufferedBytes, 0)
    assert.deepEqual(new FrameDecoder().push(stream), payloads)
  })

  it('refuses a frame above the maximum message size before buffering it', () => {
    const decoder = new FrameDecoder(16 * 1024 * 1024)
    assert.throws(() => decoder.push(bytes(0x00, 0x20, 0x00, 0x01)), (err: unknown) =>
      err instanceof DecodeError && err.reason === 'oversized-payload' && err.fatal)
    assert.throws(() => encodeFrame(new Uint8Array(MAX_MESSAGE_SIZE + 1)), RangeError)
  })

  it('refuses a frame above the session buffer limit', () => {
    const decoder = new FrameDecoder(1024)
    assert.throws(() => decoder.push(bytes(0, 0, 0x04, 0x00)), (err: unknown) =>
      err instanceof DecodeError && err.reason === 'buffer-limit' && err.fatal)
  })
})

/** Test-only base58 decoder, to check formatNodeId against a published node id. */
function base58Decode (text: string): Uint8Array {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
  let n = 0n
  for (const c of text) n = n * 58n + BigInt(alphabet.indexOf(c))
  const out: number[] = []
  while (n > 0n) {
    out.unshift(Number(n & 0xffn))
    n >>= 8n
  }
  for (const c of text) {
    if (c !== '1') break
    out.unshift(0)
  }
  return Uint8Array.from(out)
}

describe('avax ids', () => {
  for (const published of ['NodeID-A6onFGyJjA37EZ7kYHANMR1PFRT8NmXrF', 'NodeID-6SwnPJLH8cWfrJ162JjZekbmzaFpjPcf', 'NodeID-hArafGhY2HFTbwaaVh1CSCUCUCiJ2Vfb']) {
    it(`formats ${published} (from genesis/bootstrappers.json) from its 20 bytes`, () => {
      const decoded = base58Decode(published.slice('NodeID-'.length))
      assert.equal(decoded.length, 24)
      const id = decoded.subarray(0, 20)
      assert.deepEqual(decoded.subarray(20), sha256(id).subarray(28), 'CB58 checksum')
      assert.equal(formatNodeId(id), published)
    })
  }

  it('gossip ids differ by timestamp and are stable', () => {
    const id = random(20)
    assert.deepEqual(gossipId(id, 1n), gossipId(id, 1n))
    assert.notDeepEqual(gossipId(id, 1n), gossipId(id, 2n))
    assert.throws(() => gossipId(random(32), 1n), RangeError)
  })
})

describe('avax ip bytes', () => {
  it('reads IPv4-mapped IPv6 as IPv4', () => {
    assert.deepEqual(endpointFromIpBytes(ipBytesFromHost('1.2.3.4'), 9651), { host: '1.2.3.4', port: 9651, type: 'ipv4' })
    assert.deepEqual(endpointFromIpBytes(bytes(10, 0, 0, 1), 1), { host: '10.0.0.1', port: 1, type: 'ipv4' })
  })
  it('reads IPv6 in canonical text', () => {
    assert.deepEqual(endpointFromIpBytes(ipBytesFromHost('2001:DB8:0:0:0:0:0:1'), 9651), { host: '2001:db8::1', port: 9651, type: 'ipv6' })
    assert.deepEqual(endpointFromIpBytes(ipBytesFromHost('::1'), 2), { host: '::1', port: 2, type: 'ipv6' })
    assert.deepEqual(endpointFromIpBytes(ipBytesFromHost('fe80::1:2'), 2), { host: 'fe80::1:2', port: 2, type: 'ipv6' })
  })
  it('rejects bad lengths and ports', () => {
    assert.equal(endpointFromIpBytes(new Uint8Array(5), 9651), undefined)
    assert.equal(endpointFromIpBytes(new Uint8Array(0), 9651), undefined)
    assert.equal(endpointFromIpBytes(ipBytesFromHost('1.2.3.4'), 0), undefined)
    assert.equal(endpointFromIpBytes(ipBytesFromHost('1.2.3.4'), 70000), undefined)
  })
})
