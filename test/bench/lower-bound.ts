// The physical lower bound of a crawl (docs/bench.md, "The lower bound"): computed from the
// network alone, independent of the crawler's concurrency and retries. A perfect crawler dials
// every address the moment it learns it, with unlimited sockets; a peer's addresses are learned
// when its answer arrives. So the time each address is learned is a shortest path from the
// seeds, where crossing a reachable node u costs its session up to the answer:
//   version + verack back after one round trip (plus a slow node's version delay),
//   the getaddr answer one more round trip later (plus the node's answer delay).
// Connect costs nothing extra on loopback (the kernel answers the SYN; the simnet's latency
// is added to the node's replies). Checked by test/bench-lower-bound.test.ts.
import type { SessionTimeouts } from '../../src/contract.js'

export type NodeClass =
  | 'reachable' // handshakes; answers getaddr when `answers` is given
  | 'mute' // handshakes, never answers getaddr: a perfect crawler still waits askPeersMs
  | 'refused' // nothing listens: done at once
  | 'hole' // the SYN is dropped: connectMs
  | 'silent' // accepts, never speaks: handshakeMs
  | 'rejects' // another network, or closes at once: done after one round trip

export interface BoundNode {
  class: NodeClass
  /** Round trip, ms (the simnet adds it to every reply). */
  rttMs: number
  /** Extra delay before its version (a slow node). */
  versionDelayMs: number
  /** Extra delay before its getaddr answer. */
  answerDelayMs: number
  /** Indices of the nodes in its getaddr answer (reachable answering nodes only). */
  answers?: readonly number[]
}

export interface LowerBound {
  /** Breadth-first levels from the seeds to the farthest reachable node (seeds are level 1). */
  discoveryDepth: number
  /** The last handshake of a reachable node a perfect crawler can have. */
  mappingBoundMs: number
  /** The end of the last session a perfect crawler must wait for (the dead address learned last, at the timeouts used). */
  exitBoundMs: number
  /** Which class ends the crawl in the exit bound. */
  exitBoundBy: NodeClass
  /** The timeouts the exit bound assumed. */
  timeouts: SessionTimeouts
}

/** Min-heap of (index, time). */
class TimeHeap {
  private readonly items: number[] = []
  private readonly times: number[] = []
  get length (): number { return this.items.length }
  push (i: number, t: number): void {
    let k = this.items.length
    this.items.push(i)
    this.times.push(t)
    while (k > 0) {
      const p = (k - 1) >> 1
      if (this.times[p] <= t) break
      this.items[k] = this.items[p]
      this.times[k] = this.times[p]
      k = p
    }
    this.items[k] = i
    this.times[k] = t
  }

  pop (): [number, number] {
    const top: [number, number] = [this.items[0], this.times[0]]
    const i = this.items.pop() as number
    const t = this.times.pop() as number
    const n = this.items.length
    if (n > 0) {
      let k = 0
      for (;;) {
        const l = 2 * k + 1
        if (l >= n) break
        const c = l + 1 < n && this.times[l + 1] < this.times[l] ? l + 1 : l
        if (this.times[c] >= t) break
        this.items[k] = this.items[c]
        this.times[k] = this.times[c]
        k = c
      }
      this.items[k] = i
      this.times[k] = t
    }
    return top
  }
}

export function lowerBound (nodes: readonly BoundNode[], seeds: readonly number[], timeouts: SessionTimeouts): LowerBound {
  const learned = new Float64Array(nodes.length).fill(Infinity)
  const level = new Int32Array(nodes.length)
  const heap = new TimeHeap()
  for (const s of seeds) {
    learned[s] = 0
    level[s] = 1
    heap.push(s, 0)
  }
  // Dijkstra: an answer after askPeersMs is not waited for, so it teaches nothing.
  while (heap.length > 0) {
    const [u, t] = heap.pop()
    if (t > learned[u]) continue
    const n = nodes[u]
    if (n.class !== 'reachable' || n.answers === undefined || n.answerDelayMs + n.rttMs >= timeouts.askPeersMs) continue
    const answeredAt = t + n.rttMs + n.versionDelayMs + n.rttMs + n.answerDelayMs
    for (const v of n.answers) {
      if (answeredAt < learned[v]) {
        learned[v] = answeredAt
        heap.push(v, answeredAt)
      }
    }
  }
  // Depth: breadth-first levels over the same answers.
  let depth = 0
  let frontier = [...seeds]
  while (frontier.length > 0) {
    depth++
    const next: number[] = []
    for (const u of frontier) {
      const n = nodes[u]
      if (n.class !== 'reachable' || n.answers === undefined || n.answerDelayMs + n.rttMs >= timeouts.askPeersMs) continue
      for (const v of n.answers) {
        if (level[v] === 0) {
          level[v] = depth + 1
          next.push(v)
        }
      }
    }
    frontier = next
  }
  let mapping = 0
  let exit = 0
  let exitBy: NodeClass = 'reachable'
  for (let i = 0; i < nodes.length; i++) {
    const t = learned[i]
    if (t === Infinity) continue
    const n = nodes[i]
    const handshake = t + n.rttMs + n.versionDelayMs
    let end: number
    switch (n.class) {
      case 'reachable':
        mapping = Math.max(mapping, handshake)
        end = n.answers === undefined ? handshake : handshake + Math.min(n.rttMs + n.answerDelayMs, timeouts.askPeersMs)
        break
      case 'mute':
        mapping = Math.max(mapping, handshake)
        end = handshake + timeouts.askPeersMs
        break
      case 'refused': end = t; break
      case 'hole': end = t + timeouts.connectMs; break
      case 'silent': end = t + timeouts.handshakeMs; break
      case 'rejects': end = t + n.rttMs; break
    }
    if (end > exit) {
      exit = end
      exitBy = n.class
    }
  }
  return { discoveryDepth: depth, mappingBoundMs: mapping, exitBoundMs: Math.max(exit, mapping), exitBoundBy: exitBy, timeouts }
}
