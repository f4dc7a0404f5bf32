// The Bitcoin adapter's phase timeouts on clearnet (docs/design.md §1.1, §1.3). The README's
// "Defaults, and why" section gives the reasoning with sources; the engine adds overlay floors.
// The floor every value must keep: a slow honest peer that sends its version after 3 s and
// answers getaddr after 5 s is still found.
import type { AdapterDefaults } from '../../src/contract.js'

export const BITCOIN_DEFAULTS: AdapterDefaults = {
  timeouts: {
    // A SYN-ACK takes one round trip; Linux resends a lost SYN after 1 s (RFC 6298's initial
    // RTO), so 3.5 s covers one lost SYN at round trips up to 2.5 s. Core's nConnectTimeout
    // (DEFAULT_CONNECT_TIMEOUT) is 5 s, but a crawler waits this out for every dead address,
    // and the last dead address learned sets when a crawl can end.
    connectMs: 3500,
    // The floor's slow peer sends its version 3 s after it accepted, and it reaches us one round
    // trip later: 3.5 s finds it across round trips up to about 450 ms (intercontinental paths
    // are 150-300 ms). Core itself waits 60 s (-peertimeout), but a crawler waits this out for
    // every silent peer, and the last silent peer learned sets when a crawl can end.
    handshakeMs: 3500,
    // Current Core (v22+) and bcoin answer at once, so this wait ends early for them. Only old
    // Core (answer on the exponential trickle, mean AVG_ADDRESS_BROADCAST_INTERVAL = 30 s:
    // 63% arrive within 30 s) and mute nodes wait it out; 30 s is 6x the slow peer's 5 s.
    askPeersMs: 30000
  }
  // Limits: the engine's (src/engine/defaults.ts) fit Bitcoin. An addr/addrv2 answer is at most
  // 1000 entries (MAX_ADDR_TO_SEND); 1000 addrv2 entries are < 600 KB even with 512-byte
  // addresses, well under the 1 MiB buffer cap.
}
