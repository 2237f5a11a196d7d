// A small dotenv reader for `--env-file` / `--secret-file`: `KEY=value` lines, optional `export`,
// `#` comments, single quotes (literal), double quotes (with \n, \t, \", \\ escapes, may span
// lines), and unquoted values with trailing ` # comments`.

export interface DotenvResult {
  values: Record<string, string>
  /** 1-based line numbers with text that is not an assignment. */
  badLines: number[]
}

const KEY_RE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/

export function parseDotenv(text: string): DotenvResult {
  const values: Record<string, string> = {}
  const badLines: number[] = []
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (/^\s*(#|$)/.test(line)) continue
    const m = KEY_RE.exec(line)
    if (!m) {
      badLines.push(i + 1)
      continue
    }
    const key = m[1]!
    let rest = line.slice(m[0].length)
    const quote = rest[0]
    if (quote === "'" || quote === '"') {
      // Gather lines until the closing quote (values may span lines).
      let body = rest.slice(1)
      let end = findClosing(body, quote)
      while (end < 0 && i + 1 < lines.length) {
        i++
        body += `\n${lines[i]}`
        end = findClosing(body, quote)
      }
      if (end < 0) {
        badLines.push(i + 1)
        continue
      }
      const raw = body.slice(0, end)
      values[key] = quote === '"' ? unescape(raw) : raw
      continue
    }
    const hash = rest.search(/\s#/)
    if (hash >= 0) rest = rest.slice(0, hash)
    values[key] = rest.trim()
  }
  return { values, badLines }
}

function findClosing(s: string, quote: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && quote === '"') {
      i++
      continue
    }
    if (s[i] === quote) return i
  }
  return -1
}

function unescape(s: string): string {
  return s.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
}
