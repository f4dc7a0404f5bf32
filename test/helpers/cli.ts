// `peers` as a user runs it: a child process of bin/dev.js (the TypeScript sources through
// tsx) with its real stdout, stderr and exit code. Every run has PEERS_LOOPBACK_ONLY=1, so
// no test's CLI can dial or resolve anything outside loopback.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DEV_ENTRY = join(REPO_ROOT, 'bin/dev.js')

export interface CliOutcome { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

export interface CliOptions {
  /** Working directory; the repository root by default. */
  cwd?: string
  /** Changes to the environment; undefined removes a variable. */
  env?: Record<string, string | undefined>
  /** Sees all of stderr so far, each time more arrives (to time signals). */
  onStderr?: (stderr: string, child: ChildProcess) => void
}

export interface CliRun {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  done: Promise<CliOutcome>
}

export function startCli (args: readonly string[], options: CliOptions = {}): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, PEERS_LOOPBACK_ONLY: '1' }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  const child = spawn(process.execPath, [DEV_ENTRY, ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    options.onStderr?.(stderr, child)
  })
  const done = new Promise<CliOutcome>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, stdout: () => stdout, stderr: () => stderr, done }
}

export function runCli (args: readonly string[], options: CliOptions = {}): Promise<CliOutcome> {
  return startCli(args, options).done
}
