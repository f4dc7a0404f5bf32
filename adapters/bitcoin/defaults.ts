// The Bitcoin adapter's phase timeouts on clearnet (docs/design.md §1.1, §1.3). The reasoning
// for each value is in the README's "Timeouts" section; the engine adds overlay floors.
import type { AdapterDefaults } from '../../src/contract.js'

export const BITCOIN_DEFAULTS: AdapterDefaults = {
  timeouts: {
    // Core's own nConnectTimeout is 5 s: one round trip plus a SYN retransmit or two.
    connectMs: 5000,
    handshakeMs: 10000,
    // Until #10 lands: the old value.
    askPeersMs: 35000
  }
}
