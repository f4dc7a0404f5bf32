import { Command, Flags, Errors } from '@oclif/core'
import { PeersError } from '../errors.js'
import { LOG_LEVELS, createLogger, type StderrLogger } from './log.js'

/**
 * Every command: `--json` (oclif's: the value run() returns is printed as JSON on stdout),
 * `--log-level`, `--quiet`. Any error becomes one line on stderr and a non-zero exit
 * (2 for usage, 1 otherwise); no stack trace reaches the user (PEERS_DEBUG=1 shows it).
 */
export abstract class PeersCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    'log-level': Flags.option({ options: LOG_LEVELS, default: 'info' as const, helpGroup: 'GLOBAL', summary: 'Least severe log line written to stderr.' })(),
    quiet: Flags.boolean({ default: false, helpGroup: 'GLOBAL', summary: 'No log lines and no progress display (errors still go to stderr).' })
  }

  protected makeLogger (flags: { 'log-level': typeof LOG_LEVELS[number], quiet: boolean }): StderrLogger {
    return createLogger(flags.quiet ? 'error' : flags['log-level'])
  }

  protected override async catch (err: Error & { exitCode?: number, oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err
    if (process.env.PEERS_DEBUG === '1') process.stderr.write(`${err.stack ?? err}\n`)
    const usage = (err instanceof PeersError && err.code === 'PEERS_USAGE') || err.oclif?.exit === 2 || /^(Nonexistent flag|Unexpected argument|Expected|Missing|Parsing)/.test(err.message ?? '')
    const code = err instanceof PeersError ? `[${err.code}] ` : ''
    const line = err instanceof PeersError ? err.message : oneLine(err.message ?? String(err))
    process.stderr.write(`peers: ${code}${line}\n`)
    process.exitCode = usage ? 2 : 1
    this.exit(process.exitCode)
  }
}

/** oclif's parse errors span lines ('Parsing --limit', the reason, notes, a help hint): the first two, as one line. */
function oneLine (message: string): string {
  const hints = /^(See more help with --help|Note: |Alternatively, )/
  return message.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !hints.test(l)).join(' ')
    .replace(/^Parsing (--\S+) (?=\S)/, '$1: ').replace(/\s{2,}/g, ' ')
}
