// Paging for list endpoints: `limit` (1..MAX_PAGE, default per route) and an opaque `cursor`;
// a response that has more carries the next cursor in the X-Sky-Next-Cursor header. No list
// endpoint returns more than MAX_PAGE items at once.
import { ValidationError } from '../core/errors'

export const MAX_PAGE = 1000
export const HEADER_NEXT_CURSOR = 'x-sky-next-cursor'

/** A whole number from a query parameter in [min, max]; `def` when absent. */
export function intParam(raw: string | undefined, name: string, o: { min: number; max: number; def: number }): number {
  if (raw === undefined || raw === '') return o.def
  const n = Number(raw)
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < o.min || n > o.max) {
    throw new ValidationError([{ path: name, message: `must be a whole number from ${o.min} to ${o.max}`, value: raw.slice(0, 40) }])
  }
  return n
}

export function pageLimit(raw: string | undefined, def = 100, max = MAX_PAGE): number {
  return intParam(raw, 'limit', { min: 1, max, def })
}

export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url')
}

/** The parts of a cursor this server made, checked against `shape` ('s' string, 'n' number). */
export function decodeCursor(raw: string | undefined, shape: ('s' | 'n')[]): (string | number)[] | undefined {
  if (!raw) return undefined
  let parts: unknown
  try {
    parts = raw.length <= 512 ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : undefined
  } catch {}
  if (!Array.isArray(parts) || parts.length !== shape.length || !parts.every((p, i) => (shape[i] === 's' ? typeof p === 'string' : Number.isFinite(p)))) {
    throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this server returned (X-Sky-Next-Cursor)' }])
  }
  return parts as (string | number)[]
}

/** Slice an in-memory list sorted by `key` after the cursor; sets the next cursor header. */
export function pageByKey<T>(items: T[], key: (x: T) => string, cursor: string | undefined, limit: number, headers: Record<string, unknown>): T[] {
  const after = decodeCursor(cursor, ['s'])?.[0] as string | undefined
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
  const start = after === undefined ? 0 : sorted.findIndex((x) => key(x) > after)
  const page = start < 0 ? [] : sorted.slice(start, start + limit)
  if (start >= 0 && start + limit < sorted.length) headers[HEADER_NEXT_CURSOR] = encodeCursor([key(page[page.length - 1]!)])
  return page
}
