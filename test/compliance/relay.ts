// A loopback TCP relay between an adapter's session and a simulated peer. It lets the
// compliance suite see, for any adapter, whether the session's socket was closed when
// runSession returned, without asking the adapter's simulation to report it.
import { createServer, connect, type Socket } from 'node:net'
import type { Endpoint } from '../../src/contract.js'

export interface Relay {
  endpoint: Endpoint
  /** Connections the session opened through the relay. */
  readonly accepted: number
  /** Whether every accepted connection has closed within `ms`. */
  allClosedWithin (ms: number): Promise<boolean>
  close (): Promise<void>
}

export async function startRelay (target: Endpoint): Promise<Relay> {
  const closed: Array<Promise<void>> = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    sockets.add(client)
    closed.push(new Promise((resolve) => client.once('close', () => resolve())))
    const upstream = connect({ host: target.host, port: target.port })
    sockets.add(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    // Pass resets on as resets, so 'reset' and 'closed' stay distinguishable.
    upstream.on('error', () => { client.resetAndDestroy() })
    client.on('error', () => { upstream.destroy() })
    client.once('close', () => { upstream.destroy() })
    upstream.once('close', () => { sockets.delete(upstream) })
    client.once('close', () => { sockets.delete(client) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('relay has no TCP address')
  return {
    endpoint: { host: '127.0.0.1', port: address.port, type: 'ipv4' },
    get accepted () { return closed.length },
    async allClosedWithin (ms) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
      const all = Promise.all(closed).then(() => true as const)
      try {
        return await Promise.race([all, timeout])
      } finally {
        clearTimeout(timer)
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}
