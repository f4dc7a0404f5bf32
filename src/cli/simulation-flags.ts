// `peers simnet ADAPTER` takes the flags the adapter's network simulation declares
// (contract: SimulationFlag). oclif needs every flag before it knows the adapter, so the
// command declares the union of all adapters' flags, each under its adapter's help group,
// and parseSimulationFlags then checks the given ones against the chosen adapter's specs.
import { Flags, type Interfaces } from '@oclif/core'
import type { Adapter, SimulationFlag, SimulationFlagValues } from '../contract.js'
import { UsageError } from '../errors.js'
import { parseNumberFlags } from './number-flags.js'

type OclifFlag = Interfaces.OptionFlag<string | undefined> | Interfaces.BooleanFlag<unknown>

/** oclif flags for every adapter's simulation flags. No oclif defaults or required: those depend on the adapter. */
export function simulationFlags (adapters: readonly Adapter[]): Record<string, OclifFlag> {
  const out: Record<string, OclifFlag> = {}
  for (const adapter of adapters) {
    const sim = adapter.simulation.network
    if (sim === undefined) continue
    for (const [name, spec] of Object.entries(sim.flags)) {
      if (out[name] !== undefined) continue // shared by two adapters: one flag, each adapter parses it its way
      const summary = `${spec.summary}${defaultNote(spec)}`
      const helpGroup = adapter.name.toUpperCase()
      out[name] = spec.type === 'boolean'
        ? Flags.boolean({ summary, helpGroup, allowNo: false })
        : Flags.string({ summary, helpGroup, helpValue: spec.type === 'number' ? (spec.integer ? '<integer>' : '<number>') : spec.options?.join('|') })
    }
  }
  return out
}

function defaultNote (spec: SimulationFlag): string {
  if (spec.type === 'boolean') return ''
  if (spec.required === true) return ' Required.'
  return spec.default === undefined ? '' : ` Default: ${spec.default}.`
}

/**
 * The values of `adapter`'s simulation flags, defaults applied. A flag given that belongs to
 * another adapter's simulation, a missing required one or a bad value is a UsageError.
 */
export function parseSimulationFlags (adapter: Adapter, specs: Readonly<Record<string, SimulationFlag>>, all: readonly string[], given: Record<string, unknown>): SimulationFlagValues {
  for (const name of all) {
    if (given[name] !== undefined && specs[name] === undefined) throw new UsageError(`--${name} is not a flag of the ${adapter.name} simulation`)
  }
  const values: Record<string, number | string | boolean | undefined> = {}
  const numberSpecs = Object.fromEntries(Object.entries(specs).flatMap(([name, spec]) => spec.type === 'number' ? [[name, spec]] : []))
  Object.assign(values, parseNumberFlags(numberSpecs, given as Record<string, string | undefined>))
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.type === 'boolean') {
      values[name] = given[name] === true
      continue
    }
    if (spec.type === 'string') {
      const text = given[name] as string | undefined
      if (text !== undefined && spec.options !== undefined && !spec.options.includes(text)) {
        throw new UsageError(`--${name} '${text}' is not valid: expected one of ${spec.options.join(', ')}`)
      }
      values[name] = text
    }
    if (values[name] === undefined) {
      if (spec.required === true) throw new UsageError(`--${name} is required by the ${adapter.name} simulation`)
      values[name] = spec.default
    }
  }
  return values
}
