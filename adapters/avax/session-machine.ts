// The AVAX peer flow as a state machine with no I/O, so every step is testable without a
// socket. The session runner (session-runner.ts) feeds it decoded messages and timer
// expiries and carries out the actions it returns.
//
//   awaiting-handshake --Handshake (our network)--> send PeerList (empty: we vouch for no one)
//   awaiting-peer-list --PeerList--> handshake complete; send GetPeerList(bloom of known)
//   gossiping          --PeerList with new peers--> send GetPeerList(bloom) again
//                      --PeerList with none new, address cap or round cap--> done
//                      --ask-for-peers timeout (driver)--> done
import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import type { FailureReason, LearnedAddress, PeerInfo } from '../../src/contract.js'
import { formatEndpoint } from '../../src/net/endpoint.js'
import { endpointFromIpBytes } from './addresses.js'
import { BloomFilter, bloomHash, optimalParameters } from './bloom.js'
import { formatNodeId, gossipId, nodeIdFromCertificate } from './ids.js'
import { emptyHandshake, type AvaxMessage, type BloomFilterBytes, type ClaimedIpPort, type Client, type Handshake } from './messages.js'

/** GetPeerList rounds per session; a peer that always has "new" peers cannot keep us forever. */
export const MAX_ROUNDS = 64
/** Target false-positive rate of our known-peers filter: a false positive hides one peer for one round. */
export const BLOOM_FALSE_POSITIVE_RATE = 0.001
/** Sized for at least this many peers, so small sessions do not send one-byte filters. */
const BLOOM_MIN_COUNT = 128
/**
 * Gossip ids remembered for the known-peers filter. The primary network has a few thousand
 * validators; without a cap, 65 PeerLists of 10,000 claims each would make one hostile peer
 * cost hundreds of MB and a filter near the 2 MiB message limit.
 */
export const MAX_KNOWN_GOSSIP_IDS = 10_000
/** ACP numbers kept per list in PeerInfo.extra (the list is peer-sized; the store is not). */
const MAX_LISTED_ACPS = 64

export type SessionState = 'awaiting-handshake' | 'awaiting-peer-list' | 'gossiping' | 'done'

export type SessionAction =
  | { type: 'send', message: AvaxMessage }
  /** The peer's Handshake and first PeerList arrived: the session counts as reachable. */
  | { type: 'handshake-complete' }
  /** Start (or restart) the wait for the answer to the GetPeerList just sent. */
  | { type: 'await-peer-list' }
  | { type: 'done' }
  | { type: 'fail', reason: FailureReason, detail: string }

export interface SessionMachineOptions {
  /** Handshake.network_id of the network we crawl. */
  networkId: number
  maxAddresses: number
  /** e.g. `/peers:0.1.0/`; becomes Handshake.client. */
  userAgent: string
  /** The peer's DER certificate when the transport authenticated one (TLS); gives its node id. */
  peerCertificate?: Uint8Array
  /** Unix seconds. */
  now?: () => number
  random?: (n: number) => Uint8Array
}

export class AvaxSessionMachine {
  state: SessionState = 'awaiting-handshake'
  readonly learned: LearnedAddress[] = []
  addressesReceived = 0
  gotAddressAnswer = false
  /** The first answer to our GetPeerList: its claims, and ms from our request (SessionResult.answer). */
  answer?: { entries: number, afterMs: number }
  peer?: PeerInfo
  rounds = 0
  private readonly learnedKeys = new Set<string>()
  /** When the first GetPeerList went out, monotonic ms. */
  private askedAt = 0
  /** GossipIDs of every claim seen: what our bloom filter tells the peer we know. */
  private readonly knownGossipIds = new Map<string, Uint8Array>()
  private readonly now: () => number
  private readonly random: (n: number) => Uint8Array

  constructor (private readonly options: SessionMachineOptions) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000))
    this.random = options.random ?? randomBytes
  }

  start (): SessionAction[] {
    return [{ type: 'send', message: { type: 'handshake', handshake: this.ourHandshake() } }]
  }

  receive (message: AvaxMessage): SessionAction[] {
    if (this.state === 'done') return []
    switch (message.type) {
      case 'handshake': return this.onHandshake(message.handshake)
      case 'peer-list': return this.onPeerList(message.claimedIpPorts)
      case 'ping':
        return this.state === 'awaiting-handshake' ? [] : [{ type: 'send', message: { type: 'pong' } }]
      case 'get-peer-list':
        // p2p.proto: not answered before the handshake completes; after it, we know no one.
        return this.state === 'gossiping' ? [{ type: 'send', message: { type: 'peer-list', claimedIpPorts: [] } }] : []
      case 'pong':
      case 'other':
        return []
    }
  }

  /** The peer did not answer our GetPeerList in time: keep what we have. */
  askPeersTimeout (): SessionAction[] {
    if (this.state !== 'gossiping') return []
    this.state = 'done'
    return [{ type: 'done' }]
  }

  private onHandshake (h: Handshake): SessionAction[] {
    if (this.state !== 'awaiting-handshake') {
      if (this.state === 'gossiping') return [] // harmless once we have what we came for
      return this.fail('protocol-error', 'peer sent a second Handshake')
    }
    if (h.networkId !== this.options.networkId) {
      return this.fail('wrong-network', `peer is on network id ${h.networkId}, expected ${this.options.networkId}`)
    }
    this.peer = this.describePeer(h)
    this.state = 'awaiting-peer-list'
    // AvalancheGo answers an inbound Handshake with a PeerList; ours is empty.
    return [{ type: 'send', message: { type: 'peer-list', claimedIpPorts: [] } }]
  }

  private onPeerList (claims: ClaimedIpPort[]): SessionAction[] {
    if (this.state === 'awaiting-handshake') return this.fail('protocol-error', 'peer sent a PeerList before its Handshake')
    const fresh = this.absorb(claims)
    if (this.state === 'awaiting-peer-list') {
      this.state = 'gossiping'
      return [{ type: 'handshake-complete' }, ...this.askForMore()]
    }
    if (!this.gotAddressAnswer) this.answer = { entries: claims.length, afterMs: Math.round(performance.now() - this.askedAt) }
    this.gotAddressAnswer = true
    if (fresh === 0 || this.learned.length >= this.options.maxAddresses || this.rounds >= MAX_ROUNDS) {
      this.state = 'done'
      return [{ type: 'done' }]
    }
    return this.askForMore()
  }

  private askForMore (): SessionAction[] {
    if (this.rounds === 0) this.askedAt = performance.now()
    this.rounds++
    return [
      // all_subnets: a crawler wants every validator's IP, not only primary-network ones.
      { type: 'send', message: { type: 'get-peer-list', knownPeers: this.knownPeersFilter(), allSubnets: true } },
      { type: 'await-peer-list' }
    ]
  }

  /** Records the claims; returns how many endpoints were new to this session. */
  private absorb (claims: ClaimedIpPort[]): number {
    let fresh = 0
    for (const claim of claims) {
      this.addressesReceived++
      if (claim.x509Certificate.length > 0 && this.knownGossipIds.size < MAX_KNOWN_GOSSIP_IDS) {
        const id = gossipId(nodeIdFromCertificate(claim.x509Certificate), claim.timestamp)
        this.knownGossipIds.set(Buffer.from(id).toString('hex'), id)
      }
      const endpoint = endpointFromIpBytes(claim.ipAddr, claim.ipPort)
      if (endpoint === undefined) continue
      const key = formatEndpoint(endpoint)
      if (this.learnedKeys.has(key) || this.learned.length >= this.options.maxAddresses) continue
      this.learnedKeys.add(key)
      const time = Number(claim.timestamp)
      this.learned.push(time > 0 && Number.isSafeInteger(time) ? { endpoint, time } : { endpoint })
      fresh++
    }
    return fresh
  }

  /** A fresh filter (new salt, new seeds) each round, so a collision never hides a peer twice. */
  knownPeersFilter (): BloomFilterBytes {
    const { numHashes, numEntries } = optimalParameters(Math.max(this.knownGossipIds.size, BLOOM_MIN_COUNT), BLOOM_FALSE_POSITIVE_RATE)
    const filter = BloomFilter.create(numHashes, numEntries, this.random)
    const salt = this.random(32)
    for (const id of this.knownGossipIds.values()) filter.add(bloomHash(id, salt))
    return { filter: filter.marshal(), salt }
  }

  private ourHandshake (): Handshake {
    const now = BigInt(this.now())
    const version = /(\d+)\.(\d+)\.(\d+)/.exec(this.options.userAgent)
    const client: Client = { name: 'peers', major: Number(version?.[1] ?? 0), minor: Number(version?.[2] ?? 0), patch: Number(version?.[3] ?? 0) }
    return {
      ...emptyHandshake(),
      networkId: this.options.networkId,
      myTime: now,
      // We accept no inbound connections: the unspecified address, port 0, and no IP
      // signatures (they need the staking key the real transport would hold).
      ipAddr: new Uint8Array(16),
      ipSigningTime: now,
      client,
      knownPeers: this.knownPeersFilter(),
      allSubnets: true
    }
  }

  private describePeer (h: Handshake): PeerInfo {
    const extra: Record<string, string | number | boolean> = {
      networkId: h.networkId,
      clockSkewSeconds: Number(h.myTime) - this.now(),
      trackedSubnets: h.trackedSubnets.length,
      allSubnets: h.allSubnets
    }
    const claimed = endpointFromIpBytes(h.ipAddr, h.ipPort)
    if (claimed !== undefined) extra.claimedIp = formatEndpoint(claimed)
    if (h.supportedAcps.length > 0) extra.supportedAcps = h.supportedAcps.slice(0, MAX_LISTED_ACPS).join(',')
    if (h.objectedAcps.length > 0) extra.objectedAcps = h.objectedAcps.slice(0, MAX_LISTED_ACPS).join(',')
    if (this.options.peerCertificate !== undefined) extra.nodeId = formatNodeId(nodeIdFromCertificate(this.options.peerCertificate))
    const info: PeerInfo = { extra }
    if (h.client !== undefined) {
      // Printable ASCII only: the name is peer-chosen and ends up in logs and tables.
      const name = h.client.name.replace(/[^\x20-\x7e]/g, '?').slice(0, 64)
      info.userAgent = `${name}/${h.client.major}.${h.client.minor}.${h.client.patch}`
    }
    return info
  }

  private fail (reason: FailureReason, detail: string): SessionAction[] {
    this.state = 'done'
    return [{ type: 'fail', reason, detail }]
  }
}
