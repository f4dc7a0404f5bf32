import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLogger } from '../src/cli/log.js'
import { startProgress, type ProgressCounts } from '../src/cli/progress.js'

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
  await sleep(35)
  const drawn = out.filter((s) => s.startsWith(CLEAR) && s.length > CLEAR.length)
  assert.ok(drawn.length >= 2, 'redrawn on its timer')
  assert.match(drawn[0], /tried 3 · reachable 2 · in flight 5 · queued 7 · [\d.]+ sessio/)
  assert.ok(drawn.every((s) => s.length <= CLEAR.length + 59), 'cut to the terminal width')

  out.length = 0
  logger.info('hello')
  assert.equal(out[0], CLEAR, 'the live line is cleared first')
  assert.match(out[1], /INFO peers\] hello\n$/)
  assert.equal(out[2], drawn.at(-1), 'and drawn again below the log line, as it was')
  assert.equal(out.length, 3)

  await sleep(25)
  progress.stop()
  assert.equal(out.at(-1), CLEAR, 'cleared when stopped')
  const after = out.length
  await sleep(30)
  assert.equal(out.length, after, 'nothing drawn after stop')
  logger.info('later')
  assert.equal(out.length, after + 1, 'no clearing once stopped')
  assert.match(out.at(-1) ?? '', /later/)
})

test('elsewhere: a plain counts line at info, with the session rate', async () => {
  const { stream, out } = fakeStream(false)
  const logger = createLogger('info', (line) => { out.push(line) })
  let sessions = 0
  const timer = setInterval(() => { sessions += 10 }, 5)
  const progress = startProgress({ counts: () => ({ tried: 1, reachable: 1, inFlight: 0, queued: 0, sessions }), logger, stream, plainEveryMs: 40 })
  await sleep(130)
  progress.stop()
  clearInterval(timer)
  const lines = out.filter((l) => /INFO peers\] tried 1/.test(l))
  assert.ok(lines.length >= 2, `got ${lines.length} lines`)
  assert.ok(!out.some((s) => s.includes('\x1b')), 'no terminal codes')
  const rate = Number(/([\d.]+) sessions\/s/.exec(lines.at(-1) ?? '')?.[1])
  assert.ok(rate > 100, `rate ${rate}`)
})
