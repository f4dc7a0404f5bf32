// The session runner, the socket side of a session: dials, frames bytes, runs one timer, and
// carries out what the BitcoinSession state machine returns. Thin on purpose: every protocol
// decision is in session-machine.ts. Thousands run at once, so per session there is one
// socket, one parser, one timer and a handful of closures.
import { setMaxListeners } from 'node:events'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { DialError, type Endpoint, type FailureReason, type SessionOptions, type SessionResult } from '../../src/contract.js'
import { describeError } from '../../src/errors.js'
import { tcpDial } from '../../src/net/dialers/tcp.js'
import { startPhaseTimer, type PhaseTimer } from '../../src/net/phase-timer.js'
import { MAX_PAYLOAD } from './params.js'
import { BitcoinSession, type SessionConfig, type SessionOutput } from './session-machine.js'
import { encodeFrame, FrameParser, HEADER_BYTES, type BitcoinMessage } from './wire/index.js'

export interface TransportConfig {
  magic: Uint8Array
  /** Passed to the session (tests set the nonce). */
  session?: Pick<SessionConfig, 'nonce'>
}

/** Frames without a payload (verack, sendaddrv2, wtxidrelay, getaddr) are the same for every session of a network: encode each once. */
const fixedFrames = new WeakMap<Uint8Array, Map<string, Uint8Array>>()
function fixedFrame (magic: Uint8Array, message: BitcoinMessage): Uint8Array | undefined {
  if (message.command !== 'verack' && message.command !== 'sendaddrv2' && message.command !== 'wtxidrelay' && message.command !== 'getaddr') return undefined
  let frames = fixedFrames.get(magic)
  if (frames === undefined) {
    frames = new Map()
    fixedFrames.set(magic, frames)
  }
  let frame = frames.get(message.command)
  if (frame === undefined) {
    frame = encodeFrame(magic, message)
    frames.set(message.command, frame)
  }
  return frame
}

/** Connect, handshake, collect addresses, disconnect. Never throws. */
export function runBitcoinSession (endpoint: Endpoint, options: SessionOptions, config: TransportConfig): Promise<SessionResult> {
  const session = new BitcoinSession({ endpoint, userAgent: options.userAgent, maxAddresses: options.limits.maxAddresses, onLearned: options.onLearned, ...config.session })
  const { signal, timeouts, limits } = options
  if (signal.aborted) {
    session.end('cancelled', 'aborted before dialing')
    return Promise.resolve(session.result())
  }
  return new Promise((resolve) => {
    const { magic } = config
    // A buffer smaller than one header could never hold a message.
    const parser = new FrameParser(magic, { maxPayload: MAX_PAYLOAD, maxBufferedBytes: Math.max(HEADER_BYTES, limits.maxBufferedBytes) })
    const deadline = performance.now() + limits.maxSessionMs
    let timer: PhaseTimer | undefined
    let done = false

    let socket: Socket | undefined
    // The session cap runs from the start; the connect phase's own timeout is the dial's.
    arm(limits.maxSessionMs)
    // A caller may share one signal across many sessions (the engine gives each its own).
    setMaxListeners(0, signal)
    signal.addEventListener('abort', onAbort)
    const dial = options.dial ?? tcpDial
    dial(endpoint, { signal, timeoutMs: timeouts.connectMs }).then((s) => {
      if (done) {
        s.destroy()
        return
      }
      socket = s
      wire(s)
      apply(session.connected())
      arm(timeouts.handshakeMs)
    }, (err: unknown) => {
      apply(session.end(err instanceof DialError ? err.reason : 'error', describeError(err)))
    })

    function wire (socket: Socket): void {
      socket.on('data', (chunk: Buffer) => {
        for (const frame of parser.push(chunk)) {
          if (done) return
          apply(frame.kind === 'message' ? session.received(frame.message) : session.decodeError(frame.error, frame.command))
        }
      })
      socket.on('end', () => { apply(session.end('closed', 'the peer closed the connection')) })
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const reason = socketFailure(err.code, session.phase === 'connecting')
        apply(session.end(reason, err.code ?? err.message))
      })
      socket.on('close', () => { apply(session.end('closed', 'connection closed')) })
      // A dialer hands the socket over paused (proxy negotiation may have put bytes back).
      socket.resume()
    }

    /** One timer: the current phase's timeout or the session cap, whichever comes first. */
    function arm (phaseMs: number): void {
      timer?.cancel()
      const left = deadline - performance.now()
      timer = phaseMs < left
        ? startPhaseTimer(phaseMs, () => { apply(session.timedOut()) })
        : startPhaseTimer(Math.max(0, left), () => { apply(session.end('session-limit', `session took over ${limits.maxSessionMs} ms`)) }, { creditLag: false })
    }

    function onAbort (): void {
      apply(session.end('cancelled', 'aborted'))
    }

    function apply (outputs: readonly SessionOutput[]): void {
      // The handshake's four messages leave in one write, not four.
      socket?.cork()
      try {
        for (const output of outputs) {
          if (done) return
          if (output.kind === 'send') send(output.message)
          else if (output.kind === 'handshake-complete') arm(timeouts.askPeersMs)
          else finish()
        }
      } finally {
        socket?.uncork()
      }
    }

    function send (message: BitcoinMessage): void {
      const s = socket
      if (s === undefined) return // nothing is sent before the dial gave a socket
      let frame: Uint8Array
      try {
        frame = fixedFrame(magic, message) ?? encodeFrame(magic, message)
      } catch (err) { // only our own fields can fail to encode (an overlong user agent, say)
        apply(session.end('error', describeError(err)))
        return
      }
      // Like Core (fPauseSend): a peer that does not read what we send (pongs to its pings,
      // say) is not read either until it does, so our send backlog stays bounded.
      if (!s.write(frame) && !s.isPaused()) {
        s.pause()
        s.once('drain', () => s.resume())
      }
    }

    function finish (): void {
      done = true
      timer?.cancel()
      signal.removeEventListener('abort', onAbort)
      const result = session.result()
      // After a good session say goodbye with a FIN; otherwise just drop the socket. Only
      // with nothing left unsent: a peer that stops reading would keep bytes queued, and
      // the FIN (and the destroy after it) behind them, forever.
      const s = socket
      if (s === undefined) {
        // still dialing: the dial's own abort or timeout ends it, and a late socket is destroyed on arrival
      } else if (result.ok && !s.destroyed && s.writableLength === 0) {
        s.end(() => s.destroy())
      } else {
        s.destroy()
      }
      resolve(result)
    }
  })
}

/** A socket error code as a contract failure reason. */
export function socketFailure (code: string | undefined, connecting: boolean): FailureReason {
  switch (code) {
    case 'ECONNREFUSED': return 'refused'
    case 'ETIMEDOUT': return connecting ? 'connect-timeout' : 'handshake-timeout'
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'ENETDOWN': case 'EHOSTDOWN': case 'EADDRNOTAVAIL': return 'unreachable'
    case 'ECONNRESET': case 'EPIPE': case 'ECONNABORTED': return 'reset'
    default: return 'error'
  }
}
