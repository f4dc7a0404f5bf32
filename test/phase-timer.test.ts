// Lag-aware phase timers (docs/design.md §1.5): unit behaviour on an injected clock, then a
// real socket and a deliberate synchronous block: data that arrived during the block is
// handled before the timer's decision, so the peer is not timed out.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { startPhaseTimer, type PhaseClock } from '../src/net/phase-timer.js'
import { waitFor } from './helpers/wait.js'

/** A clock the test moves by hand: timers fire in due order, immediates when flushed. */
class FakeClock implements PhaseClock {
  t = 0
  private timers = new Map<number, { due: number, fn: () => void }>()
  private immediates = new Map<number, () => void>()
  private next = 1
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): unknown => { const id = this.next++; this.timers.set(id, { due: this.t + ms, fn }); return id }
  clearTimeout = (h: unknown): void => { this.timers.delete(h as number) }
  setImmediate = (fn: () => void): unknown => { const id = this.next++; this.immediates.set(id, fn); return id }
  clearImmediate = (h: unknown): void => { this.immediates.delete(h as number) }
  /** The loop was busy until `to`: time jumps, then due timers run, then immediates (as Node's phases). */
  advance (to: number): void {
    this.t = to
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].due - b[1].due)) {
      if (timer.due <= this.t) { this.timers.delete(id); timer.fn() }
    }
  }

  flushImmediates (): void {
    const batch = [...this.immediates]
    this.immediates.clear()
    for (const [, fn] of batch) fn()
  }

  get pending (): number { return this.timers.size + this.immediates.size }
}

test('on time: expires at its deadline, after one immediate', () => {
  const clock = new FakeClock()
  let expired = 0
  startPhaseTimer(1000, () => expired++, { clock, lagThresholdMs: 50 })
  clock.advance(999)
  clock.flushImmediates()
  assert.equal(expired, 0)
  clock.advance(1010) // 10 ms of jitter: under the threshold, no credit
  assert.equal(expired, 0, 'the decision waits for the immediate (I/O first)')
  clock.flushImmediates()
  assert.equal(expired, 1)
  assert.equal(clock.pending, 0)
})

test('fired late by more than the threshold: the lateness is credited back once, not twice', () => {
  const clock = new FakeClock()
  let expired = 0
  const timer = startPhaseTimer(1000, () => expired++, { clock, lagThresholdMs: 50 })
  clock.advance(1400) // the loop was blocked: 400 ms late
  clock.flushImmediates()
  assert.equal(expired, 0, 'not expired: re-armed for the 400 ms our loop took')
  assert.equal(timer.creditedMs, 400)
  clock.advance(1799)
  clock.flushImmediates()
  assert.equal(expired, 0)
  clock.advance(2500) // late again: no second credit
  clock.flushImmediates()
  assert.equal(expired, 1)
  assert.equal(clock.pending, 0)
})

test('cancel before the timer, or between the timer and its immediate, means it never expires', () => {
  const clock = new FakeClock()
  let expired = 0
  startPhaseTimer(100, () => expired++, { clock }).cancel()
  const racing = startPhaseTimer(100, () => expired++, { clock })
  clock.advance(100)
  racing.cancel() // the data handler ran in the poll phase, before the check phase
  clock.flushImmediates()
  assert.equal(expired, 0)
  assert.equal(clock.pending, 0)
})

function block (ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) { /* a deliberate synchronous block */ }
}

/** A connected loopback pair: [our end, the peer's end]. */
async function pair (): Promise<{ ours: Socket, theirs: Socket, close: () => void }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection')
  const ours = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await once(ours, 'connect')
  const [theirs] = await accepted as [Socket]
  return { ours, theirs, close: () => { ours.destroy(); theirs.destroy(); server.close() } }
}

/** A 100 ms phase; the peer answers at once, then our loop blocks 400 ms: who wins? */
async function race (useRaw: boolean): Promise<'answered' | 'timed out'> {
  const { ours, theirs, close } = await pair()
  try {
    let outcome: 'answered' | 'timed out' | undefined
    const decide = (o: 'answered' | 'timed out'): void => { outcome ??= o }
    let cancel: () => void
    if (useRaw) {
      const t = setTimeout(() => decide('timed out'), 100)
      cancel = () => clearTimeout(t)
    } else {
      const t = startPhaseTimer(100, () => decide('timed out'))
      cancel = () => t.cancel()
    }
    ours.on('data', () => { cancel(); decide('answered') })
    theirs.write('verack')
    block(400)
    return await waitFor(() => outcome, { what: 'the phase to end', timeoutMs: 10_000 })
  } finally {
    close()
  }
}

test('a peer whose answer arrived during a 400 ms block is not timed out (a raw setTimeout would time it out)', async () => {
  assert.equal(await race(false), 'answered')
  // The control: the same race with a plain timer is lost, so the scenario above is real.
  assert.equal(await race(true), 'timed out')
})
