// What the simulated SOCKS5 proxy and SAM bridge share: a loopback listener that tracks every
// socket it accepts or opens, so close() ends them all.
import { createServer, type Server, type Socket } from 'node:net'

export abstract class FrontEndServer {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  port = 0
  host = '127.0.0.1'

  async listen (host = '127.0.0.1', port = 0): Promise<void> {
    const server = createServer((socket) => { this.track(socket); this.accept(socket) })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port }, () => { server.off('error', reject); resolve() })
    })
    const address = server.address()
    if (address !== null && typeof address === 'object') this.port = address.port
    this.host = host
  }

  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    const server = this.server
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** A socket close() must end too (accepted ones are tracked already). */
  protected track (socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }

  /** One accepted connection, already tracked. */
  protected abstract accept (socket: Socket): void
}
