// A test hook in the store's write path, so crash tests can prove where a SIGKILL landed.
// Off (undefined, no cost) unless one of these is set; only tests set them:
// - PEERS_TEST_STORE_WRITE_TRACE=<file>: each write appends `begin <pid> <n>` when it starts
//   and `end <pid> <n>` once it is durable (synchronous appends: the file's order is exact).
// - PEERS_TEST_STORE_WRITE_PAUSE=<n>: the n-th write of this process stops at its midway point
//   (part of its bytes written, not all), appends `paused <pid> <n>`, and waits there (up to
//   2 min) so that the test's SIGKILL provably lands mid-write (a torn write).
// Every writer of the store calls it: `const w = storeWriteHook?.begin()`, then
// `await w?.midway()` after the first bytes are written, `w?.end()` when the write is durable.
import { appendFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export interface StoreWriteTrace {
  midway: () => Promise<void>
  end: () => void
}

function make (traceFile: string | undefined, pauseAt: number | undefined): { begin: () => StoreWriteTrace } {
  let writes = 0
  const note = (line: string): void => { if (traceFile !== undefined) appendFileSync(traceFile, `${line} ${process.pid} ${writes}\n`) }
  return {
    begin () {
      writes++
      const n = writes
      note('begin')
      return {
        async midway () {
          if (n !== pauseAt) return
          note('paused')
          await sleep(120_000)
        },
        end () { if (traceFile !== undefined) appendFileSync(traceFile, `end ${process.pid} ${n}\n`) }
      }
    }
  }
}

const trace = process.env.PEERS_TEST_STORE_WRITE_TRACE
const pause = process.env.PEERS_TEST_STORE_WRITE_PAUSE
export const storeWriteHook = (trace !== undefined && trace !== '') || (pause !== undefined && pause !== '')
  ? make(trace !== '' ? trace : undefined, pause !== undefined && pause !== '' ? Number(pause) : undefined)
  : undefined
