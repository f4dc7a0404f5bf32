// Which dialer opens a stream to which address type, from the crawl flags (docs/design.md §3),
// following Core's proxy rules (init.cpp, shared/overlay-networks.md §1.1, §3):
//   ipv4, ipv6      direct TCP; through --proxy when given
//   cjdns           only with --cjdns-reachable: direct as IPv6 (or through --proxy, as Core's SetProxy(NET_CJDNS))
//   onion           through --onion-proxy (several: taken in turn), else --proxy; otherwise not dialed
//   i2p             through the --i2p-sam bridge, port 0 only; otherwise not dialed
//   yggdrasil       (BIP155 id 7, which Core skips) never dialed; 0200::/7 arriving as IPv6 is ipv6
// The engine dials a type only when it has a dialer for it (EngineOptions.dialers).
import { isIPv4, isIPv6 } from 'node:net'
import type { AddressType, Dial, DialError, Logger } from '../../contract.js'
import { UsageError } from '../../errors.js'
import { samDialer } from './sam.js'
import { socks5Dialer, type ProxyAddress } from './socks5.js'
import { tcpDial } from './tcp.js'

export const DEFAULT_TOR_PORT = 9050
export const DEFAULT_SAM_PORT = 7656

export interface OverlaySettings {
  /** --proxy: SOCKS5 for IPv4, IPv6 and CJDNS, and for onion when no --onion-proxy is given. */
  proxy?: ProxyAddress
  /** --onion-proxy (repeatable): Tor SOCKS ports; dials are spread over them in turn. */
  onionProxies?: readonly ProxyAddress[]
  /** Fresh SOCKS credentials per onion connection (Tor stream isolation); --no-tor-isolation turns it off. */
  torIsolation?: boolean
  /** --i2p-sam: the SAM v3.1 bridge. */
  i2pSam?: ProxyAddress
  /** --cjdns-reachable: fc00::/8 is CJDNS here, dial it. */
  cjdnsReachable?: boolean
}

export interface Dialers {
  /** One dialer per address type that can be dialed; a missing type is recorded, not dialed. */
  byType: Partial<Record<AddressType, Dial>>
  /** Ends what the dialers keep open (the SAM session). */
  close: () => void
}

/** The flag that would make `type` dialable, for the "skipped" notice; undefined when none would. */
export function flagFor (type: AddressType): string | undefined {
  switch (type) {
    case 'onion': return '--onion-proxy HOST:PORT (a Tor SocksPort) or --proxy'
    case 'i2p': return '--i2p-sam HOST:PORT (an I2P SAM bridge)'
    case 'cjdns': return '--cjdns-reachable'
    default: return undefined
  }
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, or a bare host (default port), for a proxy or bridge. The host
 * is an IP literal or `localhost` (127.0.0.1): never resolved through DNS.
 */
export function parseProxyAddress (text: string, flag: string, defaultPort: number): ProxyAddress {
  const input = text.trim()
  let host = input
  let portText: string | undefined
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(input)
  if (bracketed !== null) {
    host = bracketed[1]
    portText = bracketed[2]
  } else if (!isIPv6(input) && input.includes(':')) {
    host = input.slice(0, input.lastIndexOf(':'))
    portText = input.slice(input.lastIndexOf(':') + 1)
  }
  if (host === 'localhost') host = '127.0.0.1'
  if (!isIPv4(host) && !isIPv6(host)) throw new UsageError(`${flag} '${text}': expected HOST:PORT with an IP address or localhost (a proxy's name is never resolved)`)
  let port = defaultPort
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw new UsageError(`${flag} '${text}' has an invalid port: expected 1-65535`)
    port = Number(portText)
  }
  return { host, port }
}

function describe (p: ProxyAddress): string {
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`
}

/** Builds the dialers; the first failure of each proxy or bridge is logged once as an error line. */
export function buildDialers (settings: OverlaySettings, log: Logger): Dialers {
  const reported = new Set<string>()
  const reportOnce = (role: string, address: ProxyAddress, consequence: string) => (err: DialError): void => {
    const key = `${role} ${describe(address)}`
    if (reported.has(key)) return
    reported.add(key)
    log.error(`${key} failed: ${err.message} [${err.reason}]; ${consequence}, the rest of the crawl goes on`)
  }
  const byType: Partial<Record<AddressType, Dial>> = {}
  let close = (): void => {}

  const proxy = settings.proxy
  const clear: Dial = proxy === undefined
    ? tcpDial
    : socks5Dialer({ proxy, isolate: false, onProxyFailure: reportOnce('proxy', proxy, 'IPv4, IPv6 and CJDNS peers fail with it') })
  byType.ipv4 = clear
  byType.ipv6 = clear
  if (settings.cjdnsReachable === true) byType.cjdns = clear

  const isolate = settings.torIsolation ?? true
  const onionProxies = settings.onionProxies !== undefined && settings.onionProxies.length > 0
    ? settings.onionProxies
    : proxy !== undefined ? [proxy] : []
  if (onionProxies.length > 0) {
    const dials = onionProxies.map((p) => socks5Dialer({ proxy: p, isolate, onProxyFailure: reportOnce('onion proxy', p, 'onion peers dialed through it fail') }))
    let next = 0
    byType.onion = dials.length === 1
      ? dials[0]
      : (endpoint, options) => dials[next++ % dials.length](endpoint, options)
  }

  if (settings.i2pSam !== undefined) {
    const sam = samDialer({ bridge: settings.i2pSam, onProxyFailure: reportOnce('I2P SAM bridge', settings.i2pSam, 'I2P peers fail') })
    byType.i2p = sam.dial
    close = sam.close
  }
  return { byType, close }
}

/** Address types dialed when no dialers are configured (library use, tests): direct TCP only. */
export const DIRECT_TYPES: readonly AddressType[] = ['ipv4', 'ipv6']

/** The adapter's dialable types narrowed to those with a dialer (without dialers: ipv4 and ipv6). */
export function dialableTypesOf (adapterTypes: readonly AddressType[], dialers?: Partial<Record<AddressType, Dial>>): AddressType[] {
  return adapterTypes.filter((t) => dialers === undefined ? DIRECT_TYPES.includes(t) : dialers[t] !== undefined)
}
