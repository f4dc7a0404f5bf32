import type { Logger } from '../contract.js'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

function stamp (d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ')
}

export interface StderrLogger extends Logger {
  level: LogLevel
  /** Called before each line is written (the progress display clears its line). */
  beforeWrite?: () => void
  /** Called after each line is written (the progress display draws its line again). */
  afterWrite?: () => void
}

/** Lines in the original tool's style on stderr: `[2024-10-24 21:07:05 INFO peers] message` (UTC). */
export function createLogger (level: LogLevel = 'info', write: (line: string) => void = (l) => { process.stderr.write(l) }): StderrLogger {
  const logger: StderrLogger = {
    level,
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m)
  }
  function emit (l: LogLevel, msg: string): void {
    if (RANK[l] < RANK[logger.level]) return
    logger.beforeWrite?.()
    write(`[${stamp(new Date())} ${l.toUpperCase()} peers] ${msg}\n`)
    logger.afterWrite?.()
  }
  return logger
}

