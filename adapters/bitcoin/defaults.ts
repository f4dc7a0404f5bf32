// The Bitcoin adapter's phase timeouts on clearnet (docs/design.md §1.1, §1.3). The reasoning
// for each value is in the README's "Timeouts" section; the engine adds overlay floors.
import type { AdapterDefaults } from '../../src/contract.js'

export const BITCOIN_DEFAULTS: AdapterDefaults = {
  timeouts: {
    // Core's own nConnectTimeout is 5 s: one round trip plus a SYN retransmit or two.
    connectMs: 5000,
    handshakeMs: 10000,
    // Until #10 lands: the old value. Why 35 s: Bitcoin Core before v22 sent its getaddr answer
    // on the addr trickle timer (exponential, mean 30 s; net_processing.cpp,
    // AVG_ADDRESS_BROADCAST_INTERVAL), so most answers arrived within 35 s.
    askPeersMs: 35000
  }
  // Limits: the engine's (src/engine/defaults.ts) fit Bitcoin. An addr/addrv2 answer is at most
  // 1000 entries (MAX_ADDR_TO_SEND); 1000 addrv2 entries are < 600 KB even with 512-byte
  // addresses, well under the 1 MiB buffer cap.
}
