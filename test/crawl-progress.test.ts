import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '../src/cli/log.js'
import { startProgress, type ProgressCounts } from '../src/cli/progress.js'
import { waitFor } from './helpers/wait.js'

/** Resolves after `n` ticks of a `ms` interval: a timer of that interval still armed would have fired by then. */
async function ticks (n: number, ms: number): Promise<void> {
  let count = 0
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => { if (++count === n) { clearInterval(timer); resolve() } }, ms)
  })
}

const CLEAR = '\r\x1b[2K'

function fakeStream (isTTY: boolean): { stream: NodeJS.WriteStream, out: string[] } {
  const out: string[] = []
  const stream = { isTTY, columns: 60, write: (s: string) => { out.push(s); return true } } as unknown as NodeJS.WriteStream
  return { stream, out }
}

test('on a terminal: one live line, cleared before each log line, drawn again after it, cleared at the end', async () => {
  const { stream, out } = fakeStream(true)
  const logger = createLogger('info', (line) => { out.push(line) })
  const counts: ProgressCounts = { tried: 3, reachable: 2, inFlight: 5, queued: 7, sessions: 8 }
  const progress = startProgress({ counts: () => counts, logger, stream, redrawMs: 10 })
  const live = (): string[] => out.filter((s) => s.startsWith(CLEAR) && s.length > CLEAR.length)
  await waitFor(() => live().length >= 2, { what: 'two redraws on its timer', timeoutMs: 10_000 })
  const drawn = live()
  assert.match(drawn[0], /tried 3 · reachable 2 · in flight 5 · queued 7 · [\d.]+ sessio/)
  assert.ok(drawn.every((s) => s.length <= CLEAR.length + 59), 'cut to the terminal width')

  out.length = 0
  logger.info('hello')
  assert.equal(out[0], CLEAR, 'the live line is cleared first')
  assert.match(out[1], /INFO peers\] hello\n$/)
  assert.equal(out[2], drawn.at(-1), 'and drawn again below the log line, as it was')
  assert.equal(out.length, 3)

  await waitFor(() => out.length > 3, { what: 'a redraw after the log line', timeoutMs: 10_000 })
  progress.stop()
  assert.equal(out.at(-1), CLEAR, 'cleared when stopped')
  const after = out.length
  await ticks(5, 10) // five redraw intervals
  assert.equal(out.length, after, 'nothing drawn after stop')
  logger.info('later')
  assert.equal(out.length, after + 1, 'no clearing once stopped')
  assert.match(out.at(-1) ?? '', /later/)
})

test('elsewhere: a plain counts line at info, with the session rate', async () => {
  const { stream, out } = fakeStream(false)
  const logger = createLogger('info', (line) => { out.push(line) })
  // 2,000 sessions a second by the clock the progress reads, however late its timers fire.
  const t0 = Date.now()
  const sessions = (): number => (Date.now() - t0) * 2
  const progress = startProgress({ counts: () => ({ tried: 1, reachable: 1, inFlight: 0, queued: 0, sessions: sessions() }), logger, stream, plainEveryMs: 40 })
  const counted = (): string[] => out.filter((l) => /INFO peers\] tried 1/.test(l))
  await waitFor(() => counted().length >= 3, { what: 'three counts lines', timeoutMs: 10_000 })
  progress.stop()
  const lines = counted()
  assert.ok(!out.some((s) => s.includes('\x1b')), 'no terminal codes')
  const rate = Number(/([\d.]+) sessions\/s/.exec(lines.at(-1) ?? '')?.[1])
  assert.ok(rate > 1900 && rate < 2100, `rate ${rate}, expected 2000 sessions/s`)
})
