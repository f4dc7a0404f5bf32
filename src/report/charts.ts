// Charts as SVG strings, drawn on the server by Apache ECharts (server-side rendering: no
// browser, no JavaScript in the page). The page stays light: each chart is a few kB of SVG
// and none of the library's ~1 MB of JavaScript reaches the file.
import { createRequire } from 'node:module'
import type * as EChartsModule from 'echarts'

// The single-file build (the package's `require` entry) loads several times faster than the
// ES modules' hundreds of files, which matters for a command that should finish in a second.
const echarts = createRequire(import.meta.url)('echarts') as typeof EChartsModule

export const CHART_WIDTH = 640
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
const TEXT = '#1f2937'
const MUTED = '#6b7280'
export const ACCENT = '#2563eb'

function render (option: EChartsModule.EChartsOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption({ animation: false, useUTC: true, textStyle: { fontFamily: FONT, color: TEXT }, ...option })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

const axisName = (name: string): Record<string, unknown> => ({ name, nameLocation: 'middle', nameTextStyle: { color: MUTED, fontSize: 12 } })

/** Horizontal bars, first category on top; `valueName` names the value axis with its unit. */
export function horizontalBars (categories: string[], values: number[], options: { valueName: string, width?: number, color?: string, labelWidth?: number }): string {
  const width = options.width ?? CHART_WIDTH
  const height = 60 + categories.length * 24
  const labelWidth = options.labelWidth ?? 220
  // Explicit margins, and truncation well inside them: server-side rendering measures text only
  // roughly (no fonts), so containLabel and exact widths can cut labels in a browser.
  return render({
    grid: { left: labelWidth + 14, right: 64, top: 8, bottom: 44 },
    xAxis: { type: 'value', ...axisName(options.valueName), nameGap: 28, minInterval: 1, axisLabel: { color: MUTED, hideOverlap: true } },
    yAxis: { type: 'category', inverse: true, data: categories, axisTick: { show: false }, axisLabel: { width: Math.round(labelWidth * 0.8), overflow: 'truncate', color: TEXT } },
    series: [{ type: 'bar', data: values, barMaxWidth: 18, itemStyle: { color: options.color ?? ACCENT }, label: { show: true, position: 'right', color: MUTED, fontSize: 11 } }]
  }, width, height)
}

/** Vertical bars over ordered categories (a histogram). */
export function columns (categories: string[], values: number[], options: { categoryName: string, valueName: string, width?: number, color?: string }): string {
  return render({
    grid: { left: 76, right: 16, top: 24, bottom: 64 },
    xAxis: { type: 'category', data: categories, ...axisName(options.categoryName), nameGap: 44, axisTick: { alignWithLabel: true }, axisLabel: { color: TEXT, interval: 0, fontSize: 11 } },
    yAxis: { type: 'value', ...axisName(options.valueName), nameGap: 56, minInterval: 1, axisLabel: { color: MUTED } },
    series: [{ type: 'bar', data: values, barMaxWidth: 48, itemStyle: { color: options.color ?? ACCENT }, label: { show: true, position: 'top', color: MUTED, fontSize: 11 } }]
  }, options.width ?? CHART_WIDTH, 300)
}

/** Cumulative share of peers against the number of groups, with the 50 % line and the point where it is reached. */
export function concentrationCurve (curve: number[], half: number | null, options: { groupName: string, width?: number }): string {
  const points = curve.map((share, i) => [i + 1, Math.round(share * 10) / 10])
  const marks: Array<Record<string, unknown>> = [{ yAxis: 50, label: { formatter: 'half of the peers', position: 'insideEndTop', color: MUTED }, lineStyle: { color: '#dc2626', type: 'dashed' } }]
  if (half !== null) marks.push({ xAxis: half, label: { formatter: `${half} ${options.groupName}`, position: 'end', color: '#dc2626' }, lineStyle: { color: '#dc2626', type: 'dashed' } })
  return render({
    grid: { left: 64, right: 32, top: 28, bottom: 52 },
    xAxis: { type: curve.length > 60 ? 'log' : 'value', min: 1, max: Math.max(1, curve.length), ...axisName(`number of ${options.groupName}, largest first${curve.length > 60 ? ' (log scale)' : ''}`), nameGap: 30, axisLabel: { color: MUTED } },
    yAxis: { type: 'value', min: 0, max: 100, ...axisName('% of reachable peers (cumulative)'), nameGap: 40, axisLabel: { color: MUTED } },
    series: [{ type: 'line', data: points, showSymbol: false, lineStyle: { color: ACCENT, width: 2 }, areaStyle: { color: 'rgba(37,99,235,0.08)' }, markLine: { symbol: 'none', silent: true, data: marks } }]
  }, options.width ?? CHART_WIDTH, 300)
}

/** A value per point in time (runs). */
export function timeLine (series: Array<{ name: string, points: Array<[string, number]>, color: string }>, options: { valueName: string, width?: number }): string {
  return render({
    grid: { left: 76, right: 24, top: 36, bottom: 52 },
    legend: { top: 0, textStyle: { color: TEXT } },
    xAxis: { type: 'time', ...axisName('run end (UTC)'), nameGap: 30, axisLabel: { color: MUTED, hideOverlap: true } },
    yAxis: { type: 'value', ...axisName(options.valueName), nameGap: 56, minInterval: 1, axisLabel: { color: MUTED } },
    series: series.map((s) => ({ type: 'line', name: s.name, data: s.points, showSymbol: s.points.length < 40, lineStyle: { color: s.color, width: 2 }, itemStyle: { color: s.color } }))
  }, options.width ?? CHART_WIDTH, 300)
}

/** Several values per ordered category, side by side (joins and leaves per run). */
export function groupedColumns (categories: string[], series: Array<{ name: string, values: number[], color: string }>, options: { categoryName: string, valueName: string, width?: number }): string {
  return render({
    grid: { left: 76, right: 16, top: 36, bottom: 64 },
    legend: { top: 0, textStyle: { color: TEXT } },
    xAxis: { type: 'category', data: categories, ...axisName(options.categoryName), nameGap: 44, axisTick: { alignWithLabel: true }, axisLabel: { color: TEXT, fontSize: 11, hideOverlap: true } },
    yAxis: { type: 'value', ...axisName(options.valueName), nameGap: 56, minInterval: 1, axisLabel: { color: MUTED } },
    series: series.map((s) => ({ type: 'bar', name: s.name, data: s.values, barMaxWidth: 24, itemStyle: { color: s.color }, label: { show: categories.length <= 8, position: 'top', color: MUTED, fontSize: 10 } }))
  }, options.width ?? CHART_WIDTH, 300)
}
