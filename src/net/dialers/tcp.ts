// Direct TCP: the dialer for clearnet (IPv4, IPv6) and, with --cjdns-reachable, CJDNS
// (fc00::/8 is dialed as IPv6, as Core's CService::GetSockAddr does). Also opens the TCP
// connection to a SOCKS5 proxy or SAM bridge for the other dialers.
import { connect, isIP, type Socket } from 'node:net'
import { DialError, type Dial, type FailureReason } from '../../contract.js'
import { describeError } from '../../errors.js'
import { assertDialAllowed } from '../dial-guard.js'
import { startPhaseTimer } from '../phase-timer.js'

/** A connect-phase socket error code as a contract reason. */
export function connectFailure (code: string | undefined): FailureReason {
  switch (code) {
    case 'ECONNREFUSED': return 'refused'
    case 'ETIMEDOUT': return 'connect-timeout'
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'ENETDOWN': case 'EHOSTDOWN': case 'EADDRNOTAVAIL': return 'unreachable'
    case 'ECONNRESET': case 'EPIPE': case 'ECONNABORTED': return 'reset'
    default: return 'error'
  }
}

export interface OpenTcpOptions {
  signal: AbortSignal
  timeoutMs: number
  /** Maps a socket error or the timeout to the reason to reject with (a proxy's failures are not the peer's). */
  failure?: (code: string | undefined) => FailureReason
  /** Names the far side in messages, e.g. 'SOCKS5 proxy 127.0.0.1:9050'. */
  what?: string
}

/** Opens a TCP connection to an IP literal; rejects with DialError. */
export function openTcp (host: string, port: number, options: OpenTcpOptions): Promise<Socket> {
  const { signal, timeoutMs } = options
  const failure = options.failure ?? connectFailure
  const what = options.what ?? `${host.includes(':') ? `[${host}]` : host}:${port}`
  return new Promise<Socket>((resolve, reject) => {
    if (signal.aborted) {
      reject(new DialError('cancelled', 'aborted before dialing'))
      return
    }
    let socket: Socket
    try {
      // A hostname would make node:net resolve it: DNS is the bootstrap's business only.
      if (isIP(host) === 0) throw new Error(`${host} is not an IP address`)
      assertDialAllowed(host)
      socket = connect({ host, port, noDelay: true })
    } catch (err) { // not an IP, a forbidden address, a port out of range
      reject(new DialError('error', describeError(err), { cause: err }))
      return
    }
    // Lag-aware (docs/design.md §1.5): a blocked loop must not turn a connect that already succeeded into a timeout.
    const timer = startPhaseTimer(timeoutMs, () => { fail(new DialError(failure('ETIMEDOUT'), `no answer from ${what} within ${timeoutMs} ms`)) })
    const onAbort = (): void => { fail(new DialError('cancelled', 'aborted')) }
    const onError = (err: NodeJS.ErrnoException): void => { fail(new DialError(failure(err.code), `${what}: ${err.code ?? err.message}`, { cause: err })) }
    signal.addEventListener('abort', onAbort, { once: true })
    socket.once('error', onError)
    socket.once('connect', () => {
      settle()
      resolve(socket)
    })
    function settle (): void {
      timer.cancel()
      signal.removeEventListener('abort', onAbort)
      socket.off('error', onError)
    }
    function fail (err: DialError): void {
      settle()
      socket.destroy()
      reject(err)
    }
  })
}

/** Direct TCP to the endpoint's own address. */
export const tcpDial: Dial = (endpoint, { signal, timeoutMs }) => openTcp(endpoint.host, endpoint.port, { signal, timeoutMs })
