// `peers check` for Bitcoin: one peer, step by step (connect, version, verack, ping, getaddr),
// each step timed and told in plain words. Unlike the crawler's session (session.ts, built for
// thousands at once and silent about why), this conversation keeps every fact a node operator
// needs: which network a wrong magic belongs to, how many messages failed their checksum, the
// ping round trip. It follows Core's rules as the session does (../shared/bitcoin-p2p.md):
// messages that fail their checksum or name an unknown type are dropped, not fatal.
import { setMaxListeners } from 'node:events'
import { connect, isIP, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { DialError, type Diagnosis, type DiagnosisOptions, type DiagnosisStep, type Endpoint, type FailureReason, type PeerInfo } from '../../src/contract.js'
import { describeError, type DecodeError } from '../../src/errors.js'
import { assertDialAllowed } from '../../src/net/dial-guard.js'
import { BITCOIN_NETWORKS, MAX_PAYLOAD, MIN_PEER_PROTO_VERSION, PROTOCOL_VERSION, serviceNames, type BitcoinNetworkParams } from './params.js'
import { peerKey, randomNonce, sanitizePeerText, WTXID_RELAY_VERSION } from './session-machine.js'
import { socketFailure } from './session-runner.js'
import { encodeFrame, FrameParser, type BitcoinMessage, type VersionPayload } from './wire/index.js'

/** BIP31: from this version on a peer answers ping with a pong carrying the nonce. */
const BIP31_VERSION = 60001
const HEADER_BYTES = 24

type Event =
  | { kind: 'message', message: BitcoinMessage }
  | { kind: 'timeout' }
  | { kind: 'closed' }
  | { kind: 'socket-error', code: string | undefined, message: string }
  | { kind: 'fatal', error: DecodeError }
  | { kind: 'bad-payload', command: string, error: DecodeError }
  | { kind: 'cancelled' }

/** What a wrong magic means: another Bitcoin network's (which?), or not Bitcoin at all. */
export function describeMagic (firstBytes: Uint8Array, expected: BitcoinNetworkParams): { cause: string, advice: string } {
  const hex = Buffer.from(firstBytes.subarray(0, 4)).toString('hex')
  const other = BITCOIN_NETWORKS.find((n) => firstBytes.length >= 4 && n.magic.every((b, i) => b === firstBytes[i]))
  if (other !== undefined) {
    return {
      cause: `the peer speaks Bitcoin ${other.name} (message start ${hex}), not ${expected.name} (${Buffer.from(expected.magic).toString('hex')})`,
      advice: `check it on its own network: --net ${other.name}; a node meant for ${expected.name} needs its configuration fixed (-chain=${expected.name === 'mainnet' ? 'main' : expected.name})`
    }
  }
  return {
    cause: `the peer's first bytes (${hex}) are no Bitcoin network's message start: another protocol listens on that port (a web or SSH server, another coin, an encrypted-only transport)`,
    advice: 'check that the port is the Bitcoin node\'s P2P port (not its RPC port) and that nothing else is bound to it'
  }
}

/** Reads frames from one socket and hands them out one wait at a time; answers pings meanwhile, as Core expects. */
class Conversation {
  readonly parser: FrameParser
  checksumFailures = 0
  /** Messages that decoded (checksum and type valid). */
  messages = 0
  /** The first bytes the peer sent, to tell which network a wrong magic is. */
  firstBytes = new Uint8Array(0)
  private readonly queue: Event[] = []
  private waiter?: (event: Event) => void
  private ended?: Event

  constructor (private readonly socket: Socket, private readonly magic: Uint8Array, signal: AbortSignal) {
    this.parser = new FrameParser(magic, { maxPayload: MAX_PAYLOAD, maxBufferedBytes: MAX_PAYLOAD + HEADER_BYTES })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => this.finish({ kind: 'closed' }))
    socket.on('close', () => this.finish({ kind: 'closed' }))
    socket.on('error', (err: NodeJS.ErrnoException) => this.finish({ kind: 'socket-error', code: err.code, message: err.message }))
    setMaxListeners(0, signal)
    signal.addEventListener('abort', () => this.finish({ kind: 'cancelled' }), { once: true })
  }

  send (message: BitcoinMessage): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(this.magic, message))
  }

  /** The next event, or 'timeout' at `deadline` (performance.now() ms). */
  async next (deadline: number): Promise<Event> {
    const queued = this.queue.shift()
    if (queued !== undefined) return queued
    if (this.ended !== undefined) return this.ended
    return await new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiter = undefined; resolve({ kind: 'timeout' }) }, Math.max(0, deadline - performance.now()))
      this.waiter = (event) => { clearTimeout(timer); this.waiter = undefined; resolve(event) }
    })
  }

  close (): void {
    if (!this.socket.destroyed && this.socket.writableLength === 0) this.socket.end(() => this.socket.destroy())
    else this.socket.destroy()
  }

  private onData (chunk: Buffer): void {
    if (this.firstBytes.length < 4) this.firstBytes = Buffer.concat([this.firstBytes, chunk.subarray(0, 4 - this.firstBytes.length)])
    for (const frame of this.parser.push(chunk)) {
      if (frame.kind === 'message') {
        this.messages++
        if (frame.message.command === 'ping') this.send({ command: 'pong', nonce: frame.message.nonce })
        this.deliver({ kind: 'message', message: frame.message })
      } else if (frame.error.fatal) {
        this.finish({ kind: 'fatal', error: frame.error })
      } else if (frame.error.reason === 'bad-checksum') {
        this.checksumFailures++
      } else if (frame.command !== undefined) {
        this.deliver({ kind: 'bad-payload', command: frame.command, error: frame.error })
      }
    }
  }

  private deliver (event: Event): void {
    if (this.ended !== undefined) return
    if (this.waiter !== undefined) this.waiter(event)
    else this.queue.push(event)
  }

  private finish (event: Event): void {
    if (this.ended !== undefined) return
    this.deliver(event)
    this.ended = event
  }
}

export async function diagnoseBitcoin (endpoint: Endpoint, options: DiagnosisOptions, params: BitcoinNetworkParams): Promise<Diagnosis> {
  const { timeouts, signal } = options
  const steps: DiagnosisStep[] = []
  const diagnosis: Diagnosis = { reachable: false, steps, times: {} }
  const step = (s: DiagnosisStep): void => {
    steps.push(s)
    options.onStep?.(s)
  }
  const fail = (reason: FailureReason, extra: { cause?: string, advice?: string } = {}): Diagnosis => {
    diagnosis.reason = reason
    if (extra.cause !== undefined) diagnosis.cause = extra.cause
    if (extra.advice !== undefined) diagnosis.advice = extra.advice
    return diagnosis
  }

  // 1. The byte stream.
  const connectStart = performance.now()
  let socket: Socket
  try {
    socket = await open(endpoint, options)
  } catch (err) {
    const ms = Math.round(performance.now() - connectStart)
    const reason = err instanceof DialError ? err.reason : 'error'
    step({ name: 'connect', status: 'failed', ms, text: connectFailureText(reason, ms, err), facts: { reason } })
    return fail(reason, reason === 'error' ? { cause: describeError(err) } : {})
  }
  const connectedAt = performance.now()
  diagnosis.times.connectMs = Math.round(connectedAt - connectStart)
  step({ name: 'connect', status: 'ok', ms: diagnosis.times.connectMs, text: `connection open in ${diagnosis.times.connectMs} ms` })

  const talk = new Conversation(socket, params.magic, signal)
  try {
    // 2. Our version, theirs.
    const nonce = randomNonce()
    talk.send({ command: 'version', payload: ourVersion(endpoint, options.userAgent, nonce) })
    const handshakeDeadline = connectedAt + timeouts.handshakeMs
    let event = await talk.next(handshakeDeadline)
    while (event.kind === 'message' && event.message.command !== 'version') {
      // Core ignores everything before version except a verack, which breaks the order.
      if (event.message.command === 'verack') {
        step({ name: 'version', status: 'failed', ms: since(connectedAt), text: 'the peer sent verack before its version' })
        return fail('protocol-error', { cause: 'the peer broke the handshake order (verack before version): not a conforming Bitcoin node' })
      }
      event = await talk.next(handshakeDeadline)
    }
    if (event.kind !== 'message') {
      const f = handshakeFailure(event, talk, 'version', params, timeouts.handshakeMs)
      step({ name: 'version', status: 'failed', ms: since(connectedAt), text: f.text, facts: f.facts })
      return fail(f.reason, f)
    }
    const v = (event.message as Extract<BitcoinMessage, { command: 'version' }>).payload
    const peer: PeerInfo = { protocolVersion: v.version, services: v.services.toString(), userAgent: sanitizePeerText(v.userAgent), startHeight: v.startHeight, relay: v.relay }
    diagnosis.peer = peer
    diagnosis.serviceNames = serviceNames(peer.services ?? '0')
    const facts = {
      protocolVersion: v.version,
      userAgent: peer.userAgent ?? '',
      services: peer.services ?? '0',
      servicesHex: `0x${v.services.toString(16)}`,
      serviceNames: diagnosis.serviceNames,
      startHeight: v.startHeight,
      relay: v.relay
    }
    const names = diagnosis.serviceNames.length > 8 ? `${diagnosis.serviceNames.slice(0, 6).join(' ')} and ${diagnosis.serviceNames.length - 6} more` : diagnosis.serviceNames.join(' ')
    const about = `protocol ${v.version}, ${JSON.stringify(peer.userAgent)}, services ${names === '' ? 'none' : names} (0x${v.services.toString(16)}), height ${v.startHeight}`
    if (v.nonce === nonce) {
      step({ name: 'version', status: 'failed', ms: since(connectedAt), text: 'the peer sent our own version nonce back', facts })
      return fail('self-connection', { cause: 'this address leads back to this very process' })
    }
    if (v.version < MIN_PEER_PROTO_VERSION) {
      step({ name: 'version', status: 'failed', ms: since(connectedAt), text: `version: ${about}`, facts })
      return fail('obsolete-version', {
        cause: `its protocol version ${v.version} is older than ${MIN_PEER_PROTO_VERSION}, the oldest Bitcoin Core (and this tool) still talks to`,
        advice: 'upgrade the node software; current nodes disconnect it'
      })
    }
    step({ name: 'version', status: 'ok', ms: since(connectedAt), text: `version: ${about}`, facts })
    if (v.version >= WTXID_RELAY_VERSION) {
      talk.send({ command: 'sendaddrv2' })
      talk.send({ command: 'wtxidrelay' })
    }
    talk.send({ command: 'verack' })

    // 3. Their verack.
    const verackStart = performance.now()
    event = await talk.next(handshakeDeadline)
    while (event.kind === 'message' && event.message.command !== 'verack') event = await talk.next(handshakeDeadline)
    if (event.kind !== 'message') {
      const f = handshakeFailure(event, talk, 'verack', params, timeouts.handshakeMs)
      step({ name: 'verack', status: 'failed', ms: since(verackStart), text: f.text, facts: f.facts })
      return fail(f.reason, f)
    }
    diagnosis.times.handshakeMs = since(connectedAt)
    diagnosis.reachable = true
    step({ name: 'verack', status: 'ok', ms: since(verackStart), text: `handshake complete ${diagnosis.times.handshakeMs} ms after the connection opened` })

    // 4. A ping round trip (the peer may send its own messages meanwhile: skipped).
    if (v.version >= BIP31_VERSION) {
      const pingNonce = randomNonce()
      const pingStart = performance.now()
      talk.send({ command: 'ping', nonce: pingNonce })
      const deadline = pingStart + timeouts.handshakeMs
      event = await talk.next(deadline)
      while (event.kind === 'message' && !(event.message.command === 'pong' && event.message.nonce === pingNonce)) event = await talk.next(deadline)
      if (event.kind === 'message') {
        diagnosis.times.pingMs = since(pingStart)
        step({ name: 'ping', status: 'ok', ms: diagnosis.times.pingMs, text: `ping answered in ${diagnosis.times.pingMs} ms` })
      } else {
        step({ name: 'ping', status: 'warning', ms: since(pingStart), text: `no pong (${afterEnd(event, timeouts.handshakeMs)})` })
        if (event.kind !== 'timeout') return diagnosis
      }
    }

    // 5. The address answer: the first addr/addrv2 after getaddr, unless its only entry is the
    // peer itself (a self-announcement; docs/design.md §1.1).
    const askStart = performance.now()
    talk.send({ command: 'getaddr' })
    const askDeadline = askStart + timeouts.askPeersMs
    const self = peerKey(endpoint)
    let selfAnnouncements = 0
    for (;;) {
      event = await talk.next(askDeadline)
      if (event.kind !== 'message') break
      const m = event.message
      if (m.command !== 'addr' && m.command !== 'addrv2') continue
      const entries = m.addresses.length + (m.command === 'addrv2' ? m.skipped : 0)
      if (entries === 1 && peerKey(m.addresses[0] ?? { host: '', port: 0 }) === self) {
        selfAnnouncements++
        continue
      }
      const afterMs = since(askStart)
      diagnosis.answer = { entries, afterMs }
      step({ name: 'addresses', status: 'ok', ms: afterMs, text: `getaddr answered with ${entries} address${entries === 1 ? '' : 'es'} (${m.command}) after ${afterMs} ms`, facts: { entries, afterMs, message: m.command } })
      return diagnosis
    }
    const note = selfAnnouncements > 0 ? '; it only announced itself' : ''
    step({ name: 'addresses', status: 'warning', ms: since(askStart), text: `no answer to getaddr (${afterEnd(event, timeouts.askPeersMs)})${note}: old nodes answer only once per connection and some never do; reachability is not affected`, facts: { selfAnnouncements } })
    return diagnosis
  } finally {
    talk.close()
  }
}

function since (start: number): number {
  return Math.round(performance.now() - start)
}

function afterEnd (event: Event, waitedMs: number): string {
  switch (event.kind) {
    case 'timeout': return `waited ${waitedMs} ms`
    case 'closed': return 'the peer closed the connection'
    case 'socket-error': return `connection error ${event.code ?? event.message}`
    case 'fatal': return `undecodable stream: ${event.error.message}`
    case 'cancelled': return 'cancelled'
    default: return 'unexpected message'
  }
}

interface StepFailure { reason: FailureReason, text: string, cause?: string, advice?: string, facts?: Record<string, string | number | boolean | string[]> }

/** Why the handshake stopped while waiting for `waitingFor`, with what the conversation counted. */
function handshakeFailure (event: Exclude<Event, { kind: 'message' }>, talk: Conversation, waitingFor: 'version' | 'verack', params: BitcoinNetworkParams, handshakeMs: number): StepFailure {
  const facts = { messages: talk.messages, checksumFailures: talk.checksumFailures }
  switch (event.kind) {
    case 'timeout': {
      if (talk.checksumFailures > 0 && talk.messages === 0) {
        return {
          reason: 'handshake-timeout',
          text: `no valid ${waitingFor} within ${handshakeMs} ms: every message the peer sent (${talk.checksumFailures}) failed its checksum`,
          cause: `every message failed its checksum (${talk.checksumFailures} of ${talk.checksumFailures}): a broken implementation, or a device on the way that alters the bytes`,
          advice: 'check the node software; try from another network to rule out a middlebox',
          facts
        }
      }
      const silent = talk.firstBytes.length === 0
      return {
        reason: 'handshake-timeout',
        text: silent ? `nothing received within ${handshakeMs} ms` : `no ${waitingFor} within ${handshakeMs} ms`,
        cause: silent
          ? 'the connection opened but the peer never said a word: a node stuck or overloaded, a service that waits for the client to speak another protocol, or a tarpit'
          : `the peer talked (${talk.messages} message${talk.messages === 1 ? '' : 's'}) but did not complete the handshake in time: an overloaded node, a very slow link, or a broken implementation`,
        facts
      }
    }
    case 'closed':
      return {
        reason: 'closed',
        text: `the peer closed the connection before its ${waitingFor}`,
        cause: talk.firstBytes.length === 0
          ? 'the peer accepted the connection and closed it at once: its inbound slots may be full, it may have banned or be filtering this address, or the service on that port is not a Bitcoin node'
          : `the peer closed the connection during the handshake (before its ${waitingFor}): it may have rejected our version or be full`,
        facts
      }
    case 'socket-error': {
      const reason = socketFailure(event.code, false)
      return { reason, text: `connection error before its ${waitingFor}: ${event.code ?? event.message}`, facts }
    }
    case 'fatal':
      if (event.error.reason === 'bad-magic') {
        return { reason: 'wrong-network', text: `wrong network: ${event.error.message}`, ...describeMagic(talk.firstBytes, params), facts }
      }
      return { reason: event.error.reason === 'buffer-limit' ? 'session-limit' : 'protocol-error', text: `undecodable message: ${event.error.message}`, cause: 'the peer sent bytes no Bitcoin node sends: not a conforming Bitcoin node', facts }
    case 'bad-payload':
      return { reason: 'protocol-error', text: `its ${event.command} did not decode: ${event.error.message}`, cause: 'the peer sent a malformed handshake message: not a conforming Bitcoin node', facts }
    case 'cancelled':
      return { reason: 'cancelled', text: 'cancelled', facts }
  }
}

function connectFailureText (reason: FailureReason, ms: number, err: unknown): string {
  switch (reason) {
    case 'refused': return `connection refused after ${ms} ms (the host answered with a TCP reset)`
    case 'connect-timeout': return `no answer to the connection attempt within ${ms} ms`
    case 'unreachable': return `no route to the host (${describeError(err)})`
    default: return `could not connect: ${describeError(err)}`
  }
}

/** Direct TCP unless the caller gave a dialer (a proxy); rejects with DialError. */
async function open (endpoint: Endpoint, options: DiagnosisOptions): Promise<Socket> {
  if (options.dial !== undefined) return await options.dial(endpoint, { signal: options.signal, timeoutMs: options.timeouts.connectMs })
  // A host name would make node:net resolve it: the command resolves names itself, visibly.
  if (isIP(endpoint.host) === 0) throw new DialError('error', `${endpoint.host} is not an IP address`)
  assertDialAllowed(endpoint.host)
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
    socket.on('error', () => {}) // reported through onError, or later by the conversation
    const timer = setTimeout(() => { done(); socket.destroy(); reject(new DialError('connect-timeout', 'no answer to the connection attempt')) }, options.timeouts.connectMs)
    const onAbort = (): void => { done(); socket.destroy(); reject(new DialError('cancelled', 'cancelled')) }
    const onError = (err: NodeJS.ErrnoException): void => { done(); socket.destroy(); reject(new DialError(socketFailure(err.code, true), err.code ?? err.message)) }
    const onConnect = (): void => { done(); resolve(socket) }
    function done (): void {
      clearTimeout(timer)
      options.signal.removeEventListener('abort', onAbort)
      socket.off('error', onError)
      socket.off('connect', onConnect)
    }
    options.signal.addEventListener('abort', onAbort, { once: true })
    socket.once('error', onError)
    socket.once('connect', onConnect)
  })
}

function ourVersion (endpoint: Endpoint, userAgent: string, nonce: bigint): VersionPayload {
  return {
    version: PROTOCOL_VERSION,
    services: 0n,
    timestamp: BigInt(Math.floor(Date.now() / 1000)),
    addrRecv: { services: 0n, host: endpoint.host, port: endpoint.port },
    addrFrom: { services: 0n, host: '::', port: 0 },
    nonce,
    userAgent,
    startHeight: 0,
    relay: false
  }
}
