// The Bitcoin v1 wire codec: framing, the messages a crawler speaks, and their primitives.
export { CountLimitError, Reader, Writer, MAX_COMPACT_SIZE } from './codec.js'
export {
  type ServiceAddress, type NetAddress, BIP155, ADDR_V1_TYPES,
  readServiceAddress, writeServiceAddress, readAddrV1, writeAddrV1, readAddrV2, writeAddrV2
} from './address.js'
export { type VersionPayload, type BitcoinMessage, KNOWN_COMMANDS, commandName, encodePayload, decodePayload } from './messages.js'
export { type ParsedFrame, type FrameParserOptions, HEADER_BYTES, checksum, decodeCommand, encodeFrame, FrameParser } from './frame.js'
