// src/cli/simulation-flags.ts: an adapter's simulation flags, parsed for that adapter only.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Adapter, NetworkSimulation, SimulationFlag } from '../src/contract.js'
import { UsageError } from '../src/errors.js'
import { parseSimulationFlags, simulationFlags } from '../src/cli/simulation-flags.js'

const FLAGS: Record<string, SimulationFlag> = {
  nodes: { type: 'number', summary: 'n', integer: true, min: 1, required: true },
  delay: { type: 'number', summary: 'd', integer: true, min: 0, default: 5 },
  mode: { type: 'string', summary: 'm', options: ['a', 'b'], default: 'a' },
  onion: { type: 'boolean', summary: 'o' }
}
const fake = (name: string, flags: Record<string, SimulationFlag>): Adapter =>
  ({ name, simulation: { network: { flags } as unknown as NetworkSimulation } }) as unknown as Adapter

test('flags of every adapter, under its help group; values with defaults; foreign, missing and bad flags refused', () => {
  const one = fake('one', FLAGS)
  const two = fake('two', { socks: { type: 'string', summary: 's' } })
  const all = simulationFlags([one, two, fake('none', {})])
  assert.deepEqual(Object.keys(all).sort(), ['delay', 'mode', 'nodes', 'onion', 'socks'])
  assert.equal(all.nodes.helpGroup, 'ONE')
  assert.equal(all.socks.helpGroup, 'TWO')
  const names = Object.keys(all)
  assert.deepEqual(parseSimulationFlags(one, FLAGS, names, { nodes: '3' }), { nodes: 3, delay: 5, mode: 'a', onion: false })
  assert.deepEqual(parseSimulationFlags(one, FLAGS, names, { nodes: '3', delay: '0', mode: 'b', onion: true }), { nodes: 3, delay: 0, mode: 'b', onion: true })
  const refuses = (given: Record<string, unknown>, message: RegExp): void => {
    assert.throws(() => parseSimulationFlags(one, FLAGS, names, given), (err: unknown) => err instanceof UsageError && message.test(err.message), JSON.stringify(given))
  }
  refuses({ nodes: '3', socks: '127.0.0.1:9050' }, /^--socks is not a flag of the one simulation$/)
  refuses({}, /^--nodes is required by the one simulation$/)
  refuses({ nodes: '0' }, /^--nodes '0' is not valid: expected an integer >= 1$/)
  refuses({ nodes: '2', mode: 'c' }, /^--mode 'c' is not valid: expected one of a, b$/)
})
