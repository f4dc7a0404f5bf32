// Numeric flags, validated after oclif's parse: an error thrown inside an oclif flag parser
// comes out wrapped in several lines of oclif text, and a bad number should be one line.
import { Flags, type Interfaces } from '@oclif/core'
import { UsageError } from '../errors.js'

export interface NumberSpec {
  summary: string
  min: number
  max?: number
  /** Whole numbers only (counts, ms); otherwise any finite number (seconds). */
  integer: boolean
  default?: number
  required?: boolean
}

/** A spec's value: a number when it has a default or is required, else possibly absent. */
export type NumberValues<S extends Record<string, NumberSpec>> = {
  [K in keyof S]: S[K] extends { default: number } | { required: true } ? number : number | undefined
}

/** oclif string flags for the specs (parsed by parseNumberFlags). */
export function numberFlags<S extends Record<string, NumberSpec>> (specs: S): Record<keyof S, Interfaces.OptionFlag<string | undefined>> {
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, Flags.string({
    summary: spec.summary,
    default: spec.default === undefined ? undefined : String(spec.default),
    required: spec.required,
    helpValue: spec.integer ? '<integer>' : '<number>'
  })])) as Record<keyof S, Interfaces.OptionFlag<string | undefined>>
}

export function parseNumberFlags<S extends Record<string, NumberSpec>> (specs: S, flags: Partial<Record<keyof S, string | undefined>>): NumberValues<S> {
  const out: Record<string, number> = {}
  for (const [name, spec] of Object.entries(specs)) {
    const input = flags[name as keyof S]
    if (input === undefined) continue
    const value = Number(input)
    // Plain decimals only: Number() would also take '0x10', '1e3' and '  7 '.
    const ok = /^-?\d+(\.\d+)?$/.test(input) && Number.isFinite(value) && (!spec.integer || Number.isInteger(value)) &&
      value >= spec.min && (spec.max === undefined || value <= spec.max)
    if (!ok) {
      const range = spec.max === undefined ? `>= ${spec.min}` : `${spec.min}-${spec.max}`
      throw new UsageError(`--${name} '${input}' is not valid: expected ${spec.integer ? 'an integer' : 'a number'} ${range}`)
    }
    out[name] = value
  }
  return out as NumberValues<S>
}
