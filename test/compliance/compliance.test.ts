// Every adapter in the registry runs the same compliance suite (suite.ts).
import { adapters } from '../../adapters/index.js'
import { adapterCompliance } from './suite.js'

// The runner sets this; set it again so running this file on its own cannot reach the network.
process.env.PEERS_LOOPBACK_ONLY = '1'

for (const adapter of adapters) adapterCompliance(adapter)
