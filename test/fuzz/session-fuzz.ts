// A seeded fuzzer for the Bitcoin session state machine (adapters/bitcoin/session-machine.ts). Each
// case drives one BitcoinSession with a random mix of what the transport can feed it:
// messages (random, mutated, and handshake-shaped ones so deep states are reached), decode
// errors, timeouts, ends, and raw bytes through a capped FrameParser as the transport does.
// Invariants checked after every step:
//   - nothing throws; every output is a typed one and every message we would send encodes
//   - the parser never buffers more than its cap; learned (collected or streamed) ≤ maxAddresses, without duplicates
//   - 'finish' comes once, after it nothing more; the result is normalised and JSON-safe
//   - ok only after a valid version (not our nonce, version ≥ MIN_PEER_PROTO_VERSION) and a verack
// A failure names its seed and case: runSessionCase(seed, index) replays it.
import { FAILURE_REASONS, type Endpoint, type FailureReason, type LearnedAddress, type SessionResult } from '../../src/contract.js'
import { DecodeError } from '../../src/errors.js'
import { BITCOIN_NETWORKS, MAX_ADDR_ENTRIES, MIN_PEER_PROTO_VERSION, PROTOCOL_VERSION } from '../../adapters/bitcoin/params.js'
import { BitcoinSession, peerKey, type SessionOutput } from '../../adapters/bitcoin/session-machine.js'
import { deriveSeed } from '../../adapters/bitcoin/simnet/random.js'
import { encodeFrame, FrameParser, type BitcoinMessage, type NetAddress } from '../../adapters/bitcoin/wire/index.js'
import { DECODE_REASONS, Rng, randomMessage } from '../bitcoin/fuzz-codec.js'

export interface SessionFuzzStats {
  cases: number
  steps: number
  /** How cases ended: 'ok' or the failure reason. */
  outcomes: Record<string, number>
  /** Largest parser.bufferedBytes seen, and the largest cap in force then. */
  maxBuffered: number
}

const ENDPOINT: Endpoint = { host: '127.0.0.1', port: 18444, type: 'ipv4' }
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/** Run `cases` cases from `seed`; throws an Error naming the failing case. */
export function fuzzSession (cases: number, seed: number, stats: SessionFuzzStats = emptyStats()): SessionFuzzStats {
  for (let i = 0; i < cases; i++) runSessionCase(seed, i, stats)
  return stats
}

export function emptyStats (): SessionFuzzStats {
  return { cases: 0, steps: 0, outcomes: {}, maxBuffered: 0 }
}

/** One case, reproducible from (seed, index). */
export function runSessionCase (seed: number, index: number, stats: SessionFuzzStats = emptyStats()): SessionResult {
  const rng = new Rng(deriveSeed(seed, index))
  const where = `session fuzz seed ${seed} case ${index} (replay: runSessionCase(${seed}, ${index}))`
  const fail = (what: string): never => { throw new Error(`${where}: ${what}`) }
  const { magic } = rng.pick(BITCOIN_NETWORKS)
  const maxAddresses = rng.pick([1, 7, 100, 2500])
  const maxBufferedBytes = rng.pick([24, 200, 4096, 1 << 20])
  const nonce = rng.u64()
  // Half the cases stream learned addresses (SessionOptions.onLearned), half collect them.
  const streaming = rng.pick([false, true])
  const streamedKeys: string[] = []
  const onLearned = streaming ? (batch: LearnedAddress[]) => { for (const l of batch) streamedKeys.push(peerKey(l.endpoint)) } : undefined
  const session = new BitcoinSession({ endpoint: ENDPOINT, userAgent: '/peers-fuzz:0/', maxAddresses, nonce, onLearned })
  const parser = new FrameParser(magic, { maxBufferedBytes })
  const model = { connected: false, sawVersion: false, validVersion: false, verackAfterValidVersion: false, handshakeComplete: false, finished: false }
  const pool = addressPool(rng)

  const check = (outputs: readonly SessionOutput[]): void => {
    if (!Array.isArray(outputs)) fail('outputs are not an array')
    for (const out of outputs) {
      if (model.finished) fail(`output ${out.kind} after finish`)
      switch (out.kind) {
        case 'send':
          try {
            encodeFrame(magic, out.message)
          } catch (err) {
            fail(`the session asked to send a message that does not encode: ${String(err)}`)
          }
          if (out.message.command === 'getaddr' && !model.verackAfterValidVersion) fail('getaddr before the handshake')
          break
        case 'handshake-complete':
          if (model.handshakeComplete) fail('handshake-complete twice')
          if (!model.verackAfterValidVersion) fail('handshake-complete without a valid version and verack')
          model.handshakeComplete = true
          break
        case 'finish':
          model.finished = true
          break
        default:
          fail(`unknown output ${JSON.stringify(out)}`)
      }
    }
    if (model.finished !== (session.phase === 'finished')) fail(`phase ${session.phase} but finish ${model.finished ? '' : 'not '}emitted`)
    const result = session.result()
    if (result.learned.length > maxAddresses) fail(`${result.learned.length} learned over maxAddresses ${maxAddresses}`)
    if (result.addressesReceived < result.learned.length) fail('addressesReceived < learned')
    stats.steps++
  }

  const call = (what: string, step: () => readonly SessionOutput[]): void => {
    let outputs: readonly SessionOutput[]
    try {
      outputs = step()
    } catch (err) {
      return fail(`${what} threw ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
    }
    check(outputs)
  }

  const deliver = (message: BitcoinMessage): void => {
    // The model follows the peer's side: what a correct session may conclude from it. Only
    // the first version counts (Core ignores repeats); nothing counts before we connected.
    if (!model.finished && model.connected) {
      if (message.command === 'version' && !model.sawVersion) {
        model.sawVersion = true
        model.validVersion = message.payload.version >= MIN_PEER_PROTO_VERSION && message.payload.nonce !== nonce
      } else if (message.command === 'verack' && model.validVersion) {
        model.verackAfterValidVersion = true
      }
    }
    call(`received(${message.command})`, () => session.received(message))
  }

  const feedBytes = (bytes: Uint8Array): void => {
    for (let at = 0; at < bytes.length;) {
      const n = 1 + rng.int(rng.bool() ? 16 : 2000)
      let frames
      try {
        frames = parser.push(bytes.subarray(at, at + n))
      } catch (err) {
        return fail(`parser threw ${String(err)}`)
      }
      at += n
      if (parser.bufferedBytes > maxBufferedBytes) fail(`parser buffers ${parser.bufferedBytes} bytes over its ${maxBufferedBytes} cap`)
      stats.maxBuffered = Math.max(stats.maxBuffered, parser.bufferedBytes)
      for (const frame of frames) {
        if (model.finished) return // the transport stops feeding a finished session
        if (frame.kind === 'message') deliver(frame.message)
        else {
          if (!(frame.error instanceof DecodeError) || !DECODE_REASONS.includes(frame.error.reason)) fail(`parser gave ${String(frame.error)}`)
          call(`decodeError(${frame.error.reason})`, () => session.decodeError(frame.error))
        }
      }
      if (parser.failed) return
    }
  }

  if (rng.int(20) !== 0) {
    model.connected = true
    call('connected', () => session.connected())
  }
  const steps = 1 + rng.int(rng.bool() ? 8 : 60)
  for (let s = 0; s < steps && !model.finished; s++) {
    const choice = rng.int(100)
    if (choice < 50) deliver(handshakeShaped(rng, nonce, pool))
    else if (choice < 65) deliver(randomMessage(rng))
    else if (choice < 88) feedBytes(streamOf(rng, magic, nonce, pool))
    else if (choice < 93) {
      const reason = rng.pick(DECODE_REASONS)
      call(`decodeError(${reason})`, () => session.decodeError(new DecodeError(reason, 'fuzz', rng.int(4) === 0)))
    } else if (choice < 97) call('timedOut', () => session.timedOut())
    else {
      const reason = rng.pick(FAILURE_REASONS)
      call(`end(${reason})`, () => session.end(reason, 'fuzz'))
    }
  }
  // The transport always ends a session somehow: by abort, at the latest.
  if (!model.finished) call('end(cancelled)', () => session.end('cancelled', 'fuzz: case over'))
  // A finished session ignores everything.
  for (const late of [() => session.received(randomMessage(rng)), () => session.timedOut(), () => session.connected(), () => session.end('closed')]) {
    let outputs: readonly SessionOutput[] = []
    try { outputs = late() } catch (err) { fail(`a finished session threw ${String(err)}`) }
    if (outputs.length !== 0) fail(`a finished session answered with ${outputs.map((o) => o.kind).join(', ')}`)
  }

  const result = session.result()
  checkResult(result, model, maxAddresses, fail)
  if (streaming && result.learned.length > 0) fail('learned collected although streamed')
  if (new Set(streamedKeys).size !== streamedKeys.length) fail('the same address streamed twice')
  if (streamedKeys.length > maxAddresses) fail('streamed over the cap')
  const outcome = result.ok ? 'ok' : result.reason ?? 'none'
  stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1
  stats.cases++
  return result
}

function checkResult (result: SessionResult, model: { verackAfterValidVersion: boolean }, maxAddresses: number, fail: (what: string) => never): void {
  if (result.ok) {
    if (result.reason !== undefined) fail(`ok with reason ${result.reason}`)
    if (!model.verackAfterValidVersion) fail('ok without a valid version followed by verack')
    if (result.peer === undefined || result.handshakeMs === undefined) fail('ok without peer info or handshakeMs')
    if (typeof result.gotAddressAnswer !== 'boolean') fail('ok without gotAddressAnswer')
    if ((result.answer !== undefined) !== result.gotAddressAnswer) fail('answer set iff gotAddressAnswer')
  } else if (!FAILURE_REASONS.includes(result.reason as FailureReason)) {
    fail(`failed with reason ${String(result.reason)}`)
  }
  const keys = result.learned.map((l) => peerKey(l.endpoint))
  if (new Set(keys).size !== keys.length) fail('the same address learned twice')
  if (result.learned.length > maxAddresses) fail('learned over the cap')
  const agent = result.peer?.userAgent
  if (agent !== undefined && (agent.length > 256 || CONTROL.test(agent))) fail(`user agent not sanitised: ${JSON.stringify(agent)}`)
  let json: string
  try {
    json = JSON.stringify(result)
  } catch (err) {
    return fail(`result is not JSON-safe: ${String(err)}`)
  }
  if (JSON.stringify(JSON.parse(json)) !== json) fail('result does not survive JSON')
}

/** A few hundred addresses that repeat across messages, so deduplication and the cap both bite. */
function addressPool (rng: Rng): NetAddress[] {
  return Array.from({ length: 1 + rng.int(300) }, (_, i) => ({
    time: rng.u32(), services: rng.u64(), type: 'ipv4' as const, host: `1.2.${i >> 8}.${i & 255}`, port: 1 + rng.int(65535)
  }))
}

/** Messages of the handshake and address exchange with plausible fields, in a random order. */
function handshakeShaped (rng: Rng, ourNonce: bigint, pool: NetAddress[]): BitcoinMessage {
  switch (rng.int(8)) {
    case 0: case 1: return {
      command: 'version',
      payload: {
        version: rng.pick([PROTOCOL_VERSION, 70015, MIN_PEER_PROTO_VERSION, MIN_PEER_PROTO_VERSION - 1, 0, -1]),
        services: rng.u64(),
        timestamp: rng.i64(),
        addrRecv: { services: 0n, host: '127.0.0.1', port: 18444 },
        addrFrom: { services: 0n, host: '::', port: 0 },
        nonce: rng.int(10) === 0 ? ourNonce : rng.u64(),
        userAgent: rng.bool() ? '/Satoshi:28.1.0/' : '\u001b[31m/evil\u202e/\u0000',
        startHeight: rng.i32(),
        relay: rng.bool()
      }
    }
    case 2: case 3: return { command: 'verack' }
    case 4: return { command: 'ping', nonce: rng.u64() }
    case 5: return { command: rng.bool() ? 'sendaddrv2' : 'wtxidrelay' }
    default: {
      const count = rng.int(4) === 0 ? MAX_ADDR_ENTRIES : rng.int(20)
      const addresses = Array.from({ length: count }, () => rng.pick(pool))
      return rng.bool() ? { command: 'addr', addresses } : { command: 'addrv2', addresses, skipped: 0 }
    }
  }
}

/** Bytes as a peer might send them: valid frames, mutated frames, and noise. */
function streamOf (rng: Rng, magic: Uint8Array, ourNonce: bigint, pool: NetAddress[]): Uint8Array {
  const parts: Uint8Array[] = []
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const frame = encodeFrame(magic, rng.bool() ? handshakeShaped(rng, ourNonce, pool) : randomMessage(rng))
    switch (rng.int(6)) {
      case 0: parts.push(rng.bytes(rng.int(64))); break
      case 1: {
        const mutated = frame.slice()
        for (let k = 1 + rng.int(3); k > 0; k--) mutated[rng.int(mutated.length)] ^= 1 << rng.int(8)
        parts.push(mutated)
        break
      }
      case 2: parts.push(frame.subarray(0, rng.int(frame.length))); break
      default: parts.push(frame)
    }
  }
  return Uint8Array.from(parts.flatMap((p) => [...p]))
}
