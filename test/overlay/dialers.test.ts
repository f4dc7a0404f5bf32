// The SOCKS5 and SAM dialers against our simulators and hand-made broken proxies. Oracles:
// RFC 1928 and Tor's proposal 304 / Core's Socks5ErrorString (netbase.cpp, PR 32200) for the
// reply codes, the SAM v3 spec's RESULT values and Core's src/i2p.cpp for the SAM lines
// (shared/overlay-networks.md §1.2, §2.1-2.2), and docs/design.md §3 for the reason names.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import { SamServer } from '../../adapters/bitcoin/simnet/sam-server.js'
import { Socks5Server, type Socks5Target } from '../../adapters/bitcoin/simnet/socks5-server.js'
import { DialError, type Dial, type Endpoint, type FailureReason } from '../../src/contract.js'
import { buildDialers, dialableTypesOf, parseProxyAddress } from '../../src/net/dialers/router.js'
import { samDialer } from '../../src/net/dialers/sam.js'
import { socks5Dialer } from '../../src/net/dialers/socks5.js'
import { tcpDial } from '../../src/net/dialers/tcp.js'

const ONION = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'
const I2P = 'ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p'
const closers: Array<() => Promise<void> | void> = []
after(async () => { for (const c of closers.reverse()) await c() })

/** A listener that writes `greeting` as soon as a connection arrives (so its bytes can ride with the proxy's reply). */
async function greeter (greeting: string): Promise<{ host: string, port: number }> {
  const server = createServer((s) => { s.on('error', () => {}); s.write(greeting); s.on('data', (d) => s.write(d)) })
  return await listen(server)
}

async function listen (server: Server): Promise<{ host: string, port: number }> {
  closers.push(() => { server.close() })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const a = server.address()
  if (a === null || typeof a !== 'object') throw new Error('no address')
  return { host: '127.0.0.1', port: a.port }
}

/** A hand-made proxy that does whatever `onConnection` does. */
async function raw (onConnection: (socket: Socket) => void): Promise<{ host: string, port: number }> {
  const sockets = new Set<Socket>()
  closers.push(() => { for (const s of sockets) s.destroy() })
  return await listen(createServer((s) => { sockets.add(s); s.on('error', () => {}); onConnection(s) }))
}

async function socksServer (route: (host: string, port: number) => Socks5Target, preferAuth = true): Promise<Socks5Server> {
  const server = new Socks5Server({ route, preferAuth })
  await server.listen()
  closers.push(() => server.close())
  return server
}

function opts (timeoutMs = 3000): { signal: AbortSignal, timeoutMs: number } {
  return { signal: new AbortController().signal, timeoutMs }
}

async function reasonOf (p: Promise<unknown>): Promise<FailureReason> {
  try {
    const s = await p
    ;(s as Socket).destroy()
  } catch (err) {
    assert.ok(err instanceof DialError, `expected a DialError, got ${String(err)}`)
    return err.reason
  }
  assert.fail('the dial succeeded')
}

async function readSome (socket: Socket, bytes: number): Promise<string> {
  socket.resume()
  let got = ''
  for await (const chunk of socket) {
    got += (chunk as Buffer).toString()
    if (got.length >= bytes) break
  }
  return got
}

const onion = (host = ONION, port = 8333): Endpoint => ({ host, port, type: 'onion' })

describe('SOCKS5 dialer', () => {
  it('reaches an onion name through the proxy as ATYP 3, and keeps the bytes that came with the reply', async () => {
    const target = await greeter('hello')
    const server = await socksServer((host, port) => host === ONION && port === 8333 ? target : 0x04)
    const dial = socks5Dialer({ proxy: server, isolate: true })
    const socket = await dial(onion(), opts())
    assert.equal(await readSome(socket, 5), 'hello')
    socket.destroy()
    assert.deepEqual(server.stats.atyp, { 3: 1 })
  })

  it('maps every reply code to its reason (RFC 1928 0x01-0x08, Tor ExtendedErrors 0xF0-0xF7)', async () => {
    const expected: Array<[number, FailureReason]> = [
      [0x01, 'proxy-error'], [0x02, 'proxy-denied'], [0x03, 'unreachable'], [0x04, 'unreachable'], [0x05, 'refused'],
      [0x06, 'connect-timeout'], [0x07, 'proxy-error'], [0x08, 'proxy-error'],
      [0xf0, 'onion-descriptor-not-found'], [0xf1, 'onion-descriptor-invalid'], [0xf2, 'onion-intro-failed'],
      [0xf3, 'onion-rendezvous-failed'], [0xf4, 'onion-auth-required'], [0xf5, 'onion-auth-required'],
      [0xf6, 'onion-bad-address'], [0xf7, 'onion-intro-timeout'], [0x09, 'proxy-error'], [0xff, 'proxy-error']
    ]
    let code = 0
    const server = await socksServer(() => code)
    const dial = socks5Dialer({ proxy: server, isolate: true })
    for (const [c, reason] of expected) {
      code = c
      assert.equal(await reasonOf(dial(onion(), opts())), reason, `code 0x${c.toString(16)}`)
    }
  })

  it('isolates streams with fresh credentials per connection, and a no-auth proxy still accepts', async () => {
    const target = await greeter('x')
    const server = await socksServer(() => target)
    const dial = socks5Dialer({ proxy: server, isolate: true })
    for (let i = 0; i < 3; i++) (await dial(onion(), opts())).destroy()
    assert.equal(new Set(server.stats.usernames).size, 3)
    const noAuth = await socksServer(() => target, false)
    ;(await socks5Dialer({ proxy: noAuth, isolate: true })(onion(), opts())).destroy()
    assert.deepEqual(noAuth.stats.usernames, [])
  })

  it('--no-tor-isolation greets with no-auth only', async () => {
    const greetings: string[] = []
    const proxy = await raw((s) => s.once('data', (d) => { greetings.push(d.toString('hex')); s.destroy() }))
    await reasonOf(socks5Dialer({ proxy, isolate: false })(onion(), opts()))
    await reasonOf(socks5Dialer({ proxy, isolate: true })(onion(), opts()))
    assert.deepEqual(greetings, ['050100', '05020002'])
  })

  it('sends IPv4 and IPv6 as addresses (ATYP 1 and 4), under the dial guard', async () => {
    const target = await greeter('x')
    const asked: string[] = []
    const server = await socksServer((host) => { asked.push(host); return target })
    const dial = socks5Dialer({ proxy: server, isolate: false })
    ;(await dial({ host: '127.0.0.1', port: target.port, type: 'ipv4' }, opts())).destroy()
    ;(await dial({ host: '::1', port: 8333, type: 'ipv6' }, opts())).destroy()
    assert.deepEqual(asked, ['127.0.0.1', '::1'])
    assert.deepEqual(server.stats.atyp, { 1: 1, 4: 1 })
    // The proxy would reach it for us: the loopback-only guard still refuses it, before any byte goes to the proxy.
    assert.equal(await reasonOf(dial({ host: 'fc00::1', port: 8333, type: 'cjdns' }, opts())), 'error')
    assert.equal(server.stats.connects, 2)
  })

  it('a proxy that is down, hangs, or breaks the protocol ends the dial with a proxy reason and is reported', async () => {
    const down = await listen(createServer())
    closers.pop()?.()
    const cases: Array<[string, { host: string, port: number }, FailureReason]> = [
      ['down', down, 'proxy-unavailable'],
      ['hangs at the greeting', await raw(() => {}), 'proxy-unavailable'],
      ['closes mid-reply', await raw((s) => s.once('data', () => s.end(Buffer.from([0x05])))), 'proxy-unavailable'],
      ['not SOCKS5', await raw((s) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'))), 'proxy-error'],
      ['no acceptable method', await raw((s) => s.once('data', () => s.write(Buffer.from([0x05, 0xff])))), 'proxy-denied'],
      ['a method we did not offer', await raw((s) => s.once('data', () => s.write(Buffer.from([0x05, 0x01])))), 'proxy-error'],
      ['refuses the credentials', await raw((s) => {
        s.once('data', () => { s.write(Buffer.from([0x05, 0x02])); s.once('data', () => s.write(Buffer.from([0x01, 0x01]))) })
      }), 'proxy-denied'],
      ['bad address type in the reply', await raw((s) => {
        s.once('data', () => { s.write(Buffer.from([0x05, 0x00])); s.once('data', () => s.write(Buffer.from([0x05, 0x00, 0x00, 0x09]))) })
      }), 'proxy-error']
    ]
    for (const [what, proxy, reason] of cases) {
      const reported: FailureReason[] = []
      const dial = socks5Dialer({ proxy, isolate: true, onProxyFailure: (err) => reported.push(err.reason) })
      assert.equal(await reasonOf(dial(onion(), opts(1500))), reason, what)
      assert.deepEqual(reported, [reason], `${what}: reported`)
    }
  })

  it('a CONNECT that gets no answer is the peer\'s connect timeout, not a proxy failure', async () => {
    const server = await socksServer(() => 'hang')
    const reported: DialError[] = []
    const dial = socks5Dialer({ proxy: server, isolate: true, onProxyFailure: (e) => reported.push(e) })
    assert.equal(await reasonOf(dial(onion(), opts(500))), 'connect-timeout')
    assert.equal(reported.length, 0)
  })

  it('an abort ends the dial as cancelled', async () => {
    const server = await socksServer(() => 'hang')
    const abort = new AbortController()
    const p = socks5Dialer({ proxy: server, isolate: true })(onion(), { signal: abort.signal, timeoutMs: 10_000 })
    setImmediate(() => abort.abort())
    assert.equal(await reasonOf(p), 'cancelled')
  })
})

describe('SAM dialer', () => {
  async function bridge (route: Record<string, { host: string, port: number }>, script: Record<string, { lookup?: string, connect?: string, hang?: boolean }> = {}): Promise<SamServer> {
    const server = new SamServer({ route: (n) => route[n], script: (n) => script[n] })
    await server.listen()
    closers.push(() => server.close())
    return server
  }
  const i2p = (host = I2P, port = 0): Endpoint => ({ host, port, type: 'i2p' })

  it('HELLO, one transient session with Core\'s parameters for all connects, lookup, connect; bytes kept', async () => {
    const target = await greeter('hi')
    const server = await bridge({ [I2P]: target })
    const sam = samDialer({ bridge: server })
    closers.push(() => sam.close())
    const sockets = await Promise.all([1, 2, 3].map(async () => await sam.dial(i2p(), opts())))
    assert.equal(await readSome(sockets[0], 2), 'hi')
    for (const s of sockets) s.destroy()
    assert.equal(server.stats.sessionCreates.length, 1)
    assert.match(server.stats.sessionCreates[0], /^SESSION CREATE STYLE=STREAM ID=[0-9a-f]{10} DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp\.leaseSetEncType=4,0 /)
    assert.equal(server.stats.hellos, 4)
    assert.equal(server.stats.lookups, 3)
  })

  it('maps RESULT values to reasons', async () => {
    const target = await greeter('x')
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((c) => `${c.repeat(52)}.b32.i2p`)
    const server = await bridge(Object.fromEntries(names.map((n) => [n, target])), {
      [names[0]]: { lookup: 'KEY_NOT_FOUND' },
      [names[1]]: { lookup: 'INVALID_KEY' },
      [names[2]]: { connect: 'CANT_REACH_PEER' },
      [names[3]]: { connect: 'TIMEOUT' },
      [names[4]]: { connect: 'I2P_ERROR' },
      [names[5]]: { connect: 'PEER_NOT_FOUND' },
      [names[6]]: { hang: true }
    })
    const sam = samDialer({ bridge: server })
    closers.push(() => sam.close())
    const got = []
    for (const n of names) got.push(await reasonOf(sam.dial(i2p(n), opts(800))))
    assert.deepEqual(got, ['i2p-not-found', 'i2p-invalid-key', 'i2p-unreachable', 'i2p-timeout', 'i2p-error', 'i2p-not-found', 'connect-timeout'])
    assert.equal(await reasonOf(sam.dial(i2p(`${'z'.repeat(52)}.b32.i2p`), opts())), 'i2p-not-found')
  })

  it('dials only port 0, as Core does', async () => {
    const server = await bridge({})
    const sam = samDialer({ bridge: server })
    assert.equal(await reasonOf(sam.dial(i2p(I2P, 8333), opts())), 'refused')
    assert.equal(server.stats.hellos, 0)
  })

  it('rebuilds the session after the bridge dropped it (control socket closed, or INVALID_ID)', async () => {
    const target = await greeter('x')
    const server = await bridge({ [I2P]: target })
    const sam = samDialer({ bridge: server })
    closers.push(() => sam.close())
    ;(await sam.dial(i2p(), opts())).destroy()
    server.dropSessions({ closeControl: true })
    await new Promise((resolve) => setTimeout(resolve, 50)) // the close reaches us; the next dial must not race it
    ;(await sam.dial(i2p(), opts())).destroy()
    server.dropSessions({ closeControl: false })
    ;(await sam.dial(i2p(), opts())).destroy()
    assert.equal(server.stats.sessionCreates.length, 3)
  })

  it('a bridge that is down, hangs, sends garbage, huge lines or closes mid-reply ends the dial with a proxy reason', async () => {
    const down = await listen(createServer())
    closers.pop()?.()
    const cases: Array<[string, { host: string, port: number }, FailureReason]> = [
      ['down', down, 'proxy-unavailable'],
      ['hangs', await raw(() => {}), 'proxy-unavailable'],
      ['closes mid-reply', await raw((s) => s.once('data', () => s.end('HELLO REPLY RES'))), 'proxy-unavailable'],
      ['garbage', await raw((s) => s.once('data', () => s.write('SOMETHING ELSE\n'))), 'proxy-error'],
      ['a huge line', await raw((s) => s.once('data', () => s.write('HELLO REPLY ' + 'A'.repeat(100_000)))), 'proxy-error'],
      ['NOVERSION', await raw((s) => s.once('data', () => s.write('HELLO REPLY RESULT=NOVERSION\n'))), 'proxy-error'],
      ['session refused', await raw((s) => {
        s.once('data', () => { s.write('HELLO REPLY RESULT=OK VERSION=3.1\n'); s.once('data', () => s.write('SESSION STATUS RESULT=I2P_ERROR MESSAGE="no tunnels"\n')) })
      }), 'proxy-error']
    ]
    for (const [what, address, reason] of cases) {
      const reported: FailureReason[] = []
      const sam = samDialer({ bridge: address, onProxyFailure: (e) => reported.push(e.reason) })
      assert.equal(await reasonOf(sam.dial(i2p(), opts(1500))), reason, what)
      assert.deepEqual(reported, [reason], `${what}: reported`)
      sam.close()
    }
  })
})

describe('dialer router', () => {
  it('dials clearnet directly, overlays only with their flag, yggdrasil (BIP155 id 7) never', () => {
    const log = { debug () {}, info () {}, warn () {}, error () {} }
    const all = ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns', 'yggdrasil'] as const
    const none = buildDialers({}, log)
    assert.deepEqual(dialableTypesOf(all, none.byType), ['ipv4', 'ipv6'])
    assert.equal(none.byType.ipv4, tcpDial)
    const everything = buildDialers({ onionProxies: [{ host: '127.0.0.1', port: 9050 }], i2pSam: { host: '127.0.0.1', port: 7656 }, cjdnsReachable: true }, log)
    assert.deepEqual(dialableTypesOf(all, everything.byType), ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'])
    everything.close()
    const proxied = buildDialers({ proxy: { host: '127.0.0.1', port: 9050 } }, log)
    assert.deepEqual(dialableTypesOf(all, proxied.byType), ['ipv4', 'ipv6', 'onion'])
    assert.notEqual(proxied.byType.ipv4, tcpDial)
  })

  it('spreads onion dials over several proxies and logs one error line per failing proxy', async () => {
    const target = await greeter('x')
    const a = await socksServer(() => target)
    const b = await socksServer(() => target)
    const dead = await listen(createServer())
    closers.pop()?.()
    const errors: string[] = []
    const log = { debug () {}, info () {}, warn () {}, error: (m: string) => errors.push(m) }
    const { byType } = buildDialers({ onionProxies: [a, b, dead] }, log)
    const dial = byType.onion as Dial
    const reasons: string[] = []
    for (let i = 0; i < 6; i++) {
      try { (await dial(onion(), opts())).destroy(); reasons.push('ok') } catch (err) { reasons.push((err as DialError).reason) }
    }
    assert.deepEqual(reasons, ['ok', 'ok', 'proxy-unavailable', 'ok', 'ok', 'proxy-unavailable'])
    assert.equal(a.stats.connects, 2)
    assert.equal(b.stats.connects, 2)
    assert.equal(errors.length, 1)
    assert.match(errors[0], /^onion proxy 127\.0\.0\.1:\d+ failed: .*\[proxy-unavailable\]; onion peers dialed through it fail, the rest of the crawl goes on$/)
  })

  it('parses proxy addresses without resolving names', () => {
    assert.deepEqual(parseProxyAddress('127.0.0.1:9050', '--onion-proxy', 9050), { host: '127.0.0.1', port: 9050 })
    assert.deepEqual(parseProxyAddress('[::1]:9150', '--onion-proxy', 9050), { host: '::1', port: 9150 })
    assert.deepEqual(parseProxyAddress('localhost', '--i2p-sam', 7656), { host: '127.0.0.1', port: 7656 })
    assert.throws(() => parseProxyAddress('tor.example:9050', '--onion-proxy', 9050), /never resolved/)
    assert.throws(() => parseProxyAddress('127.0.0.1:0', '--proxy', 9050), /invalid port/)
  })
})
