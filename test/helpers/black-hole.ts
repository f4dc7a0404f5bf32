// A local address that drops connection attempts (SYNs) without root: a child process listens
// with a backlog of 1 and then blocks its event loop, so it never accepts; filler
// connections fill the kernel's accept queue, and Linux drops every further SYN
// (tcp_conn_request: "if (sk_acceptq_is_full(sk)) goto drop"). A dial there times out as a
// dial to a firewalled or dead internet address does.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'

const CHILD = `
const net = require('node:net')
const server = net.createServer()
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () => {
    // Never return to the event loop: nothing is ever accepted.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 * 60 * 1000)
  })
})
`

export interface BlackHole { host: string, port: number, close: () => void }

export async function startBlackHole (): Promise<BlackHole> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
  let text = ''
  child.stdout?.setEncoding('utf8')
  while (!text.includes('\n')) {
    const [chunk] = await once(child.stdout as NodeJS.ReadableStream, 'data') as [string]
    text += chunk
  }
  const port = Number(text.trim())
  // Fill the queue until a connection attempt goes unanswered (Node turns a backlog of 0 into
  // its default, so the exact count is the kernel's business).
  const fillers: Socket[] = []
  for (;;) {
    if (fillers.length >= 16) throw new Error('the black hole never filled its accept queue')
    const filler = connect({ host: '127.0.0.1', port })
    filler.on('error', () => {})
    let timer: NodeJS.Timeout | undefined
    // Generous: a loaded machine may be slow to deliver 'connect'; a wrong 'dropped' would leave the queue open.
    const connected = await Promise.race([once(filler, 'connect').then(() => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 2000) })])
    clearTimeout(timer)
    if (!connected) {
      filler.destroy()
      break
    }
    fillers.push(filler)
  }
  return {
    host: '127.0.0.1',
    port,
    close: () => {
      for (const f of fillers) f.destroy()
      child.kill('SIGKILL')
    }
  }
}
