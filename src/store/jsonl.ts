// Line files, read by streaming: no file is ever read as one string (Node's strings end at
// 512 MiB), and the event loop turns between chunks.
import { createReadStream } from 'node:fs'

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
  let carry = ''
  const stream = createReadStream(path, { highWaterMark: 1 << 20, encoding: 'utf8' })
  try {
    // The stream decodes UTF-8 across chunk boundaries; split() is the fastest line splitter V8 has.
    for await (const chunk of stream as AsyncIterable<string>) {
      const parts = (carry + chunk).split('\n')
      carry = parts.pop() ?? ''
      for (const line of parts) {
        lines++
        if (line.length > 0) onLine(line)
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: 0, completeBytes: 0, tornBytes: 0, exists: false }
    throw err
  }
  const tornBytes = Buffer.byteLength(carry)
  return { lines, completeBytes: stream.bytesRead - tornBytes, tornBytes, exists: true }
}
