// Runs one in-process scenario in a fresh process (so its memory is its own) and prints its
// figures as JSON on stdout. argv: `frontier <endpoints> <advertisementsPerEndpoint>` or
// `store <endpoints>` (needs test/bench/store-bench.ts, written by the store's engineer).
import { benchFrontier } from './frontier-bench.js'

/** What the bench reads of store-bench's figures; the rest is kept in the JSON as it comes. */
export interface StoreBenchFigures {
  loadMs: number
  checkpointMs: number
  /** Longest event-loop block during the checkpoint. */
  maxBlockedMs: number
  bytes: number
  rssMb: number
}

async function main (): Promise<unknown> {
  const [kind, ...numbers] = process.argv.slice(2)
  const [endpoints, advertisementsPerEndpoint] = numbers.map(Number)
  if (kind === 'frontier') return await benchFrontier({ endpoints, advertisementsPerEndpoint })
  if (kind === 'store') {
    // Not a static import: the bench builds and runs before store-bench.ts exists.
    const storeBench = new URL('./store-bench.js', import.meta.url).href
    const { benchStore } = await import(storeBench) as { benchStore: (o: { endpoints: number }) => Promise<StoreBenchFigures> }
    return await benchStore({ endpoints })
  }
  throw new Error(`unknown in-process scenario '${kind}'`)
}

process.stdout.write(JSON.stringify(await main()) + '\n')
