// Runs a node child process of the benchmark (the crawler, an in-process scenario) to its exit.
import { spawn } from 'node:child_process'

/** `node <args>` in `cwd`; resolves with its stdout, or rejects with the last lines of its stderr. */
export async function runNode (args: readonly string[], options: { cwd: string, env: NodeJS.ProcessEnv, what: string }): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`${options.what} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`)
  return stdout
}
