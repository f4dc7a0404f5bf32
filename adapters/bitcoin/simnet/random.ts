// A seeded PRNG, so that a simnet's topology is the same for the same seed.

/** mulberry32: 32 bits of state, uniform in [0, 1). Enough for shuffling a test network. */
export function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A seed for stream `index` of a generator seeded with `seed` (independent streams per node). */
export function deriveSeed (seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  return (h ^ (h >>> 15)) >>> 0
}

/** An exponential variate with the given mean (Core's trickle timers are exponential). */
export function exponential (random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean
}
