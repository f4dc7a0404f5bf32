// A strict reader of the Prometheus text exposition format 0.0.4, written from its
// specification (prometheus.io/docs/instrumenting/exposition_formats/#text-based-format; values
// as Go's ParseFloat reads them), not
// from prom-client: every line is a HELP or TYPE comment or a sample
// `name{label="value",…} value [timestamp]`; names, label names, escapes and float values
// follow the grammar; a family's TYPE comes before its samples and only once.
export interface Sample { name: string, labels: Record<string, string>, value: number }

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*'
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"'
// Go's strconv.ParseFloat, which Prometheus uses: special values in any case (prom-client writes `Nan`).
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?(?:[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|[nN][aA][nN])'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL_NAME}=${LABEL_VALUE}(?:,${LABEL_NAME}=${LABEL_VALUE})*,?)?)\\})? (${VALUE})(?: (-?\\d+))?$`)
const HELP = new RegExp(`^# HELP (${NAME})(?: (.*))?$`)
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)
const LABEL = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g')

/** Parses the whole exposition; throws naming the first line that breaks the grammar. */
export function parseExposition (text: string): Sample[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition does not end with a line feed')
  const types = new Map<string, string>()
  const seen = new Set<string>()
  const samples: Sample[] = []
  text.split('\n').slice(0, -1).forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`
    if (line.startsWith('#')) {
      const type = TYPE.exec(line)
      if (type !== null) {
        if (types.has(type[1])) throw new Error(`${where}: a second TYPE for ${type[1]}`)
        if (seen.has(type[1])) throw new Error(`${where}: TYPE after samples of ${type[1]}`)
        types.set(type[1], type[2])
        return
      }
      if (HELP.test(line) || !/^# (HELP|TYPE) /.test(line)) return // other comments are allowed
      throw new Error(`${where}: malformed HELP or TYPE`)
    }
    if (line.trim() === '') return
    const m = SAMPLE.exec(line)
    if (m === null) throw new Error(`${where}: not a sample`)
    const family = familyOf(m[1], types)
    if (family === undefined) throw new Error(`${where}: no TYPE before the sample`)
    seen.add(family)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      if (l[1] in labels) throw new Error(`${where}: label ${l[1]} twice`)
      labels[l[1]] = JSON.parse(l[2]) as string // the three escapes (\\, \", \n) are JSON's too
    }
    samples.push({ name: m[1], labels, value: /nan/i.test(m[3]) ? NaN : /inf/i.test(m[3]) ? (m[3].startsWith('-') ? -Infinity : Infinity) : Number(m[3]) })
  })
  return samples
}

function familyOf (name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name
  const base = name.replace(/_(bucket|sum|count|total|created)$/, '')
  return types.has(base) && ['histogram', 'summary', 'counter'].includes(types.get(base) ?? '') ? base : undefined
}

/** Sum of the samples named `name` whose labels include `match`. */
export function total (samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0)
}
