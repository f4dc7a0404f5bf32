// How an AVAX session reaches a peer. Real AvalancheGo nodes speak only TLS 1.3 with a
// staking certificate on both sides (the certificate is the node's identity: NodeID =
// ripemd160(sha256(cert))), and a Handshake must carry IP claims signed with that TLS key
// and with a BLS key. That transport is declared here and not implemented; the plain-TCP
// transport carries the same framing to simulated peers on loopback.
import { connect as tcpConnect, isIP, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Endpoint } from '../../src/contract.js'
import { NotImplementedError } from '../../src/errors.js'
import { assertDialAllowed } from '../../src/net/dial-guard.js'
import { startPhaseTimer } from '../../src/net/phase-timer.js'

export interface AvaxConnection {
  readonly socket: Duplex
  /** DER of the certificate the peer proved it holds (TLS only): gives its node id. */
  readonly peerCertificate?: Uint8Array
}

export interface ConnectOptions {
  signal: AbortSignal
  timeoutMs: number
}

export interface AvaxTransport {
  readonly name: string
  /** false for a declared transport whose connect is not written yet. */
  readonly implemented: boolean
  /**
   * Resolves once bytes can flow. Rejects with the socket error (its `code` says why),
   * a ConnectTimeoutError, an AbortError, or NotImplementedError for a stub transport.
   */
  connect (endpoint: Endpoint, options: ConnectOptions): Promise<AvaxConnection>
}

export const TLS_NOT_IMPLEMENTED = 'the AVAX transport (TLS 1.3 with a staking certificate) is not implemented yet; `peers crawl avax` cannot dial real nodes'

export class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
}

/**
 * What dialing a real node needs, none of it done yet: a staking certificate and key
 * (generated per crawl is enough to connect; peers do not require validators), TLS 1.3
 * with that client certificate and no CA verification (the peer's certificate is its
 * identity), signed IP claims in the Handshake (ip_node_id_sig, ip_bls_sig), and zstd
 * for compressed PeerList messages.
 */
export const tlsTransport: AvaxTransport = {
  name: 'tls',
  implemented: false,
  async connect () {
    throw new NotImplementedError(TLS_NOT_IMPLEMENTED)
  }
}

/** AvalancheGo framing over plain TCP: only simulated peers speak it. */
export const plainTcpTransport: AvaxTransport = {
  name: 'plain-tcp',
  implemented: true,
  connect (endpoint, { signal, timeoutMs }) {
    return new Promise<AvaxConnection>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason)
        return
      }
      // A hostname would make node:net resolve it: DNS belongs to bootstrap alone.
      if (isIP(endpoint.host) === 0) throw new Error(`${endpoint.host} is not an IP address`)
      assertDialAllowed(endpoint.host)
      const socket: Socket = tcpConnect({ host: endpoint.host, port: endpoint.port })
      const timer = startPhaseTimer(timeoutMs, () => fail(new ConnectTimeoutError(`no answer from ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`)))
      const onAbort = (): void => fail(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      function settle (): void {
        timer.cancel()
        signal.removeEventListener('abort', onAbort)
        socket.off('error', fail)
      }
      function fail (err: unknown): void {
        settle()
        socket.destroy()
        reject(err)
      }
      socket.once('error', fail)
      socket.once('connect', () => {
        settle()
        socket.setNoDelay(true)
        resolve({ socket })
      })
    })
  }
}
