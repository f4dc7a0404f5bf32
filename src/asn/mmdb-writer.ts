// A MaxMind DB (format 2.0) writer: https://maxmind.github.io/MaxMind-DB/
//
// The file is a binary search tree over the 128 bits of an IPv6 address (IPv4 lives at
// ::/96, by default aliased at ::ffff:0:0/96 and 2002::/16), then 16 zero bytes, then the data
// section, then `\xAB\xCD\xEFMaxMind.com` and the metadata map. Node records are 24 or 28
// bits, whichever holds the largest record value.
//
// The tree is built in typed arrays (two uint32 child slots per node) so half a million
// ranges cost tens of megabytes, not an object per node.

import { ipv4ToNumber, ipv6ToBigInt } from '../net/ip.js'

/** One data record: a flat map of strings and unsigned 32-bit integers (e.g. the GeoLite2-ASN fields). */
export type MmdbRecord = Readonly<Record<string, string | number>>

export interface MmdbWriterOptions {
  /** Names the structure of the records, e.g. `GeoLite2-ASN`. */
  databaseType: string
  /** Language code -> description, e.g. `{ en: '…' }`. */
  description: Record<string, string>
  languages?: string[]
  /** Unix seconds; defaults to now. */
  buildEpoch?: number
  /** Lead ::ffff:0:0/96 and 2002::/16 to the IPv4 data (default true, as MaxMind's databases do). */
  aliasIpv4?: boolean
}

export interface MmdbStats {
  nodeCount: number
  recordSize: 24 | 28
  records: number
  dataBytes: number
}

// Child slot values while building: 0 = no data (the root is never anyone's child),
// DATA_FLAG | index = records[index], anything else = a node index.
const EMPTY = 0
const DATA_FLAG = 0x80000000
const DATA_INDEX_MASK = 0x7fffffff
const UNVISITED = 0xffffffff

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex') // \xAB\xCD\xEF MaxMind.com
const DATA_SECTION_SEPARATOR_SIZE = 16

// Data-type numbers from the spec; types above 7 are "extended".
const TYPE_POINTER = 1
const TYPE_STRING = 2
const TYPE_UINT16 = 5
const TYPE_UINT32 = 6
const TYPE_MAP = 7
const TYPE_UINT64 = 9
const TYPE_ARRAY = 11

const IPV4_SUBTREE_DEPTH = 96

export class MmdbWriter {
  private children = new Uint32Array(2 * 1024 * 1024)
  private nodeCount = 1 // node 0 is the root
  private readonly records: MmdbRecord[] = []
  private readonly recordIndex = new Map<MmdbRecord, number>()
  // Scratch address of the network being inserted: four 32-bit words, most significant first.
  private readonly address = new Uint32Array(4)
  private finished = false

  constructor (private readonly options: MmdbWriterOptions) {}

  /**
   * Map every address in the inclusive range [start, end] (both IPv4 or both IPv6 text) to
   * `record`. Later inserts win over earlier ones where they overlap. Throws RangeError on
   * bad input. Pass the same record object for equal records to skip re-encoding.
   */
  insertRange (start: string, end: string, record: MmdbRecord): void {
    if (this.finished) throw new Error('MmdbWriter: insertRange after toBuffer')
    const leaf = DATA_FLAG | this.indexOf(record)
    const startV4 = ipv4ToNumber(start)
    if (startV4 !== undefined) {
      const endV4 = ipv4ToNumber(end)
      if (endV4 === undefined || endV4 < startV4) throw new RangeError(`bad IPv4 range ${start} - ${end}`)
      this.insertIpv4Range(startV4, endV4, leaf)
      return
    }
    const startV6 = ipv6ToBigInt(start)
    const endV6 = ipv6ToBigInt(end)
    if (startV6 === undefined || endV6 === undefined || endV6 < startV6) throw new RangeError(`bad IP range ${start} - ${end}`)
    this.insertIpv6Range(startV6, endV6, leaf)
  }

  /** The whole file. The writer is spent afterwards (the aliases are wired into the tree). */
  toBuffer (): { buffer: Buffer, stats: MmdbStats } {
    if (this.finished) throw new Error('MmdbWriter: toBuffer called twice')
    this.finished = true
    if (this.options.aliasIpv4 ?? true) this.aliasIpv4()
    const collapsed = this.collapse()
    // Number the nodes that survive, breadth first from the root.
    const order = new Uint32Array(this.nodeCount)
    const newIndex = new Int32Array(this.nodeCount).fill(-1)
    order[0] = 0
    newIndex[0] = 0
    let kept = 1
    for (let i = 0; i < kept; i++) {
      const node = order[i]
      for (let side = 0; side < 2; side++) {
        const child = this.resolvedChild(node, side, collapsed)
        if (child !== EMPTY && (child & DATA_FLAG) === 0 && newIndex[child] === -1) {
          newIndex[child] = kept
          order[kept++] = child
        }
      }
    }
    // Encode each record that is still referenced, once, in tree order.
    const data = new DataEncoder()
    const recordOffset = new Int32Array(this.records.length).fill(-1)
    const offsetOfContent = new Map<string, number>()
    for (let i = 0; i < kept; i++) {
      for (let side = 0; side < 2; side++) {
        const child = this.resolvedChild(order[i], side, collapsed)
        if ((child & DATA_FLAG) === 0) continue
        const index = child & DATA_INDEX_MASK
        if (recordOffset[index] !== -1) continue
        const content = JSON.stringify(this.records[index])
        let offset = offsetOfContent.get(content)
        if (offset === undefined) {
          offset = data.length
          data.writeRecord(this.records[index])
          offsetOfContent.set(content, offset)
        }
        recordOffset[index] = offset
      }
    }
    const maxRecordValue = kept + DATA_SECTION_SEPARATOR_SIZE + data.length
    const recordSize = maxRecordValue < 2 ** 24 ? 24 : maxRecordValue < 2 ** 28 ? 28 : undefined
    if (recordSize === undefined) throw new RangeError(`MMDB too large: ${kept} nodes and ${data.length} data bytes exceed 28-bit records`)
    const nodeBytes = recordSize / 4
    const tree = Buffer.alloc(kept * nodeBytes)
    const recordValue = (child: number): number => {
      if (child === EMPTY) return kept
      if (child & DATA_FLAG) return kept + DATA_SECTION_SEPARATOR_SIZE + recordOffset[child & DATA_INDEX_MASK]
      return newIndex[child]
    }
    for (let i = 0; i < kept; i++) {
      writeNode(tree, i * nodeBytes, recordSize, recordValue(this.resolvedChild(order[i], 0, collapsed)), recordValue(this.resolvedChild(order[i], 1, collapsed)))
    }
    const metadata = new DataEncoder()
    metadata.writeMetadata({
      nodeCount: kept,
      recordSize,
      databaseType: this.options.databaseType,
      languages: this.options.languages ?? Object.keys(this.options.description),
      buildEpoch: this.options.buildEpoch ?? Math.floor(Date.now() / 1000),
      description: this.options.description
    })
    const buffer = Buffer.concat([tree, Buffer.alloc(DATA_SECTION_SEPARATOR_SIZE), data.bytes(), METADATA_MARKER, metadata.bytes()])
    return { buffer, stats: { nodeCount: kept, recordSize, records: offsetOfContent.size, dataBytes: data.length } }
  }

  private indexOf (record: MmdbRecord): number {
    let index = this.recordIndex.get(record)
    if (index === undefined) {
      index = this.records.length
      this.records.push(record)
      this.recordIndex.set(record, index)
    }
    return index
  }

  private insertIpv4Range (start: number, end: number, leaf: number): void {
    while (start <= end) {
      // The largest block that starts at `start` (aligned) and does not pass `end`.
      const alignedBits = start === 0 ? 32 : 31 - Math.clz32((start & -start) >>> 0)
      const remaining = end - start + 1
      const fitBits = remaining === 2 ** 32 ? 32 : 31 - Math.clz32(remaining)
      const bits = Math.min(alignedBits, fitBits)
      this.address.fill(0, 0, 3)
      this.address[3] = start
      this.insertNetwork(IPV4_SUBTREE_DEPTH + 32 - bits, leaf)
      start += 2 ** bits
    }
  }

  private insertIpv6Range (start: bigint, end: bigint, leaf: number): void {
    while (start <= end) {
      const alignedBits = start === 0n ? 128 : bitLength(start & -start) - 1
      const fitBits = bitLength(end - start + 1n) - 1
      const bits = Math.min(alignedBits, fitBits)
      this.address.set([96n, 64n, 32n, 0n].map((shift) => Number((start >> shift) & 0xffffffffn)))
      this.insertNetwork(128 - bits, leaf)
      start += 1n << BigInt(bits)
    }
  }

  /** Point the network this.address/prefixLength at `leaf`, replacing whatever was inside it. */
  private insertNetwork (prefixLength: number, leaf: number): void {
    if (prefixLength === 0) {
      this.children[0] = this.children[1] = leaf
      return
    }
    const node = this.nodeAt(prefixLength - 1, true)
    this.children[2 * node + this.bitAt(prefixLength - 1)] = leaf
  }

  /**
   * The node at `depth` on this.address's path. A leaf on the way is pushed down into a
   * new node with the leaf on both sides, so the addresses around the new network keep it.
   */
  private nodeAt (depth: number, create: boolean): number {
    let node = 0
    for (let d = 0; d < depth; d++) {
      const slot = 2 * node + this.bitAt(d)
      let child = this.children[slot]
      if (child === EMPTY || (child & DATA_FLAG) !== 0) {
        if (!create) throw new Error('MmdbWriter: missing node')
        const created = this.newNode(child)
        this.children[slot] = created
        child = created
      }
      node = child
    }
    return node
  }

  private newNode (leaf: number): number {
    if (2 * this.nodeCount >= this.children.length) {
      if (this.children.length * 2 > DATA_INDEX_MASK) throw new RangeError('MmdbWriter: too many nodes')
      const grown = new Uint32Array(this.children.length * 2)
      grown.set(this.children)
      this.children = grown
    }
    const node = this.nodeCount++
    this.children[2 * node] = leaf
    this.children[2 * node + 1] = leaf
    return node
  }

  private bitAt (depth: number): number {
    return (this.address[depth >>> 5] >>> (31 - (depth & 31))) & 1
  }

  /** ::ffff:0:0/96 (IPv4-mapped) and 2002::/16 (6to4) lead to the IPv4 subtree, as in MaxMind's databases. */
  private aliasIpv4 (): void {
    this.address.fill(0)
    const ipv4Root = this.nodeAt(IPV4_SUBTREE_DEPTH, true)
    for (const [words, prefixLength] of [[[0, 0, 0xffff, 0], 96], [[0x20020000, 0, 0, 0], 16]] as const) {
      this.address.set(words)
      this.children[2 * this.nodeAt(prefixLength - 1, true) + this.bitAt(prefixLength - 1)] = ipv4Root
    }
  }

  /**
   * For each node, the leaf it can be replaced by (both halves lead to the same leaf) or
   * its own index. Merges adjacent CIDRs of one record and drops empty subtrees.
   * Memoised, as the IPv4 aliases make the tree a DAG.
   */
  private collapse (): Uint32Array {
    const collapsed = new Uint32Array(this.nodeCount).fill(UNVISITED)
    const visit = (node: number): number => {
      if (collapsed[node] !== UNVISITED) return collapsed[node]
      const left = this.children[2 * node]
      const right = this.children[2 * node + 1]
      const leftLeaf = left === EMPTY || (left & DATA_FLAG) !== 0 ? left : visit(left)
      const rightLeaf = right === EMPTY || (right & DATA_FLAG) !== 0 ? right : visit(right)
      const bothSameLeaf = leftLeaf === rightLeaf && (leftLeaf === EMPTY || (leftLeaf & DATA_FLAG) !== 0)
      collapsed[node] = node !== 0 && bothSameLeaf ? leftLeaf : node
      return collapsed[node]
    }
    visit(0)
    return collapsed
  }

  private resolvedChild (node: number, side: number, collapsed: Uint32Array): number {
    const child = this.children[2 * node + side]
    return child === EMPTY || (child & DATA_FLAG) !== 0 ? child : collapsed[child]
  }
}

function bitLength (value: bigint): number {
  const hex = value.toString(16)
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)))
}

function writeNode (tree: Buffer, offset: number, recordSize: 24 | 28, left: number, right: number): void {
  if (recordSize === 24) {
    tree.writeUIntBE(left, offset, 3)
    tree.writeUIntBE(right, offset + 3, 3)
    return
  }
  // 28 bits: the middle byte holds the top nibble of each record (left's high, right's low).
  tree.writeUIntBE(left & 0xffffff, offset, 3)
  tree[offset + 3] = ((left >>> 20) & 0xf0) | ((right >>> 24) & 0x0f)
  tree.writeUIntBE(right & 0xffffff, offset + 4, 3)
}

interface Metadata {
  nodeCount: number
  recordSize: number
  databaseType: string
  languages: string[]
  buildEpoch: number
  description: Record<string, string>
}

/** The spec's data-type encoding into a growing buffer. Repeated strings become pointers. */
class DataEncoder {
  private buffer = Buffer.alloc(64 * 1024)
  length = 0
  private readonly stringOffsets = new Map<string, number>()

  bytes (): Buffer {
    return this.buffer.subarray(0, this.length)
  }

  writeRecord (record: MmdbRecord): void {
    const entries = Object.entries(record)
    this.writeHeader(TYPE_MAP, entries.length)
    for (const [key, value] of entries) {
      this.writeString(key, true)
      if (typeof value === 'string') this.writeString(value, true)
      else this.writeUint(TYPE_UINT32, value)
    }
  }

  /** No pointers here: in the metadata they would be relative to the metadata's start. */
  writeMetadata (m: Metadata): void {
    this.writeHeader(TYPE_MAP, 9)
    this.writeString('node_count', false)
    this.writeUint(TYPE_UINT32, m.nodeCount)
    this.writeString('record_size', false)
    this.writeUint(TYPE_UINT16, m.recordSize)
    this.writeString('ip_version', false)
    this.writeUint(TYPE_UINT16, 6)
    this.writeString('database_type', false)
    this.writeString(m.databaseType, false)
    this.writeString('languages', false)
    this.writeHeader(TYPE_ARRAY, m.languages.length)
    for (const language of m.languages) this.writeString(language, false)
    this.writeString('binary_format_major_version', false)
    this.writeUint(TYPE_UINT16, 2)
    this.writeString('binary_format_minor_version', false)
    this.writeUint(TYPE_UINT16, 0)
    this.writeString('build_epoch', false)
    this.writeUint(TYPE_UINT64, m.buildEpoch)
    this.writeString('description', false)
    const descriptions = Object.entries(m.description)
    this.writeHeader(TYPE_MAP, descriptions.length)
    for (const [language, text] of descriptions) {
      this.writeString(language, false)
      this.writeString(text, false)
    }
  }

  private writeString (text: string, deduplicate: boolean): void {
    const size = Buffer.byteLength(text)
    const previous = deduplicate ? this.stringOffsets.get(text) : undefined
    if (previous !== undefined && pointerSize(previous) < headerSize(size) + size) {
      this.writePointer(previous)
      return
    }
    if (deduplicate) this.stringOffsets.set(text, this.length)
    this.writeHeader(TYPE_STRING, size)
    this.reserve(size)
    this.length += this.buffer.write(text, this.length, 'utf8')
  }

  /** Unsigned integers in as few big-endian bytes as hold the value (0 takes none). */
  private writeUint (type: number, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0 || (type === TYPE_UINT32 && value > 0xffffffff) || (type === TYPE_UINT16 && value > 0xffff)) {
      throw new RangeError(`MmdbWriter: ${value} is not an unsigned ${type === TYPE_UINT16 ? 16 : type === TYPE_UINT32 ? 32 : 64}-bit integer`)
    }
    let size = 0
    for (let v = value; v > 0; v = Math.floor(v / 256)) size++
    this.writeHeader(type, size)
    this.reserve(size)
    for (let i = size - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) this.buffer[this.length + i] = v % 256
    this.length += size
  }

  /** Control byte(s): type in the top 3 bits (0 + an extra byte for extended types), then the size. */
  private writeHeader (type: number, size: number): void {
    this.reserve(6)
    const extended = type > 7
    const typeBits = (extended ? 0 : type) << 5
    let sizeBits: number
    let sizeBytes: number[]
    if (size < 29) [sizeBits, sizeBytes] = [size, []]
    else if (size < 285) [sizeBits, sizeBytes] = [29, [size - 29]]
    else if (size < 65821) [sizeBits, sizeBytes] = [30, [(size - 285) >>> 8, (size - 285) & 0xff]]
    else if (size < 65821 + 2 ** 24) [sizeBits, sizeBytes] = [31, [(size - 65821) >>> 16, ((size - 65821) >>> 8) & 0xff, (size - 65821) & 0xff]]
    else throw new RangeError(`MmdbWriter: field of ${size} bytes is too large`)
    this.buffer[this.length++] = typeBits | sizeBits
    if (extended) this.buffer[this.length++] = type - 7
    for (const byte of sizeBytes) this.buffer[this.length++] = byte
  }

  /** 001SSVVV: SS picks 11, 19 (+2048), 27 (+526336) or 32-bit offsets from the data section's start. */
  private writePointer (offset: number): void {
    this.reserve(5)
    const b = this.buffer
    if (offset < 2048) {
      b[this.length++] = (TYPE_POINTER << 5) | (offset >>> 8)
      b[this.length++] = offset & 0xff
    } else if (offset < 526336) {
      const v = offset - 2048
      b[this.length++] = (TYPE_POINTER << 5) | (1 << 3) | (v >>> 16)
      b.writeUInt16BE(v & 0xffff, this.length)
      this.length += 2
    } else if (offset < 134744064) {
      const v = offset - 526336
      b[this.length++] = (TYPE_POINTER << 5) | (2 << 3) | (v >>> 24)
      b.writeUIntBE(v & 0xffffff, this.length, 3)
      this.length += 3
    } else {
      b[this.length++] = (TYPE_POINTER << 5) | (3 << 3)
      b.writeUInt32BE(offset, this.length)
      this.length += 4
    }
  }

  private reserve (bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return
    const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes))
    this.buffer.copy(grown, 0, 0, this.length)
    this.buffer = grown
  }
}

function headerSize (size: number): number {
  return size < 29 ? 1 : size < 285 ? 2 : size < 65821 ? 3 : 4
}

function pointerSize (offset: number): number {
  return offset < 2048 ? 2 : offset < 526336 ? 3 : offset < 134744064 ? 4 : 5
}
