// One network's records by endpoint. A Map keyed by `host:port` text held a second string per
// record (about 50 bytes at a million records) and built one per lookup (twenty million in an
// hour of crawling); this index is keyed by the host string the record itself holds, and only a
// host's records on further ports are keyed by `host:port` (rare: a node listens on one port).
import { formatEndpoint } from '../net/endpoint.js'
import type { PeerRecord } from './types.js'

// A reader's index is built at its first use, not as the store loads: readers that only walk
// the records (list, stats, export, report) never pay for it (a second at a million records).
// A writer indexes as it streams the state (ShardAdapter.indexOnRead), so that no lookup blocks.
export class RecordIndex {
  /** The first record of each host. */
  private readonly byHost = new Map<string, PeerRecord>()
  /** Records of a host on other ports than the one in byHost, by formatEndpoint. */
  private readonly byEndpoint = new Map<string, PeerRecord>()
  /** Records of a state file, each endpoint once, not indexed yet. */
  private unindexed: PeerRecord[] | undefined

  get size (): number {
    // Not indexed yet: the records of a state file are distinct.
    if (this.unindexed !== undefined) return this.unindexed.length
    return this.byHost.size + this.byEndpoint.size
  }

  /**
   * Adds a record of a state file, whose endpoints are distinct (a compaction writes each
   * record once): indexed at the first lookup.
   */
  load (record: PeerRecord): void {
    if (this.unindexed === undefined) {
      if (this.byHost.size > 0 || this.byEndpoint.size > 0) return this.set(record)
      this.unindexed = []
    }
    this.unindexed.push(record)
  }

  get (host: string, port: number): PeerRecord | undefined {
    this.build()
    const r = this.byHost.get(host)
    if (r !== undefined && r.port === port) return r
    return this.byEndpoint.size === 0 ? undefined : this.byEndpoint.get(formatEndpoint({ host, port }))
  }

  /** Adds the record, or replaces the one of the same endpoint. */
  set (record: PeerRecord): void {
    this.build()
    const first = this.byHost.get(record.host)
    if (first === undefined) {
      const key = this.byEndpoint.size === 0 ? undefined : formatEndpoint(record)
      if (key !== undefined && this.byEndpoint.has(key)) this.byEndpoint.set(key, record)
      else this.byHost.set(record.host, record)
    } else if (first.port === record.port) {
      this.byHost.set(record.host, record)
    } else {
      this.byEndpoint.set(formatEndpoint(record), record)
    }
  }

  /** Removes this record (the object the index holds). */
  delete (record: PeerRecord): boolean {
    this.build()
    if (this.byHost.get(record.host) === record) return this.byHost.delete(record.host)
    const key = formatEndpoint(record)
    return this.byEndpoint.get(key) === record && this.byEndpoint.delete(key)
  }

  /** Every record, in values() order, as an array. */
  toArray (): PeerRecord[] {
    if (this.unindexed !== undefined) return this.unindexed.slice()
    const all = new Array<PeerRecord>(this.size)
    let i = 0
    for (const r of this.byHost.values()) all[i++] = r
    for (const r of this.byEndpoint.values()) all[i++] = r
    return all
  }

  /**
   * Every record, first records of hosts first. Live, as a Map iterator is: it sees records
   * added while it runs and tolerates deletions (a stepped compaction relies on both).
   */
  * values (): Generator<PeerRecord, void, undefined> {
    this.build()
    yield * this.byHost.values()
    yield * this.byEndpoint.values()
  }

  private build (): void {
    const records = this.unindexed
    if (records === undefined) return
    this.unindexed = undefined
    for (const r of records) this.set(r)
  }
}
