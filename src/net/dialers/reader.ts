// Reads a proxy's or bridge's replies from a socket before it carries peer bytes: exact byte
// counts (SOCKS5) or lines (SAM), each read with its own deadline, the buffer bounded. When
// the negotiation is over, release() hands the socket back paused with any bytes that
// arrived after the last reply put back (unshift), so the peer's first bytes are not lost.
import type { Socket } from 'node:net'
import { DialError } from '../../contract.js'

interface Waiter {
  /** Returns the value when the buffer holds enough, else undefined. */
  take: () => Buffer | string | undefined
  resolve: (value: Buffer | string) => void
  reject: (err: DialError) => void
  timer: NodeJS.Timeout
}

export interface ReaderOptions {
  signal: AbortSignal
  /** Names the far side in messages: 'SOCKS5 proxy 127.0.0.1:9050'. */
  what: string
}

export class NegotiationReader {
  private buffer: Buffer = Buffer.alloc(0)
  private waiter: Waiter | undefined
  private failure: DialError | undefined
  private readonly onData = (chunk: Buffer): void => {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    this.check()
  }

  private readonly onEnd = (): void => { this.fail(new DialError('proxy-unavailable', `${this.options.what} closed the connection mid-reply`)) }
  private readonly onError = (err: NodeJS.ErrnoException): void => { this.fail(new DialError('proxy-unavailable', `${this.options.what}: ${err.code ?? err.message}`, { cause: err })) }
  private readonly onAbort = (): void => { this.fail(new DialError('cancelled', 'aborted')) }

  constructor (readonly socket: Socket, private readonly options: ReaderOptions) {
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.on('close', this.onEnd)
    socket.on('error', this.onError)
    options.signal.addEventListener('abort', this.onAbort, { once: true })
    if (options.signal.aborted) this.onAbort()
  }

  /** Exactly `n` bytes. */
  bytes (n: number, timeoutMs: number, onTimeout: () => DialError): Promise<Buffer> {
    return this.wait(() => {
      if (this.buffer.length < n) return undefined
      const out = this.buffer.subarray(0, n)
      this.buffer = this.buffer.subarray(n)
      return out
    }, timeoutMs, onTimeout) as Promise<Buffer>
  }

  /** One line without its '\n' (a '\r' before it is dropped); longer than maxLength: `tooLong`. */
  line (maxLength: number, timeoutMs: number, onTimeout: () => DialError, tooLong: () => DialError): Promise<string> {
    return this.wait(() => {
      const end = this.buffer.indexOf(0x0a)
      if (end === -1) {
        if (this.buffer.length > maxLength) throw tooLong()
        return undefined
      }
      if (end > maxLength) throw tooLong()
      const line = this.buffer.subarray(0, end > 0 && this.buffer[end - 1] === 0x0d ? end - 1 : end).toString('latin1')
      this.buffer = this.buffer.subarray(end + 1)
      return line
    }, timeoutMs, onTimeout) as Promise<string>
  }

  /** Stops reading; the socket is returned paused, with unread bytes put back. */
  release (): Socket {
    this.detach()
    this.socket.pause()
    if (this.buffer.length > 0) this.socket.unshift(this.buffer)
    this.buffer = Buffer.alloc(0)
    return this.socket
  }

  /** Stops reading and destroys the socket. */
  destroy (): void {
    this.detach()
    this.socket.destroy()
  }

  private detach (): void {
    this.socket.off('data', this.onData)
    this.socket.off('end', this.onEnd)
    this.socket.off('close', this.onEnd)
    this.socket.off('error', this.onError)
    this.options.signal.removeEventListener('abort', this.onAbort)
    if (this.waiter !== undefined) clearTimeout(this.waiter.timer)
    this.waiter = undefined
  }

  private wait (take: Waiter['take'], timeoutMs: number, onTimeout: () => DialError): Promise<Buffer | string> {
    return new Promise((resolve, reject) => {
      if (this.failure !== undefined) {
        reject(this.failure)
        return
      }
      const timer = setTimeout(() => {
        this.waiter = undefined
        reject(onTimeout())
      }, Math.max(0, timeoutMs))
      this.waiter = { take, resolve, reject, timer }
      this.check()
    })
  }

  private check (): void {
    const w = this.waiter
    if (w === undefined) {
      // Nobody is reading: a flood between replies still must not grow memory.
      if (this.buffer.length > 65536) this.fail(new DialError('proxy-error', `${this.options.what} sent more than it was asked for`))
      return
    }
    let value: Buffer | string | undefined
    try {
      value = w.take()
    } catch (err) {
      this.fail(err as DialError)
      return
    }
    if (value === undefined) return
    clearTimeout(w.timer)
    this.waiter = undefined
    w.resolve(value)
  }

  private fail (err: DialError): void {
    if (this.failure !== undefined) return
    this.failure = err
    const w = this.waiter
    this.waiter = undefined
    if (w !== undefined) {
      clearTimeout(w.timer)
      w.reject(err)
    }
  }
}
