// A small set of error classes with stable codes (in the manner of undici). The CLI
// (src/cli/base-command.ts) prints `peers: [CODE] message` on one line on stderr, and exits
// 2 for PEERS_USAGE and 1 otherwise; other errors print `peers: message` (their first lines)
// and no stack trace reaches the user unless PEERS_DEBUG=1.

export type PeersErrorCode =
  | 'PEERS_USAGE' // bad flag, argument or input given by the user
  | 'PEERS_STORE_CORRUPT' // the store file cannot be parsed or has an unknown schema
  | 'PEERS_STORE_LOCKED' // another process holds the store
  | 'PEERS_STORE_IO' // the store cannot be read or written
  | 'PEERS_ASN_DB' // the ASN database is missing or unreadable
  | 'PEERS_GEO_DB' // the geo (country) database is missing or unreadable
  | 'PEERS_OUTPUT_IO' // an output file (export, report) cannot be written
  | 'PEERS_NOT_IMPLEMENTED' // a declared part of an adapter has no implementation yet
  | 'PEERS_DIAL_FORBIDDEN' // a dial outside the allowed ranges was attempted
  | 'PEERS_DECODE' // a peer sent bytes that do not decode (wire codec)
  | 'PEERS_PROTOCOL' // a peer broke the protocol (wrong network, bad order, self-connection)
  | 'PEERS_INTERNAL'

export class PeersError extends Error {
  readonly code: PeersErrorCode
  constructor (code: PeersErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

export class UsageError extends PeersError {
  constructor (message: string) { super('PEERS_USAGE', message) }
}

export class StoreError extends PeersError {
  constructor (code: 'PEERS_STORE_CORRUPT' | 'PEERS_STORE_LOCKED' | 'PEERS_STORE_IO', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

export class AsnDatabaseError extends PeersError {
  constructor (message: string, options?: { cause?: unknown }) { super('PEERS_ASN_DB', message, options) }
}

export class GeoDatabaseError extends PeersError {
  constructor (message: string, options?: { cause?: unknown }) { super('PEERS_GEO_DB', message, options) }
}

export class OutputError extends PeersError {
  constructor (message: string, options?: { cause?: unknown }) { super('PEERS_OUTPUT_IO', message, options) }
}

export class NotImplementedError extends PeersError {
  constructor (message: string) { super('PEERS_NOT_IMPLEMENTED', message) }
}

export class DialForbiddenError extends PeersError {
  constructor (message: string) { super('PEERS_DIAL_FORBIDDEN', message) }
}

/**
 * A peer's bytes did not decode. `reason` is a stable sub-code for tests and logs
 * (e.g. 'bad-magic', 'bad-checksum', 'oversized-payload', 'truncated', 'too-many-entries').
 * `fatal` says whether the session must end (wrong magic, oversized payload) or only the
 * message is dropped (bad checksum, malformed payload).
 */
export class DecodeError extends PeersError {
  readonly reason: string
  readonly fatal: boolean
  constructor (reason: string, message: string, fatal = false) {
    super('PEERS_DECODE', message)
    this.reason = reason
    this.fatal = fatal
  }
}

export class ProtocolError extends PeersError {
  readonly reason: string
  constructor (reason: string, message: string) {
    super('PEERS_PROTOCOL', message)
    this.reason = reason
  }
}

/** One line for the user: `[CODE] message`, never a stack. */
export function describeError (err: unknown): string {
  if (err instanceof PeersError) return `${err.message} [${err.code}]`
  if (err instanceof Error) return err.message.split('\n')[0]
  return String(err)
}
