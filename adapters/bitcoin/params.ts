// Bitcoin network parameters and protocol limits, as Bitcoin Core defines them
// (src/kernel/chainparams.cpp, src/node/protocol_version.h, src/net.h, src/protocol.h).
import type { Endpoint, Network } from '../../src/contract.js'
import { MAINNET_FIXED_SEEDS, SIGNET_FIXED_SEEDS, TESTNET4_FIXED_SEEDS } from './seeds.js'

export interface BitcoinNetworkParams extends Network {
  /** The 4 message-start bytes in wire order. */
  magic: Uint8Array
  dnsSeeds: readonly string[]
  fixedSeeds: readonly Endpoint[]
}

/** The version we announce (wtxidrelay and sendaddrv2 need 70016). */
export const PROTOCOL_VERSION = 70016
/** Peers below this are obsolete; Core disconnects them. */
export const MIN_PEER_PROTO_VERSION = 31800
/** MAX_PROTOCOL_MESSAGE_LENGTH: a larger payload length in a header ends the connection. */
export const MAX_PAYLOAD = 4_000_000
/** MAX_ADDR_TO_SEND: more entries in one addr/addrv2 message is misbehaviour. */
export const MAX_ADDR_ENTRIES = 1000
/** MAX_ADDRV2_SIZE: longest address an addrv2 entry may carry. */
export const MAX_ADDRV2_ADDR_BYTES = 512
/** MAX_SUBVERSION_LENGTH: longest user agent in a version message. */
export const MAX_USER_AGENT = 256

export const BITCOIN_NETWORKS: readonly BitcoinNetworkParams[] = [
  {
    id: 'mainnet',
    name: 'mainnet',
    defaultPort: 8333,
    description: 'Bitcoin main network',
    magic: Uint8Array.of(0xf9, 0xbe, 0xb4, 0xd9),
    dnsSeeds: [
      'seed.bitcoin.sipa.be',
      'dnsseed.bluematt.me',
      'seed.bitcoin.jonasschnelli.ch',
      'seed.btc.petertodd.net',
      'seed.bitcoin.sprovoost.nl',
      'dnsseed.emzy.de',
      'seed.bitcoin.wiz.biz',
      'seed.mainnet.achownodes.xyz'
    ],
    fixedSeeds: MAINNET_FIXED_SEEDS
  },
  {
    id: 'testnet3',
    name: 'testnet3',
    defaultPort: 18333,
    description: 'Bitcoin test network version 3 (legacy)',
    magic: Uint8Array.of(0x0b, 0x11, 0x09, 0x07),
    dnsSeeds: [
      'testnet-seed.bitcoin.jonasschnelli.ch',
      'seed.tbtc.petertodd.net',
      'seed.testnet.bitcoin.sprovoost.nl',
      'testnet-seed.bluematt.me',
      'seed.testnet.achownodes.xyz'
    ],
    // No fixed seeds: see seeds.ts. DNS seeds only.
    fixedSeeds: []
  },
  {
    id: 'testnet4',
    name: 'testnet4',
    defaultPort: 48333,
    description: 'Bitcoin test network version 4 (BIP94)',
    magic: Uint8Array.of(0x1c, 0x16, 0x3f, 0x28),
    dnsSeeds: ['seed.testnet4.bitcoin.sprovoost.nl', 'seed.testnet4.wiz.biz'],
    fixedSeeds: TESTNET4_FIXED_SEEDS
  },
  {
    id: 'signet',
    name: 'signet',
    defaultPort: 38333,
    description: 'Bitcoin default global signet',
    // Custom -signetchallenge networks have another magic and no seeds.
    magic: Uint8Array.of(0x0a, 0x03, 0xcf, 0x40),
    dnsSeeds: ['seed.signet.bitcoin.sprovoost.nl', 'seed.signet.achownodes.xyz'],
    fixedSeeds: SIGNET_FIXED_SEEDS
  },
  {
    id: 'regtest',
    name: 'regtest',
    defaultPort: 18444,
    description: 'Bitcoin local regression-test network',
    magic: Uint8Array.of(0xfa, 0xbf, 0xb5, 0xda),
    dnsSeeds: [],
    fixedSeeds: []
  }
]

/** Service bits a crawler sees in version messages (Core's protocol.h); bits 24-31 are experimental. */
export const SERVICE_BITS: ReadonlyArray<[bit: number, name: string]> = [
  [0, 'NETWORK'], [2, 'BLOOM'], [3, 'WITNESS'], [6, 'COMPACT_FILTERS'], [10, 'NETWORK_LIMITED'], [11, 'P2P_V2']
]

/** Names of the set service bits, unknown ones as `bit<N>`: '1033' → NETWORK, WITNESS, NETWORK_LIMITED. */
export function serviceNames (services: string): string[] {
  let bits: bigint
  try {
    bits = BigInt(services)
  } catch {
    return []
  }
  const names: string[] = []
  for (let bit = 0; bits >> BigInt(bit) !== 0n; bit++) {
    if ((bits >> BigInt(bit)) & 1n) names.push(SERVICE_BITS.find(([b]) => b === bit)?.[1] ?? `bit${bit}`)
  }
  return names
}
