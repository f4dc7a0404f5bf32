// Waiting for events, not for time: poll a condition until it holds or a generous deadline
// passes (an upper bound only: a quiet machine returns as soon as the condition holds).
import { randomInt } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  /** Upper bound; the error names `what` and this figure. */
  timeoutMs?: number
  /** What is awaited, for the error message. */
  what: string
  /** Polling interval (ms). */
  intervalMs?: number
}

/** Resolves with the first truthy value of `cond`; rejects after timeoutMs (default 30 s). */
export async function waitFor<T> (cond: () => T | Promise<T>, options: WaitOptions): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await cond()
    if (value !== undefined && value !== null && value !== false && value !== 0 && value !== '') return value as NonNullable<T>
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}`)
    await sleep(options.intervalMs ?? 10)
  }
}

/**
 * The seed of a test's random choices: PEERS_TEST_SEED when set (to replay a failure), else a
 * fresh one. Printed either way, with the line that replays it.
 */
export function testSeed (what: string): number {
  const given = process.env.PEERS_TEST_SEED
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : randomInt(1, 2 ** 31)
  console.log(`# ${what}: seed ${seed} (replay with PEERS_TEST_SEED=${seed})`)
  return seed
}
