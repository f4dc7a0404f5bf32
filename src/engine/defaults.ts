// Chain-neutral engine defaults (docs/design.md §1.3). Phase timeouts are the adapter's
// (`Adapter.defaults`); overlay floors are in lanes.ts. The README's "Scheduling" section
// justifies each value; the benchmark (test/bench, docs/bench.md) is where they get checked.
import type { FailureReason, SessionLimits } from '../contract.js'

/**
 * `--concurrency auto`: sessions at once, from the effective open-file limit (limits.ts). Every
 * session is one socket, and a session mostly waits (a dead address holds its slot for the whole
 * connect timeout), so the crawl is fastest when every known address can be in flight at once:
 * slots are file descriptors, not CPU. This many descriptors stay free for the store, the
 * export, DNS and Node itself.
 */
export const FD_RESERVE = 256
/** …and at most this many sessions, whatever the limit, so memory stays bounded (the bench's mainnet-sized scenario measures it). */
export const AUTO_CONCURRENCY_MAX = 16_384
/** When /proc/self/limits cannot be read (not Linux): Node has raised the soft limit, but to what is unknown. */
export const FALLBACK_CONCURRENCY = 1000

export const DEFAULT_LIMITS: SessionLimits = {
  // The largest message a crawler needs is an address answer (under 600 KB for Bitcoin's
  // largest). 1 MiB per incomplete message bounds 1000 hostile peers to ~1 GB.
  maxBufferedBytes: 1 << 20,
  // An address answer holds at most ~1000 entries; gossip and self-announcements add a few more.
  maxAddresses: 2500,
  // All phases plus slack: no clearnet socket outlives a minute (raised to fit longer phases).
  maxSessionMs: 60000
}
/** Without an explicit maxSessionMs, the cap is at least the phase timeouts together plus this. */
export const SESSION_SLACK_MS = 10000

/** Retries after a transient failure; one catches a node whose inbound slots were briefly full. */
export const DEFAULT_RETRIES = 1
/** The first retry waits this long, each later one twice as long: a full node needs time to free a slot. */
export const DEFAULT_RETRY_BACKOFF_MS = 5000
/**
 * Failures worth another try: the node accepted, then closed or reset (Core closes an inbound
 * connection when its slots are full). A refusal, a wrong network or a protocol error will
 * repeat, and so will a timeout: most gossiped addresses never answer, and a silent peer stays
 * silent (docs/design.md §1.2). A retry never pushes back the end of a finite crawl: it runs
 * only while other work is still in flight or queued, otherwise it is dropped and counted.
 */
export const TRANSIENT_FAILURES: ReadonlySet<FailureReason> = new Set(['reset', 'closed'])

/** Endpoints held in total (~150 MB at the cap); beyond it the least promising never-reached ones are evicted. */
export const DEFAULT_MAX_ENDPOINTS = 1_000_000

/** Continuous mode: how often a reachable peer is visited again (liveness; its address answer is cached for ~a day). */
export const DEFAULT_REVISIT_MS = 10 * 60_000
/** Continuous mode: how often an endpoint that failed (retries spent) is tried again. */
export const DEFAULT_RETRY_MS = 60 * 60_000

/** After stop(), in-flight sessions get this long before their AbortSignal fires. */
export const DEFAULT_GRACE_MS = 2000

/**
 * New sessions started per event-loop turn, at most. Starting thousands in one turn blocks the
 * loop for seconds on a busy machine; the first sessions' phase timers then fire before their
 * connects and refusals are read (measured: 154 of 4,000 live or refusing addresses timed out
 * when 6,050 started at once). 256 connects take a few ms.
 */
export const DIAL_BATCH = 256

/** While the event loop lags more than this (median over about a second), new dials are throttled (docs/design.md §1.5)… */
export const LAG_BACKOFF_MS = 100
/**
 * …if this process got less than this share of a core meanwhile: the machine is busy with
 * others. Our own CPU-bound work (share near 1) is not throttled: on the 2,000-node network of
 * #11 the crawl is CPU-bound while it maps, and throttling its own lag held dials back
 * 0.1–0.8 s and put off the map by as much (mapped after 3.0–4.7 s throttled, 2.7–3.2 s not).
 */
export const LAG_CPU_SHARE = 0.75
/**
 * …to this many per LAG_RECHECK_MS (2,560 a second). A throttle, not a stop: measured on the
 * 2,000-node network under load average 22, a hard stop beyond 64 open sessions held dials back
 * 8.1 s of a 22 s crawl, because 2,000 black-holed dials (no CPU, just a timer) filled the floor.
 */
export const LAG_DIALS = 128
export const LAG_RECHECK_MS = 50

/** Dial order (docs/design.md §1.4): an advertised timestamp at most this old is fresh. */
export const FRESH_ADVERTISEMENT_S = 3 * 3600
/** …and so is an address advertised by at least this many sessions. */
export const FRESH_ADVERTISERS = 2
/** Repeated advertisements are summed per endpoint and reported ('advertised') this often (src/engine/advertisements.ts). */
export const ADVERTISED_FLUSH_MS = 1000
/** Core's addrman: a timestamp more than 10 minutes in the future counts as 5 days ago. */
export const FUTURE_SLACK_S = 600
export const FUTURE_PENALTY_S = 5 * 86400

/** Eviction at --max-endpoints: endpoints sampled per newcomer to find the least promising. */
export const EVICTION_SAMPLE = 32
