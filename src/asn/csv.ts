// RFC 4180 CSV: fields may be quoted, a quoted field may hold commas, line breaks and
// doubled quotes (`"LLC ""SPUTNIK"""`). Lines end in LF or CRLF. Unquoted fields are
// taken verbatim (no trimming).

/** Calls onRow(fields, lineNumber) for each non-empty row; lineNumber is 1-based, where the row starts. */
export function parseCsv (text: string, onRow: (fields: string[], lineNumber: number) => void): void {
  let pos = 0
  let line = 1
  while (pos < text.length) {
    const rowLine = line
    const fields: string[] = []
    while (true) {
      let field: string
      if (text[pos] === '"') {
        field = ''
        pos++
        while (true) {
          const quote = text.indexOf('"', pos)
          if (quote === -1) throw new SyntaxError(`line ${rowLine}: unterminated quoted field`)
          field += text.slice(pos, quote)
          for (let i = pos; i < quote; i++) if (text.charCodeAt(i) === 10) line++
          pos = quote + 1
          if (text[pos] !== '"') break
          field += '"'
          pos++
        }
        const next = text[pos]
        if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[pos + 1] === '\n')) {
          throw new SyntaxError(`line ${rowLine}: unexpected text after a quoted field`)
        }
      } else {
        let stop = pos
        while (stop < text.length) {
          const c = text.charCodeAt(stop)
          if (c === 44 || c === 10) break // ',' or '\n'
          stop++
        }
        field = text.slice(pos, text.charCodeAt(stop - 1) === 13 && text.charCodeAt(stop) === 10 ? stop - 1 : stop)
        pos = stop
      }
      fields.push(field)
      if (text[pos] === ',') {
        pos++
        continue
      }
      if (text[pos] === '\r') pos++
      if (text[pos] === '\n') {
        pos++
        line++
      }
      break
    }
    if (fields.length > 1 || fields[0] !== '') onRow(fields, rowLine)
  }
}
