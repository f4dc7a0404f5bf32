import { test } from 'node:test'
import assert from 'node:assert/strict'
import { expectedCappedWaitMs, expectedSlowestWaitMs, lowerBound, type LowerBoundInput } from './bench/lower-bound.js'

function near (actual: number, expected: number, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} is not ${expected}`)
}

test('one capped exponential wait: the mean uncapped, mean * (1 - 1/e) when capped at the mean', () => {
  near(expectedCappedWaitMs(1000, Infinity), 1000)
  near(expectedCappedWaitMs(1000, 1000), 632.1205588285577)
  assert.equal(expectedCappedWaitMs(0, 30_000), 0)
})

test('the slowest of n exponential waits is the mean times the harmonic number', () => {
  near(expectedSlowestWaitMs(1, 1000, Infinity), 1000)
  near(expectedSlowestWaitMs(2, 1000, Infinity), 1500)
  near(expectedSlowestWaitMs(3, 1000, Infinity), 1833.3333333333333)
  // H_10000 = 9.787606036044382
  near(expectedSlowestWaitMs(10_000, 2000, Infinity), 19_575.21207208870, 1e-9)
})

test('the slowest capped wait matches the integral worked by hand', () => {
  // n = 2, cap = mean: integral of 2e^-t - e^-2t over [0, 1] = 2(1 - 1/e) - (1 - 1/e^2)/2
  near(expectedSlowestWaitMs(2, 1000, 1000), 1000 * (2 * (1 - Math.exp(-1)) - (1 - Math.exp(-2)) / 2))
  near(expectedSlowestWaitMs(1, 1000, 1000), expectedCappedWaitMs(1000, 1000))
})

test('the slowest-wait formula agrees with a simulation', () => {
  // xorshift32: reproducible without a dependency
  let state = 0x9e3779b9
  const uniform = (): number => {
    state ^= state << 13; state >>>= 0
    state ^= state >>> 17
    state ^= state << 5; state >>>= 0
    return (state + 0.5) / 2 ** 32
  }
  const n = 50
  const trials = 20_000
  let total = 0
  for (let t = 0; t < trials; t++) {
    let slowest = 0
    for (let i = 0; i < n; i++) slowest = Math.max(slowest, Math.min(-1000 * Math.log(uniform()), 3000))
    total += slowest
  }
  near(total / trials, expectedSlowestWaitMs(n, 1000, 3000), 0.02)
})

const mainnetLike: LowerBoundInput = {
  population: { reachable: 10_000, refused: 20_000, connectTimeouts: 20_000, silent: 100, wrongNetwork: 10 },
  concurrency: 1000,
  connectTimeoutMs: 5000,
  handshakeTimeoutMs: 10_000,
  getaddrTimeoutMs: 30_000,
  retries: 1,
  retryBackoffMs: 10_000,
  getaddrDelayMeanMs: 2000,
  discoveryDepth: 4
}

test('mainnet-like: socket time over concurrency dominates', () => {
  const b = lowerBound(mainnetLike)
  // 10,000 * 2000(1 - e^-15) + one session each of 20,000 * 5000 (connect timeouts are not
  // retried) + two sessions each of 100 * 10,000 (handshake timeouts are)
  const answerWait = 2000 * (1 - Math.exp(-15))
  near(b.socketMs, 10_000 * answerWait + 100_000_000 + 2_000_000)
  near(b.concurrencyBoundMs, b.socketMs / 1000)
  near(b.depthBoundMs, 4 * answerWait)
  // The 30 s cap trims the uncapped 19,575.21 ms by P(max > cap) * mean (memoryless overshoot):
  // (1 - (1 - e^-15)^10,000) * 2000 = 6.11 ms.
  near(b.slowestAnswerBoundMs, 19_575.21 - 6.11, 1e-5)
  // A silent node: 10 s, 10 s backoff, 10 s again.
  assert.equal(b.retryChainBoundMs, 30_000)
  near(b.lowerBoundMs, 121_999.99, 1e-6)
})

test('without the timeout addresses the retries or the slowest answer dominate', () => {
  const b = lowerBound({ ...mainnetLike, concurrency: 5000, population: { ...mainnetLike.population, connectTimeouts: 0 } })
  near(b.concurrencyBoundMs, (10_000 * 2000 * (1 - Math.exp(-15)) + 2 * 100 * 10_000) / 5000)
  near(b.lowerBoundMs, b.retryChainBoundMs)
  const withoutRetries = lowerBound({ ...mainnetLike, concurrency: 5000, retries: 0, population: { ...mainnetLike.population, connectTimeouts: 0 } })
  assert.equal(withoutRetries.retryChainBoundMs, 10_000)
  near(withoutRetries.lowerBoundMs, withoutRetries.slowestAnswerBoundMs)
})

test('three retries back off 10, 20 and 40 s; a connect timeout is tried once', () => {
  const b = lowerBound({ ...mainnetLike, retries: 3 })
  assert.equal(b.retryChainBoundMs, 4 * 10_000 + 70_000)
  const onlyConnectTimeouts = lowerBound({ ...mainnetLike, retries: 3, population: { ...mainnetLike.population, silent: 0 } })
  assert.equal(onlyConnectTimeouts.retryChainBoundMs, 5000)
})

test('no delays, no timeouts: the bound is zero (the crawl is CPU-bound)', () => {
  const b = lowerBound({ ...mainnetLike, population: { reachable: 1000, refused: 0, connectTimeouts: 0, silent: 0, wrongNetwork: 0 }, getaddrDelayMeanMs: 0 })
  assert.deepEqual(b, { socketMs: 0, concurrencyBoundMs: 0, depthBoundMs: 0, slowestAnswerBoundMs: 0, retryChainBoundMs: 0, lowerBoundMs: 0 })
})
