// The fastest any crawler could finish a scenario, computed from the scenario's counts, the
// crawl's timeouts and concurrency, and the simulated getaddr delays. docs/bench.md derives
// each term; test/bench-lower-bound.test.ts checks them against hand-computed values.
import { TRANSIENT_FAILURES } from '../../src/engine/defaults.js'

export interface Population {
  /** Nodes that complete the handshake and answer getaddr. */
  reachable: number
  /** Addresses nothing listens on: refused at once, no socket time. */
  refused: number
  /** Addresses whose SYN is dropped: each holds a socket for the connect timeout. */
  connectTimeouts: number
  /** Nodes that accept and never speak: each holds a socket for the handshake timeout. */
  silent: number
  /** Nodes on another network: rejected on their first message, no socket time. */
  wrongNetwork: number
}

export interface LowerBoundInput {
  population: Population
  concurrency: number
  connectTimeoutMs: number
  handshakeTimeoutMs: number
  getaddrTimeoutMs: number
  /** Extra sessions after a transient failure (the engine's TRANSIENT_FAILURES decide which timeouts). */
  retries: number
  /** Wait before the first retry; each later one waits twice as long (the engine's backoff). */
  retryBackoffMs: number
  /** Mean of the exponential delay before a reachable node answers getaddr; 0 = at once. */
  getaddrDelayMeanMs: number
  /** Hops from the seeds to the farthest reachable node (1 = the seeds know every node). */
  discoveryDepth: number
}

export interface LowerBound {
  /** Expected socket time of the whole crawl, summed over sessions. */
  socketMs: number
  /** socketMs spread perfectly over the concurrency. */
  concurrencyBoundMs: number
  /** discoveryDepth successive getaddr answers, each the expected per-session wait. */
  depthBoundMs: number
  /** Expected wait for the slowest of the reachable nodes' answers. */
  slowestAnswerBoundMs: number
  /** Every session of one timing-out endpoint, with the backoff between them. */
  retryChainBoundMs: number
  /** The largest of the four. */
  lowerBoundMs: number
}

/** E[min(D, cap)] for D exponential with the given mean: the expected wait for one answer. */
export function expectedCappedWaitMs (meanMs: number, capMs: number): number {
  if (meanMs <= 0) return 0
  return meanMs * (1 - Math.exp(-capMs / meanMs))
}

/**
 * E[max of n independent min(D, cap)], D exponential with the given mean. With
 * u = 1 - e^(-t/mean), the integral of 1 - F(t)^n over [0, cap] is mean * sum_{k=1..n} U^k / k,
 * U = 1 - e^(-cap/mean); uncapped that is mean * H_n.
 */
export function expectedSlowestWaitMs (n: number, meanMs: number, capMs: number): number {
  if (meanMs <= 0 || n <= 0) return 0
  const u = 1 - Math.exp(-capMs / meanMs)
  let sum = 0
  let power = 1
  for (let k = 1; k <= n; k++) {
    power *= u
    sum += power / k
  }
  return meanMs * sum
}

export function lowerBound (input: LowerBoundInput): LowerBound {
  const { population: p } = input
  const answerWaitMs = expectedCappedWaitMs(input.getaddrDelayMeanMs, input.getaddrTimeoutMs)
  // Each kind of timeout is tried again only if the engine retries it.
  const attemptsAfter = (reason: 'connect-timeout' | 'handshake-timeout'): number => TRANSIENT_FAILURES.has(reason) ? 1 + input.retries : 1
  const connectAttempts = attemptsAfter('connect-timeout')
  const handshakeAttempts = attemptsAfter('handshake-timeout')
  const socketMs =
    p.reachable * answerWaitMs +
    connectAttempts * p.connectTimeouts * input.connectTimeoutMs +
    handshakeAttempts * p.silent * input.handshakeTimeoutMs
  const concurrencyBoundMs = socketMs / input.concurrency
  const depthBoundMs = input.discoveryDepth * answerWaitMs
  const slowestAnswerBoundMs = expectedSlowestWaitMs(p.reachable, input.getaddrDelayMeanMs, input.getaddrTimeoutMs)
  const chainMs = (count: number, attempts: number, timeoutMs: number): number =>
    count === 0 ? 0 : attempts * timeoutMs + input.retryBackoffMs * (2 ** (attempts - 1) - 1)
  const retryChainBoundMs = Math.max(
    chainMs(p.connectTimeouts, connectAttempts, input.connectTimeoutMs),
    chainMs(p.silent, handshakeAttempts, input.handshakeTimeoutMs)
  )
  return {
    socketMs,
    concurrencyBoundMs,
    depthBoundMs,
    slowestAnswerBoundMs,
    retryChainBoundMs,
    lowerBoundMs: Math.max(concurrencyBoundMs, depthBoundMs, slowestAnswerBoundMs, retryChainBoundMs)
  }
}
