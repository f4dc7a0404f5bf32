// The bench's physical lower bound (test/bench/lower-bound.ts) on small networks worked by hand.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lowerBound, type BoundNode } from './bench/lower-bound.js'

const TIMEOUTS = { connectMs: 5000, handshakeMs: 6000, askPeersMs: 30000 }

function node (over: Partial<BoundNode> & Pick<BoundNode, 'class'>): BoundNode {
  return { rttMs: 0, versionDelayMs: 0, answerDelayMs: 0, ...over }
}

test('a chain: each level costs two round trips of the advertiser; the last handshake one more', () => {
  // 0 -> 1 -> 2, round trips 10, 20, 40 ms
  const nodes = [
    node({ class: 'reachable', rttMs: 10, answers: [1] }),
    node({ class: 'reachable', rttMs: 20, answers: [2] }),
    node({ class: 'reachable', rttMs: 40, answers: [] })
  ]
  const b = lowerBound(nodes, [0], TIMEOUTS)
  assert.equal(b.discoveryDepth, 3)
  // node 1 learned at 2*10 = 20, node 2 at 20 + 2*20 = 60, its handshake at 60 + 40 = 100
  assert.equal(b.mappingBoundMs, 100)
  // its session ends with its (empty) answer one round trip later
  assert.equal(b.exitBoundMs, 140)
  assert.equal(b.exitBoundBy, 'reachable')
})

test('the shortest path wins, not the fewest hops', () => {
  // 0 knows 1 (slow: 1000 ms) and 2 (fast: 10 ms); both know 3; 2 -> 4 -> 3 is faster than 1 -> 3
  const nodes = [
    node({ class: 'reachable', rttMs: 5, answers: [1, 2] }),
    node({ class: 'reachable', rttMs: 1000, answers: [3] }),
    node({ class: 'reachable', rttMs: 10, answers: [4] }),
    node({ class: 'reachable', rttMs: 1, answers: [] }),
    node({ class: 'reachable', rttMs: 10, answers: [3] })
  ]
  const b = lowerBound(nodes, [0], TIMEOUTS)
  // 1, 2 at 10; 4 at 10 + 20 = 30; 3 at 30 + 20 = 50 (via 1: 2010); mapping = max(1: 1010, 3: 51, 4: 40, 2: 20)
  assert.equal(b.mappingBoundMs, 1010)
  assert.equal(b.discoveryDepth, 3)
})

test('dead addresses: the one learned last, at the timeouts used, sets the exit', () => {
  const nodes = [
    node({ class: 'reachable', rttMs: 100, answers: [1, 2, 3] }),
    node({ class: 'reachable', rttMs: 100, answers: [4, 5] }),
    node({ class: 'refused', rttMs: 0 }),
    node({ class: 'hole', rttMs: 0 }),
    node({ class: 'silent', rttMs: 0 }),
    node({ class: 'hole', rttMs: 0 })
  ]
  const b = lowerBound(nodes, [0], TIMEOUTS)
  assert.equal(b.mappingBoundMs, 300) // node 1 learned at 200, handshake at 300
  // node 4 (silent) learned at 200 + 200 = 400: ends at 400 + 6000; node 5 (hole) at 400 + 5000
  assert.equal(b.exitBoundMs, 6400)
  assert.equal(b.exitBoundBy, 'silent')
  assert.deepEqual(b.timeouts, TIMEOUTS)
})

test('a slow honest node: version after 3 s, answer after 5 s; a mute one waits the ask timeout', () => {
  const nodes = [
    node({ class: 'reachable', rttMs: 10, versionDelayMs: 3000, answerDelayMs: 5000, answers: [1, 2] }),
    node({ class: 'reachable', rttMs: 10, answers: [] }),
    node({ class: 'mute', rttMs: 10 })
  ]
  const b = lowerBound(nodes, [0], TIMEOUTS)
  // learned at 10 + 3000 + 10 + 5000 = 8020; handshakes at 8030
  assert.equal(b.mappingBoundMs, 8030)
  assert.equal(b.exitBoundMs, 8030 + 30000)
  assert.equal(b.exitBoundBy, 'mute')
})

test('an answer later than the ask timeout teaches nothing', () => {
  const nodes = [
    node({ class: 'reachable', rttMs: 10, answerDelayMs: 40_000, answers: [1] }),
    node({ class: 'reachable', rttMs: 10, answers: [] })
  ]
  const b = lowerBound(nodes, [0], TIMEOUTS)
  assert.equal(b.discoveryDepth, 1)
  assert.equal(b.mappingBoundMs, 10)
  assert.equal(b.exitBoundMs, 10 + 30000)
})
