// How an AVAX session reaches a peer. Real AvalancheGo nodes speak only TLS 1.3 with a
// staking certificate on both sides (the certificate is the node's identity: NodeID =
// ripemd160(sha256(cert))), and a Handshake must carry IP claims signed with that TLS key
// and with a BLS key. That transport is declared here and not implemented; the plain-TCP
// transport carries the same framing to simulated peers on loopback.
import type { Duplex } from 'node:stream'
import type { Dial, Endpoint } from '../../src/contract.js'
import { NotImplementedError } from '../../src/errors.js'
import { tcpDial } from '../../src/net/dialers/tcp.js'

export interface AvaxConnection {
  readonly socket: Duplex
  /** DER of the certificate the peer proved it holds (TLS only): gives its node id. */
  readonly peerCertificate?: Uint8Array
}

export interface ConnectOptions {
  signal: AbortSignal
  timeoutMs: number
  /** How to open the stream (SessionOptions.dial); absent: direct TCP. */
  dial?: Dial
}

export interface AvaxTransport {
  readonly name: string
  /** false for a declared transport whose connect is not written yet. */
  readonly implemented: boolean
  /**
   * Resolves once bytes can flow. Rejects with a DialError (its reason says why), or
   * NotImplementedError for a stub transport.
   */
  connect (endpoint: Endpoint, options: ConnectOptions): Promise<AvaxConnection>
}

export const TLS_NOT_IMPLEMENTED = 'the AVAX transport (TLS 1.3 with a staking certificate) is not implemented yet; `peers crawl avax` cannot dial real nodes'

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

/** AvalancheGo framing over plain TCP (or the dialer given: a SOCKS5 proxy, say): only simulated peers speak it. */
export const plainTcpTransport: AvaxTransport = {
  name: 'plain-tcp',
  implemented: true,
  async connect (endpoint, { signal, timeoutMs, dial }) {
    const socket = await (dial ?? tcpDial)(endpoint, { signal, timeoutMs })
    return { socket }
  }
}
