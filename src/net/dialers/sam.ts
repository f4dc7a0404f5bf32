// I2P through a SAM v3.1 bridge (i2pd, or Java I2P with SAM enabled), speaking exactly what
// Bitcoin Core's src/i2p.cpp sends (shared/overlay-networks.md §2.1-2.2):
//   HELLO VERSION MIN=3.1 MAX=3.1
//   SESSION CREATE STYLE=STREAM ID=<id> DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0 …
//   NAMING LOOKUP NAME=<52 chars>.b32.i2p          → NAMING REPLY RESULT=OK … VALUE=<destination>
//   STREAM CONNECT ID=<id> DESTINATION=<dest> SILENT=false → STREAM STATUS RESULT=OK, then raw bytes
//
// One transient session for all connects, not Core's fresh one per connection: creating a
// session builds tunnels, which takes seconds to minutes (SAM spec), and a crawler makes
// thousands of connects, so one session per connect would spend most of a crawl building
// tunnels and load the router with thousands of destinations. p2p-crawler made the same
// choice (v2.2.2, which also fixed its socket leak). The session is rebuilt when the bridge
// drops its control socket or answers INVALID_ID. A node sees the same (throw-away)
// destination from us on every connect; a crawler announces nothing, so that links nothing.
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { DialError, type Dial, type DialOptions, type Endpoint, type FailureReason } from '../../contract.js'
import { NegotiationReader } from './reader.js'
import { ProxyFault, type ProxyAddress } from './socks5.js'
import { openTcp } from './tcp.js'

/** Longest SAM line we read: a destination is ~400-1,000 base64 characters, a private key a bit more. */
export const SAM_MAX_LINE = 8192
/** The bridge must accept our TCP connection and answer HELLO within this; else it is down or hung. */
export const SAM_HELLO_MS = 10_000
/** SESSION CREATE builds tunnels: "a minute or more" under congestion (SAM spec); Core waits 3 min for every reply. */
export const SAM_SESSION_MS = 180_000

/** SAM RESULT of a NAMING LOOKUP or STREAM CONNECT as a stable reason (docs/design.md §3). */
export function samResultReason (result: string): FailureReason {
  switch (result) {
    case 'CANT_REACH_PEER': return 'i2p-unreachable'
    // i2pd answers INVALID_KEY to a lookup of an unknown name (overlay-networks.md §2.4).
    case 'INVALID_KEY': return 'i2p-invalid-key'
    case 'KEY_NOT_FOUND': case 'PEER_NOT_FOUND': case 'LEASESET_NOT_FOUND': return 'i2p-not-found'
    case 'TIMEOUT': return 'i2p-timeout'
    default: return 'i2p-error' // I2P_ERROR and anything else
  }
}

/** A SAM reply line: two words, then KEY=VALUE pairs (VALUE may be "quoted"). */
export function parseSamReply (line: string): { words: [string, string], fields: Map<string, string> } | undefined {
  const m = /^(\S+) (\S+)(.*)$/.exec(line)
  if (m === null) return undefined
  const fields = new Map<string, string>()
  const pair = /\s+([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?/gy
  let rest = m[3]
  pair.lastIndex = 0
  let p: RegExpExecArray | null
  while ((p = pair.exec(rest)) !== null) {
    const raw = p[2] ?? ''
    fields.set(p[1], raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw)
    if (pair.lastIndex === rest.length) break
  }
  rest = rest.slice(pair.lastIndex).trim()
  if (rest.length > 0) return undefined
  return { words: [m[1], m[2]], fields }
}

export interface SamOptions {
  bridge: ProxyAddress
  /** Told when the bridge itself fails (down, hung, broken), not when a peer does. */
  onProxyFailure?: (err: DialError) => void
  /** Test hook: how long SESSION CREATE may take. */
  sessionTimeoutMs?: number
}

export interface SamDialer {
  dial: Dial
  /** Closes the session's control socket. */
  close: () => void
}

interface SamSession { id: string, control: Socket, closed: boolean }

export function samDialer (options: SamOptions): SamDialer {
  const { bridge } = options
  const what = `SAM bridge ${bridge.host.includes(':') ? `[${bridge.host}]` : bridge.host}:${bridge.port}`
  const sessionTimeoutMs = options.sessionTimeoutMs ?? SAM_SESSION_MS
  let current: Promise<SamSession> | undefined
  let closed = false

  const fault = (result: string | undefined, doing: string, message?: string): ProxyFault =>
    new ProxyFault('proxy-error', `${what} ${result === undefined ? 'sent a malformed reply' : `answered ${result}`} to ${doing}${message !== undefined ? ` (${message})` : ''}`)

  /** TCP, then HELLO: the start of every SAM socket. */
  async function hello (signal: AbortSignal, timeoutMs: number): Promise<NegotiationReader> {
    const started = Date.now()
    const helloMs = Math.min(timeoutMs, SAM_HELLO_MS)
    const socket = await openTcp(bridge.host, bridge.port, { signal, timeoutMs: helloMs, failure: () => 'proxy-unavailable', what })
    const reader = new NegotiationReader(socket, { signal, what })
    try {
      socket.write('HELLO VERSION MIN=3.1 MAX=3.1\n')
      const reply = await readReply(reader, ['HELLO', 'REPLY'], 'HELLO', helloMs - (Date.now() - started),
        () => new DialError('proxy-unavailable', `${what} did not answer HELLO within ${helloMs} ms`))
      const result = reply.get('RESULT')
      if (result !== 'OK') throw fault(result, 'HELLO', reply.get('MESSAGE'))
      return reader
    } catch (err) {
      reader.destroy()
      throw err
    }
  }

  async function readReply (reader: NegotiationReader, words: [string, string], doing: string, timeoutMs: number, onTimeout: () => DialError): Promise<Map<string, string>> {
    const line = await reader.line(SAM_MAX_LINE, timeoutMs, onTimeout, () => fault(undefined, doing, `a line over ${SAM_MAX_LINE} bytes`))
    const reply = parseSamReply(line)
    if (reply === undefined || reply.words[0] !== words[0] || reply.words[1] !== words[1] || !reply.fields.has('RESULT')) {
      throw fault(undefined, doing, `expected '${words.join(' ')} RESULT=…', got '${line.slice(0, 80)}'`)
    }
    return reply.fields
  }

  async function createSession (): Promise<SamSession> {
    // The session outlives any one dial: its own signal, not a dial's.
    const lifetime = new AbortController()
    const reader = await hello(lifetime.signal, sessionTimeoutMs)
    try {
      const id = randomBytes(5).toString('hex') // Core: 10 hex characters
      reader.socket.write(`SESSION CREATE STYLE=STREAM ID=${id} DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0 inbound.quantity=1 outbound.quantity=1\n`)
      const reply = await readReply(reader, ['SESSION', 'STATUS'], 'SESSION CREATE', sessionTimeoutMs,
        () => new DialError('proxy-unavailable', `${what} did not create a session within ${sessionTimeoutMs} ms`))
      const result = reply.get('RESULT')
      if (result !== 'OK') throw fault(result, 'SESSION CREATE', reply.get('MESSAGE'))
      // The session lives as long as this socket: keep it open, read and drop whatever comes.
      const control = reader.release()
      const session: SamSession = { id, control, closed: false }
      const drop = (): void => {
        session.closed = true
        control.destroy()
        if (current !== undefined) void current.then((s) => { if (s === session) current = undefined }, () => {})
      }
      control.on('data', () => {})
      control.on('error', drop)
      control.on('close', drop)
      control.resume()
      if (closed) drop()
      return session
    } catch (err) {
      reader.destroy()
      throw err
    }
  }

  function session (): Promise<SamSession> {
    if (current === undefined) {
      const created = createSession()
      current = created
      created.catch(() => { if (current === created) current = undefined })
    }
    return current
  }

  /** Waits for the shared session within this dial's own time and signal. */
  function sessionFor ({ signal, timeoutMs }: DialOptions): Promise<SamSession> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new DialError('proxy-unavailable', `${what} had no session ready within ${timeoutMs} ms`)) }, timeoutMs)
      const onAbort = (): void => { done(); reject(new DialError('cancelled', 'aborted')) }
      signal.addEventListener('abort', onAbort, { once: true })
      function done (): void {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
      }
      session().then((s) => { done(); resolve(s) }, (err: unknown) => { done(); reject(err) })
    })
  }

  async function connectOnce (endpoint: Endpoint, dialOptions: DialOptions, started: number): Promise<Socket | 'invalid-id'> {
    const { signal, timeoutMs } = dialOptions
    const left = (): number => timeoutMs - (Date.now() - started)
    const s = await sessionFor({ signal, timeoutMs: left() })
    const reader = await hello(signal, left())
    const peerTimeout = (): DialError => new DialError('connect-timeout', `no answer through ${what} within ${timeoutMs} ms`)
    try {
      reader.socket.write(`NAMING LOOKUP NAME=${endpoint.host}\n`)
      const lookup = await readReply(reader, ['NAMING', 'REPLY'], 'NAMING LOOKUP', left(), peerTimeout)
      const found = lookup.get('RESULT') ?? ''
      if (found !== 'OK') throw new DialError(samResultReason(found), `${what}: NAMING LOOKUP of ${endpoint.host}: ${found}${lookup.has('MESSAGE') ? ` (${lookup.get('MESSAGE')})` : ''}`)
      const destination = lookup.get('VALUE')
      if (destination === undefined || !/^[A-Za-z0-9~=-]+$/.test(destination)) throw fault(undefined, 'NAMING LOOKUP', 'no destination in VALUE')

      reader.socket.write(`STREAM CONNECT ID=${s.id} DESTINATION=${destination} SILENT=false\n`)
      const status = await readReply(reader, ['STREAM', 'STATUS'], 'STREAM CONNECT', left(), peerTimeout)
      const result = status.get('RESULT') ?? ''
      if (result === 'INVALID_ID') {
        reader.destroy()
        return 'invalid-id'
      }
      if (result !== 'OK') throw new DialError(samResultReason(result), `${what}: STREAM CONNECT to ${endpoint.host}: ${result}${status.has('MESSAGE') ? ` (${status.get('MESSAGE')})` : ''}`)
      return reader.release()
    } catch (err) {
      reader.destroy()
      throw err
    }
  }

  const dial: Dial = async (endpoint, dialOptions) => {
    const started = Date.now()
    // SAM 3.1 has no ports: Core listens on, advertises and dials only port 0 (I2P_SAM31_PORT).
    if (endpoint.port !== 0) throw new DialError('refused', `I2P peers are dialed on port 0 only, as Core does (got ${endpoint.port})`)
    if (endpoint.type !== 'i2p') throw new DialError('error', `${endpoint.host} is not an I2P name`)
    try {
      for (let attempt = 0; ; attempt++) {
        const socket = await connectOnce(endpoint, dialOptions, started)
        if (socket !== 'invalid-id') return socket
        // The bridge forgot our session (restarted, say): rebuild it once.
        const stale = current
        current = undefined
        void stale?.then((s) => s.control.destroy(), () => {})
        if (attempt > 0) throw new ProxyFault('proxy-error', `${what} answered INVALID_ID twice, even for a new session`)
      }
    } catch (err) {
      const dialError = err instanceof DialError ? err : new DialError('error', String(err), { cause: err })
      if (dialError.reason === 'proxy-unavailable' || dialError instanceof ProxyFault) options.onProxyFailure?.(dialError)
      throw dialError
    }
  }

  return {
    dial,
    close () {
      closed = true
      void current?.then((s) => s.control.destroy(), () => {})
      current = undefined
    }
  }
}
