// The world map by country: world-atlas' 110m country shapes (Natural Earth, public domain)
// projected with d3-geo into one SVG on the server. Countries too small for that scale
// (Singapore, Hong Kong, Malta, …) have no shape: the caller lists them beside the map.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { geoEqualEarth, geoPath } from 'd3-geo'
import { feature } from 'topojson-client'
import type { Topology, GeometryCollection } from 'topojson-specification'
import { alpha2OfNumeric, countryName } from '../geo/countries.js'
import { escapeHtml } from './escape.js'

const WIDTH = 960
const HEIGHT = 470
/** Sequential blues, light to dark (ColorBrewer "Blues", 7 classes). */
const RAMP = ['#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#084594']
export const NO_PEERS_FILL = '#eef0f3'

interface Shape { code: string | undefined, name: string, d: string }

let shapes: Shape[] | undefined

/** The projected shapes, computed once per process (about 100 ms). */
function worldShapes (): Shape[] {
  if (shapes !== undefined) return shapes
  const file = createRequire(import.meta.url).resolve('world-atlas/countries-110m.json')
  const topology = JSON.parse(readFileSync(file, 'utf8')) as Topology<{ countries: GeometryCollection<{ name: string }> }>
  const countries = feature(topology, topology.objects.countries)
  const projection = geoEqualEarth().fitExtent([[4, 4], [WIDTH - 4, HEIGHT - 4]], countries)
  const path = geoPath(projection).digits(1)
  shapes = countries.features
    .filter((f) => f.properties.name !== 'Antarctica')
    .map((f) => {
      const id = f.id === undefined ? undefined : String(f.id)
      // Kosovo has no ISO numeric code; databases use XK for it.
      const code = id === undefined ? (f.properties.name === 'Kosovo' ? 'XK' : undefined) : alpha2OfNumeric(id)
      return { code, name: f.properties.name, d: path(f) ?? '' }
    })
  return shapes
}

/** Codes of the countries the map can shade. */
export function mappedCountries (): Set<string> {
  return new Set(worldShapes().map((s) => s.code).filter((c): c is string => c !== undefined))
}

/** Class of a count on a log scale up to `max`, 0..RAMP.length-1. */
function colourOf (count: number, max: number): string {
  if (max <= 1) return RAMP[RAMP.length - 1]
  const t = Math.log(count) / Math.log(max)
  return RAMP[Math.min(RAMP.length - 1, Math.floor(t * RAMP.length))]
}

/** The map SVG and its legend; every shape carries data-country and data-peers. */
export function worldMap (counts: ReadonlyMap<string, number>): { svg: string, legend: string } {
  let max = 0
  for (const c of counts.values()) if (c > max) max = c
  const paths = worldShapes().map((s) => {
    const count = s.code === undefined ? 0 : counts.get(s.code) ?? 0
    const fill = count > 0 ? colourOf(count, max) : NO_PEERS_FILL
    const label = `${s.code === undefined ? s.name : countryName(s.code)}: ${count} peer${count === 1 ? '' : 's'}`
    return `<path d="${s.d}" fill="${fill}" data-country="${s.code ?? ''}" data-peers="${count}"><title>${escapeHtml(label)}</title></path>`
  })
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Reachable peers by country" class="map"><g stroke="#ffffff" stroke-width="0.5">${paths.join('')}</g></svg>`
  // Legend: the lower bound of each class on the same log scale.
  const steps = max <= 1 ? [1] : RAMP.map((_, i) => Math.max(1, Math.ceil(Math.exp((i / RAMP.length) * Math.log(max)))))
  const legend = steps.map((lo, i) => `<span class="swatch" style="background:${max <= 1 ? RAMP[RAMP.length - 1] : RAMP[i]}"></span>≥ ${lo}`).join(' ')
  return { svg, legend: `<span class="swatch" style="background:${NO_PEERS_FILL}"></span>0 ${legend}` }
}
