// Runs one AVAX session over a transport: dials, frames, drives the state machine, keeps
// the timers and caps, and turns every way it can end into a SessionResult. Never throws.
import { setMaxListeners } from 'node:events'
import { DialError, type Endpoint, type FailureReason, type SessionOptions, type SessionResult } from '../../src/contract.js'
import { DecodeError, DialForbiddenError, NotImplementedError, describeError } from '../../src/errors.js'
import { startPhaseTimer, type PhaseTimer } from '../../src/net/phase-timer.js'
import { FrameDecoder, encodeFrame } from './framing.js'
import { decodeMessage, encodeMessage } from './messages.js'
import { AvaxSessionMachine, type SessionAction } from './session-machine.js'
import type { AvaxConnection, AvaxTransport } from './transport.js'

/** Malformed messages tolerated in one session (AvalancheGo drops them and reads on). */
const MAX_MALFORMED_MESSAGES = 16

const UNREACHABLE_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL'])

function connectFailure (err: unknown, signal: AbortSignal): { reason: FailureReason, detail: string } {
  if (err instanceof NotImplementedError) return { reason: 'not-implemented', detail: err.message }
  if (err instanceof DialForbiddenError) return { reason: 'error', detail: err.message }
  if (err instanceof DialError) return { reason: err.reason, detail: err.message }
  if (signal.aborted) return { reason: 'cancelled', detail: 'stopped while connecting' }
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ECONNREFUSED') return { reason: 'refused', detail: 'connection refused' }
  if (code === 'ETIMEDOUT') return { reason: 'connect-timeout', detail: describeError(err) }
  if (code === 'ECONNRESET') return { reason: 'reset', detail: 'connection reset while connecting' }
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return { reason: 'unreachable', detail: code }
  return { reason: 'error', detail: describeError(err) }
}

export async function runAvaxSession (endpoint: Endpoint, options: SessionOptions, transport: AvaxTransport, networkId: number): Promise<SessionResult> {
  const started = performance.now()
  const failed = (reason: FailureReason, detail: string): SessionResult => ({ endpoint, ok: false, reason, detail, learned: [], addressesReceived: 0 })
  if (options.signal.aborted) return failed('cancelled', 'stopped before connecting')
  // The engine gives each session its own signal, but a caller may share one among many
  // sessions (tests, embedders): no listener-leak warning for that.
  setMaxListeners(0, options.signal)
  let connection: AvaxConnection
  try {
    connection = await transport.connect(endpoint, {
      signal: options.signal,
      timeoutMs: Math.min(options.timeouts.connectMs, options.limits.maxSessionMs),
      dial: options.dial
    })
  } catch (err) {
    const { reason, detail } = connectFailure(err, options.signal)
    return failed(reason, detail)
  }
  const connectMs = Math.round(performance.now() - started)
  try {
    return await converse(endpoint, connection, options, networkId, started, connectMs)
  } catch (err) {
    // converse handles its own failures; this is a bug guard so the contract holds.
    connection.socket.destroy()
    return { ...failed('error', describeError(err)), connectMs }
  }
}

function converse (endpoint: Endpoint, connection: AvaxConnection, options: SessionOptions, networkId: number, started: number, connectMs: number): Promise<SessionResult> {
  const { socket } = connection
  const { timeouts, limits, signal } = options
  const machine = new AvaxSessionMachine({ networkId, maxAddresses: limits.maxAddresses, userAgent: options.userAgent, peerCertificate: connection.peerCertificate })
  const decoder = new FrameDecoder(limits.maxBufferedBytes)
  let handshakeMs: number | undefined
  let malformed = 0
  let askPeersTimer: PhaseTimer | undefined
  let finished = false

  return new Promise<SessionResult>((resolve) => {
    const handshakeTimer = startPhaseTimer(timeouts.handshakeMs, () => end('handshake-timeout', `no handshake within ${timeouts.handshakeMs} ms`))
    const sessionTimer = startPhaseTimer(Math.max(0, limits.maxSessionMs - (performance.now() - started)), () => end('session-limit', `session exceeded ${limits.maxSessionMs} ms`), { creditLag: false })
    const onAbort = (): void => end('cancelled', 'stopped')
    signal.addEventListener('abort', onAbort, { once: true })

    /**
     * Ends the session once. After the handshake every ending is a success with what was
     * collected (the reason goes to `detail`); before it, `reason` is the failure.
     */
    function end (reason?: FailureReason, detail?: string): void {
      if (finished) return
      finished = true
      handshakeTimer.cancel()
      sessionTimer.cancel()
      askPeersTimer?.cancel()
      signal.removeEventListener('abort', onAbort)
      socket.off('data', onData)
      const base = { endpoint, learned: machine.learned, addressesReceived: machine.addressesReceived, connectMs }
      const result: SessionResult = handshakeMs !== undefined
        ? { ...base, ok: true, handshakeMs, peer: machine.peer, gotAddressAnswer: machine.gotAddressAnswer, ...(machine.answer !== undefined ? { answer: machine.answer } : {}), ...(reason !== undefined ? { detail: `${reason}: ${detail ?? ''}` } : {}) }
        : { ...base, ok: false, reason: reason ?? 'error', detail: detail ?? 'session ended before the handshake' }
      // Resolve only once the socket is closed: callers may rely on it being gone.
      if (socket.closed) resolve(result)
      else {
        socket.once('close', () => resolve(result))
        socket.destroy()
      }
    }

    function apply (actions: SessionAction[]): void {
      for (const action of actions) {
        if (finished) return
        switch (action.type) {
          case 'send':
            // A peer that does not read what we send (pongs to its pings, say) is not read
            // either until it does, so our send backlog stays bounded (as in the Bitcoin transport).
            if (!socket.write(encodeFrame(encodeMessage(action.message))) && !socket.isPaused()) {
              socket.pause()
              socket.once('drain', () => socket.resume())
            }
            break
          case 'handshake-complete':
            handshakeMs = Math.round(performance.now() - started) - connectMs
            handshakeTimer.cancel()
            break
          case 'await-peer-list':
            askPeersTimer?.cancel()
            askPeersTimer = startPhaseTimer(timeouts.askPeersMs, () => {
              apply(machine.askPeersTimeout())
            })
            break
          case 'done':
            end()
            break
          case 'fail':
            end(action.reason, action.detail)
            break
        }
      }
    }

    function onData (chunk: Buffer): void {
      let frames: Uint8Array[]
      try {
        frames = decoder.push(chunk)
      } catch (err) {
        const buffer = err instanceof DecodeError && err.reason === 'buffer-limit'
        end(buffer ? 'session-limit' : 'protocol-error', describeError(err))
        return
      }
      for (const frame of frames) {
        if (finished) return
        try {
          apply(machine.receive(decodeMessage(frame)))
        } catch (err) {
          if (!(err instanceof DecodeError)) {
            end('error', describeError(err))
            return
          }
          if (++malformed > MAX_MALFORMED_MESSAGES) end('protocol-error', `more than ${MAX_MALFORMED_MESSAGES} malformed messages; last: ${err.message}`)
        }
      }
    }

    socket.on('data', onData)
    socket.on('error', (err: NodeJS.ErrnoException) => end(err.code === 'ECONNRESET' ? 'reset' : 'error', describeError(err)))
    socket.once('end', () => end('closed', 'peer closed the connection'))
    socket.once('close', () => end('closed', 'connection closed'))
    // A dialer hands the socket over paused (a proxy's negotiation may have put bytes back).
    socket.resume()
    apply(machine.start())
  })
}
