// Long fuzzing of the Bitcoin wire codec (test/bitcoin/fuzz-codec.ts) and session state
// machine (test/fuzz/session-fuzz.ts), alternating chunks until the time is up.
//   npm run fuzz -- --seconds 600 --seed 42
//   npm run fuzz -- --replay session:<seed>:<case>      (one session case, as a failure names it)
//   npm run fuzz -- --replay codec:<seed>:<iterations>  (a codec chunk up to the failing iteration)
// Chunk k runs with seed deriveSeed(seed, k): the same --seed gives the same sequence.
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { deriveSeed } from '../adapters/bitcoin/simnet/random.js'
import { fuzzCodec } from '../test/bitcoin/fuzz-codec.js'
import { emptyStats, fuzzSession, runSessionCase } from '../test/fuzz/session-fuzz.js'

const SESSION_CASES_PER_CHUNK = 2000
const CODEC_ITERATIONS_PER_CHUNK = 2000

function usage (message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: fuzz [--seconds N] [--seed N] | --replay session:<seed>:<case> | --replay codec:<seed>:<iterations>\n`)
  process.exit(2)
}

function integer (text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 0) usage(`--${name} '${text}' is not a whole number >= 0`)
  return n
}

const { values } = parseArgs({ options: { seconds: { type: 'string' }, seed: { type: 'string' }, replay: { type: 'string' } } })

if (values.replay !== undefined) {
  const m = /^(session|codec):(\d+):(\d+)$/.exec(values.replay)
  if (m === null) usage(`--replay '${values.replay}' is not session:<seed>:<case> or codec:<seed>:<iterations>`)
  const [, what, seed, n] = m
  if (what === 'session') console.log(JSON.stringify(runSessionCase(Number(seed), Number(n))))
  else console.log(JSON.stringify(fuzzCodec(Number(n), Number(seed))))
  process.exit(0)
}

const seconds = integer(values.seconds, 'seconds', 60)
const seed = integer(values.seed, 'seed', Date.now() % 0x100000000)
const deadline = performance.now() + seconds * 1000
const sessions = emptyStats()
let codecIterations = 0
let chunk = 0
console.log(`fuzzing for ${seconds} s from seed ${seed}`)
try {
  while (performance.now() < deadline) {
    const chunkSeed = deriveSeed(seed, chunk)
    try {
      fuzzCodec(CODEC_ITERATIONS_PER_CHUNK, chunkSeed)
    } catch (err) {
      const at = /iteration (\d+)/.exec((err as Error).message)?.[1]
      throw new Error(`${(err as Error).message}\nreproduce: npm run fuzz -- --replay codec:${chunkSeed}:${at === undefined ? CODEC_ITERATIONS_PER_CHUNK : Number(at) + 1}`)
    }
    codecIterations += CODEC_ITERATIONS_PER_CHUNK
    // A session failure's message already names its replay (seed and case).
    fuzzSession(SESSION_CASES_PER_CHUNK, chunkSeed, sessions)
    chunk++
  }
} catch (err) {
  console.log(`FAILED after ${codecIterations} codec iterations and ${sessions.cases} session cases`)
  console.log((err as Error).message)
  const replay = /runSessionCase\((\d+), (\d+)\)/.exec((err as Error).message)
  if (replay !== null) console.log(`reproduce: npm run fuzz -- --replay session:${replay[1]}:${replay[2]}`)
  process.exit(1)
}
console.log(`ok: ${codecIterations} codec iterations, ${sessions.cases} session cases (${sessions.steps} steps), ${chunk} chunks`)
console.log(`session outcomes: ${JSON.stringify(sessions.outcomes)}`)
console.log(`largest parser buffer: ${sessions.maxBuffered} bytes`)
