// A small SAM v3.1 bridge for simulated I2P peers: `peers simnet` and tests. It answers the
// commands Bitcoin Core sends (src/i2p.cpp; shared/overlay-networks.md §2.1-2.2) — HELLO,
// SESSION CREATE (transient STREAM), NAMING LOOKUP, STREAM CONNECT — and after RESULT=OK
// joins the socket to the loopback listener that plays the I2P destination. Any RESULT
// value can be scripted per name, so every answer a router gives is testable offline.
import { createHash } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { FrontEndServer } from './front-end-server.js'

export interface SamScript {
  /** RESULT of NAMING LOOKUP (default: OK when the name is routed, else KEY_NOT_FOUND). */
  lookup?: string
  /** RESULT of STREAM CONNECT (default: OK, or CANT_REACH_PEER when the listener refuses). */
  connect?: string
  /** Never answer STREAM CONNECT. */
  hang?: boolean
}

export interface SamServerOptions {
  /** The loopback listener playing a .b32.i2p name, or undefined for an unknown name. */
  route: (name: string) => { host: string, port: number } | undefined
  /** Scripted answers per name. */
  script?: (name: string) => SamScript | undefined
}

export interface SamServerStats {
  hellos: number
  /** Every SESSION CREATE line as received (tests check Core's parameters). */
  sessionCreates: string[]
  lookups: number
  connects: number
}

/** A fake destination for a name: base64 (I2P alphabet) of 387 bytes, as long as a real one with a null certificate. */
export function fakeDestination (name: string): string {
  const bytes = Buffer.alloc(387)
  let block = createHash('sha256').update(name).digest()
  for (let i = 0; i < bytes.length; i += 32) {
    block.copy(bytes, i)
    block = createHash('sha256').update(block).digest()
  }
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '~')
}

export class SamServer extends FrontEndServer {
  readonly stats: SamServerStats = { hellos: 0, sessionCreates: [], lookups: 0, connects: 0 }
  /** Session ids alive, each with its control socket. */
  private readonly sessions = new Map<string, Socket>()
  /** Destinations handed out by NAMING LOOKUP, back to their names. */
  private readonly destinations = new Map<string, string>()

  constructor (private readonly options: SamServerOptions) {
    super()
  }

  /** Forget every session, as a restarted router would: with closeControl its control sockets close, else the next STREAM CONNECT gets INVALID_ID. */
  dropSessions ({ closeControl }: { closeControl: boolean }): void {
    if (closeControl) for (const control of this.sessions.values()) control.destroy()
    this.sessions.clear()
  }

  protected accept (socket: Socket): void {
    let buffer = ''
    let greeted = false
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1')
      if (buffer.length > 16384) { socket.destroy(); return }
      let end: number
      while ((end = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, end).replace(/\r$/, '')
        buffer = buffer.slice(end + 1)
        if (!handle(line)) return
      }
    }
    socket.on('data', onData)
    const send = (line: string): void => { socket.write(`${line}\n`) }

    /** Answers one command; false once the socket is no longer a command channel. */
    const handle = (line: string): boolean => {
      const words = line.split(' ')
      const fields = new Map(words.slice(2).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]))
      const command = `${words[0]} ${words[1] ?? ''}`
      if (!greeted) {
        if (command !== 'HELLO VERSION') { socket.destroy(); return false }
        this.stats.hellos++
        greeted = true
        send(fields.get('MIN') === '3.1' || fields.get('MAX') === '3.1' ? 'HELLO REPLY RESULT=OK VERSION=3.1' : 'HELLO REPLY RESULT=NOVERSION')
        return true
      }
      switch (command) {
        case 'SESSION CREATE': {
          this.stats.sessionCreates.push(line)
          const id = fields.get('ID') ?? ''
          if (this.sessions.has(id)) { send('SESSION STATUS RESULT=DUPLICATED_ID'); return true }
          this.sessions.set(id, socket)
          socket.once('close', () => { if (this.sessions.get(id) === socket) this.sessions.delete(id) })
          send(`SESSION STATUS RESULT=OK DESTINATION=${fakeDestination(`session ${id}`)}`)
          return true
        }
        case 'NAMING LOOKUP': {
          this.stats.lookups++
          const name = fields.get('NAME') ?? ''
          const scripted = this.options.script?.(name)?.lookup
          const known = this.options.route(name) !== undefined
          const result = scripted ?? (known ? 'OK' : 'KEY_NOT_FOUND')
          if (result !== 'OK') { send(`NAMING REPLY RESULT=${result} NAME=${name}`); return true }
          const destination = fakeDestination(name)
          this.destinations.set(destination, name)
          send(`NAMING REPLY RESULT=OK NAME=${name} VALUE=${destination}`)
          return true
        }
        case 'STREAM CONNECT': {
          this.stats.connects++
          if (!this.sessions.has(fields.get('ID') ?? '')) { send('STREAM STATUS RESULT=INVALID_ID MESSAGE="no such session"'); return true }
          const name = this.destinations.get(fields.get('DESTINATION') ?? '')
          if (name === undefined) { send('STREAM STATUS RESULT=INVALID_KEY'); return true }
          const script = this.options.script?.(name)
          if (script?.hang === true) return false
          if (script?.connect !== undefined && script.connect !== 'OK') { send(`STREAM STATUS RESULT=${script.connect} MESSAGE="scripted"`); return true }
          const target = this.options.route(name)
          if (target === undefined) { send('STREAM STATUS RESULT=CANT_REACH_PEER MESSAGE="LeaseSet not found"'); return true }
          socket.off('data', onData)
          this.join(socket, target, send)
          return false
        }
        default:
          send(`${words[0]} STATUS RESULT=I2P_ERROR MESSAGE="unknown command"`)
          return true
      }
    }
  }

  private join (socket: Socket, target: { host: string, port: number }, send: (line: string) => void): void {
    socket.pause()
    const upstream = connect({ host: target.host, port: target.port })
    this.track(upstream)
    let connected = false
    socket.once('close', () => upstream.destroy())
    upstream.once('connect', () => {
      connected = true
      send('STREAM STATUS RESULT=OK')
      socket.pipe(upstream)
      upstream.pipe(socket)
      socket.resume()
      upstream.once('close', () => socket.destroy())
    })
    upstream.once('error', () => {
      if (!connected) send('STREAM STATUS RESULT=CANT_REACH_PEER MESSAGE="peer refused"')
    })
  }
}
