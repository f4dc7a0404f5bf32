// A small SOCKS5 server (RFC 1928/1929) for simulated overlays: `peers simnet` and tests.
// It maps the names and addresses a crawler asks for to loopback listeners, and can answer
// with any reply code, Tor's extended ones (0xF0-0xF7, sent by a SocksPort with
// ExtendedErrors) included, so every failure a real Tor gives can be scripted offline.
// Like Tor, it accepts both no-auth and username/password (IsolateSOCKSAuth: any credentials).
import { connect, type Socket } from 'node:net'
import { FrontEndServer } from './front-end-server.js'

/** Where a CONNECT goes: a loopback listener, a reply code to answer with, or 'hang' (never answer). */
export type Socks5Target = { host: string, port: number } | number | 'hang'

export interface Socks5ServerOptions {
  /** Decides each CONNECT; `host` is the name (ATYP 3) or the IP literal asked for. */
  route: (host: string, port: number) => Socks5Target
  /** Choose username/password when the client offers it (as Tor does); default true. */
  preferAuth?: boolean
}

export interface Socks5ServerStats {
  connects: number
  /** Usernames seen (stream isolation sends a fresh one per connection). */
  usernames: string[]
  /** Address types of the CONNECT requests, by ATYP byte. */
  atyp: Record<number, number>
}

export class Socks5Server extends FrontEndServer {
  readonly stats: Socks5ServerStats = { connects: 0, usernames: [], atyp: {} }
  constructor (private readonly options: Socks5ServerOptions) {
    super()
  }

  protected accept (client: Socket): void {
    let buffer = Buffer.alloc(0)
    let stage: 'greeting' | 'auth' | 'request' | 'done' = 'greeting'
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk])
      if (buffer.length > 1024) { client.destroy(); return }
      for (;;) {
        const used = step()
        if (used === 0 || stage === 'done') return
        buffer = buffer.subarray(used)
      }
    }
    client.on('data', onData)

    /** Handles one complete message at the start of the buffer; returns its length, 0 when incomplete. */
    const step = (): number => {
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]) return 0
        const methods = [...buffer.subarray(2, 2 + buffer[1])]
        if (buffer[0] !== 0x05) { client.destroy(); return 0 }
        const auth = methods.includes(0x02) && this.options.preferAuth !== false
        if (auth) stage = 'auth'
        else if (methods.includes(0x00)) stage = 'request'
        else { client.end(Buffer.from([0x05, 0xff])); stage = 'done'; return 0 }
        client.write(Buffer.from([0x05, auth ? 0x02 : 0x00]))
        return 2 + buffer[1]
      }
      if (stage === 'auth') {
        if (buffer.length < 2) return 0
        const ulen = buffer[1]
        if (buffer.length < 3 + ulen) return 0
        const plen = buffer[2 + ulen]
        if (buffer.length < 3 + ulen + plen) return 0
        this.stats.usernames.push(buffer.subarray(2, 2 + ulen).toString('latin1'))
        client.write(Buffer.from([0x01, 0x00]))
        stage = 'request'
        return 3 + ulen + plen
      }
      // CONNECT: 05 01 00 ATYP ADDR PORT
      if (buffer.length < 5) return 0
      const atyp = buffer[3]
      let host: string
      let end: number
      if (atyp === 0x01) {
        end = 4 + 4
        if (buffer.length < end + 2) return 0
        host = [...buffer.subarray(4, 8)].join('.')
      } else if (atyp === 0x04) {
        end = 4 + 16
        if (buffer.length < end + 2) return 0
        const groups: string[] = []
        for (let i = 0; i < 8; i++) groups.push(buffer.readUInt16BE(4 + 2 * i).toString(16))
        host = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
      } else if (atyp === 0x03) {
        end = 5 + buffer[4]
        if (buffer.length < end + 2) return 0
        host = buffer.subarray(5, end).toString('latin1')
      } else {
        reply(0x08)
        return 0
      }
      const port = buffer.readUInt16BE(end)
      this.stats.connects++
      this.stats.atyp[atyp] = (this.stats.atyp[atyp] ?? 0) + 1
      const rest = buffer.subarray(end + 2)
      stage = 'done'
      client.off('data', onData)
      this.connectTo(client, this.options.route(host, port), rest)
      return end + 2
    }
    const reply = (code: number): void => {
      client.end(Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))
      stage = 'done'
    }
  }

  private connectTo (client: Socket, target: Socks5Target, early: Buffer): void {
    if (target === 'hang') return
    if (typeof target === 'number') {
      client.end(Buffer.from([0x05, target, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))
      return
    }
    client.pause()
    const upstream = connect({ host: target.host, port: target.port })
    this.track(upstream)
    let connected = false
    client.once('close', () => upstream.destroy())
    upstream.once('connect', () => {
      connected = true
      client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 0]))
      if (early.length > 0) upstream.write(early)
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
      upstream.once('close', () => client.destroy())
    })
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      // As Tor: a refused stream is 0x05, anything else host unreachable.
      if (!connected) client.end(Buffer.from([0x05, err.code === 'ECONNREFUSED' ? 0x05 : 0x04, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))
    })
  }
}
