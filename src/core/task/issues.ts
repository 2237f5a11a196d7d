// Collecting validation problems while walking user YAML. Every check adds a FieldIssue (dotted
// path, message, offending value) instead of throwing, so one run reports every problem at once;
// the caller throws a single ValidationError at the end.
import { type FieldIssue, ValidationError } from '../errors'

export type Json = Record<string, unknown>

export class Issues {
  readonly list: FieldIssue[] = []

  add(path: string, message: string, value?: unknown): void {
    const issue: FieldIssue = { path: path || 'task', message }
    if (value !== undefined) issue.value = value
    this.list.push(issue)
  }

  /** `<value> — <what is allowed>`, the common message shape. */
  bad(path: string, value: unknown, allowed: string): void {
    this.add(path, `${describe(value)} — ${allowed}`, value)
  }

  get count(): number {
    return this.list.length
  }

  /** Throw one ValidationError for everything collected (duplicates dropped). */
  throwIfAny(hint?: string): void {
    if (this.list.length === 0) return
    const seen = new Set<string>()
    const unique = this.list.filter((i) => {
      const k = `${i.path}\u0000${i.message}`
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
    throw new ValidationError(unique, hint ? { hint } : {})
  }
}

const MAX_SHOWN = 60

/** A short, quoted rendering of a user value for messages. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return `'${truncate(value.replace(/\n/g, '\\n'))}'`
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (Array.isArray(value)) return `a list ${truncate(safeJson(value))}`
  if (value instanceof Date) return `'${value.toISOString()}'`
  if (typeof value === 'object') return `a mapping ${truncate(safeJson(value))}`
  return typeof value
}

function truncate(s: string): string {
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

/** Append a key to a dotted path; keys that are not identifiers are bracket-quoted. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path ? `${path}.${key}` : key
  return `${path}['${key}']`
}

export function isMap(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

/**
 * Report keys of `obj` not in `known` (with a did-you-mean). Keys for which `allow(key)` is true
 * pass too. Returns nothing; the caller simply ignores unknown keys afterwards.
 */
export function checkKeys(
  issues: Issues,
  path: string,
  obj: Json,
  known: readonly string[],
  allow?: (key: string) => boolean,
): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key) || allow?.(key)) continue
    const guess = didYouMean(key, known)
    const hint = guess ? `did you mean '${guess}'?` : `allowed: ${known.filter((k) => !k.startsWith('_')).join(', ')}`
    issues.add(child(path, key), `unknown field; ${hint}`)
  }
}

/** The closest candidate by edit distance (or prefix), if it is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  let best: string | undefined
  let bestDist = Infinity
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase())
    if (d < bestDist) {
      bestDist = d
      best = c
    }
  }
  if (best !== undefined && bestDist <= Math.max(1, Math.floor(Math.max(w.length, best.length) / 3))) return best
  if (w.length >= 3) return candidates.find((c) => c.toLowerCase().startsWith(w) || w.startsWith(c.toLowerCase()))
  return undefined
}

/** Optimal-string-alignment distance: insert, delete, substitute, swap neighbours. */
function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length)
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  }
  return rows[a.length]![b.length]!
}

/** Drop keys whose value is undefined (keeps models comparable with toStrictEqual). */
export function compact<T extends object>(obj: T): T {
  for (const k of Object.keys(obj) as (keyof T)[]) if (obj[k] === undefined) delete obj[k]
  return obj
}
