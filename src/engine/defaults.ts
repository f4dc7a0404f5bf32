// Engine defaults for crawling real networks. A benchmark (test/bench) is where they get tuned;
// the reasoning for each starting value is below.
import type { FailureReason, SessionLimits, SessionTimeouts } from '../contract.js'

/**
 * Sessions at once. A session mostly waits (up to ~35 s for the address answer), so throughput
 * is concurrency / session time: 1000 gives ~30 sessions/s against slow peers and finishes a
 * ~20k-address network in minutes. Each session is one socket and a few KB, and Node raises
 * the open-file soft limit to the hard limit at start, so 1000 fits an ordinary host.
 */
export const DEFAULT_CONCURRENCY = 1000

/**
 * Phase timeouts and limits for an adapter that declares none (`Adapter.defaults`). Each
 * adapter's own values, and the protocol reasons behind them, live with the adapter
 * (adapters/bitcoin/defaults.ts).
 */
export const DEFAULT_TIMEOUTS: SessionTimeouts = {
  // A SYN-ACK takes one round trip (< 1 s almost everywhere); 5 s also covers one SYN retransmit.
  connectMs: 5000,
  // Handshakes are a few small messages; busy nodes and overlay-routed ones can take several seconds.
  handshakeMs: 10000,
  // How long a peer may take to answer the request for peers.
  askPeersMs: 35000
}

export const DEFAULT_LIMITS: SessionLimits = {
  // The largest message a crawler needs is an address answer (under 600 KB for Bitcoin's
  // largest). 1 MiB per incomplete message bounds 1000 hostile peers to ~1 GB.
  maxBufferedBytes: 1 << 20,
  // An address answer holds at most ~1000 entries; gossip and self-announcements add a few more.
  maxAddresses: 2500,
  // All phases above plus slack: no socket outlives a minute.
  maxSessionMs: 60000
}
/** Without an explicit maxSessionMs, the cap is at least the phase timeouts together plus this. */
export const SESSION_SLACK_MS = 10000

/** Retries after a transient failure; one catches a lost SYN or a node whose inbound slots were briefly full. */
export const DEFAULT_RETRIES = 1
/** The first retry waits this long, each later one twice as long: a full node needs time to free a slot. */
export const DEFAULT_RETRY_BACKOFF_MS = 10000
/**
 * Failures worth another try: the node answered, but was busy (inbound slots full, a reset,
 * a slow handshake). A refusal, a wrong network or a protocol error will repeat, and so will
 * a connect timeout: most gossiped addresses never answer, and trying each twice would
 * double the largest cost of a real crawl (the benchmark's mainnet-like scenario).
 */
export const TRANSIENT_FAILURES: ReadonlySet<FailureReason> = new Set(['reset', 'closed', 'handshake-timeout'])

/** Endpoints held in total (~150 MB at the cap); more are counted as overflow and dropped. */
export const DEFAULT_MAX_ENDPOINTS = 1_000_000

/** Continuous mode: how often a reachable peer is visited again (liveness; its address answer is cached for ~a day). */
export const DEFAULT_REVISIT_MS = 10 * 60_000
/** Continuous mode: how often an endpoint that failed (retries spent) is tried again. */
export const DEFAULT_RETRY_MS = 60 * 60_000

/** After stop(), in-flight sessions get this long before their AbortSignal fires. */
export const DEFAULT_GRACE_MS = 2000
