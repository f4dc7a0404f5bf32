// Line files, read by streaming: no file is ever read as one string (Node's strings end at
// 512 MiB), and the event loop turns between chunks.
import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

export interface LineScan {
  /** Complete lines seen (ending in '\n'). */
  lines: number
  /** Byte offset just past the last complete line: where a torn tail begins. */
  completeBytes: number
  /** Bytes after the last '\n' (a write cut short), 0 when the file ends with a newline. */
  tornBytes: number
}

/**
 * Calls `onLine` for every complete line (without its '\n'); a last line without '\n' is a
 * torn write and is not passed on. A missing file scans as empty.
 */
export async function forEachLine (path: string, onLine: (line: string) => void): Promise<LineScan & { exists: boolean }> {
  let lines = 0
  let completeBytes = 0
  let carry: Buffer = Buffer.alloc(0)
  const decoder = new StringDecoder('utf8')
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      const lastNewline = chunk.lastIndexOf(10)
      if (lastNewline < 0) {
        carry = carry.length === 0 ? chunk : Buffer.concat([carry, chunk])
        continue
      }
      const head = carry.length === 0 ? chunk.subarray(0, lastNewline) : Buffer.concat([carry, chunk.subarray(0, lastNewline)])
      carry = chunk.subarray(lastNewline + 1)
      completeBytes += head.length + 1
      const text = decoder.write(head)
      let start = 0
      for (;;) {
        const end = text.indexOf('\n', start)
        const line = end < 0 ? text.slice(start) : text.slice(start, end)
        lines++
        if (line.length > 0) onLine(line)
        if (end < 0) break
        start = end + 1
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: 0, completeBytes: 0, tornBytes: 0, exists: false }
    throw err
  }
  return { lines, completeBytes, tornBytes: carry.length, exists: true }
}
