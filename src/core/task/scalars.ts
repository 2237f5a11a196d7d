// Parsers for the small value formats of the task YAML: counts with `+`, sizes with units,
// durations, ports. Each returns either the parsed value or an explanation of what is allowed,
// so callers can word the FieldIssue. Pure functions, no I/O.
import type { AtLeast } from './types'

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error })

const NUMBER_RE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*$/

/** A finite number from a YAML number or a numeric string; undefined otherwise. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v === 'string' && NUMBER_RE.test(v)) return Number(v)
  return undefined
}

/** `4`, `4.5`, `"4"`, `"4+"` → AtLeast. Used for `cpus`. */
export function parseAtLeast(v: unknown): Parsed<AtLeast> {
  const allowed = "must be a positive number, optionally followed by '+' for 'at least' (e.g. 4 or 4+)"
  if (typeof v === 'number') return v > 0 && Number.isFinite(v) ? ok({ value: v, orMore: false }) : fail(allowed)
  if (typeof v !== 'string') return fail(allowed)
  const s = v.trim()
  const orMore = s.endsWith('+')
  const n = toNumber(orMore ? s.slice(0, -1) : s)
  if (n === undefined || n <= 0) return fail(allowed)
  return ok({ value: n, orMore })
}

// Size units → bytes; sizes are reported in GiB ("GB" in SkyPilot's wording).
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  ki: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mi: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gi: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  ti: 2 ** 40,
  tib: 2 ** 40,
  p: 2 ** 50,
  pb: 2 ** 50,
  pi: 2 ** 50,
  pib: 2 ** 50,
}

const SIZE_RE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*$/

/** `32`, `"32"`, `"32GB"`, `"1TB"`, `"100Gi"` → GiB. Bare numbers are already GiB. */
export function parseSizeGb(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v !== 'string') return undefined
  const m = SIZE_RE.exec(v)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = m[2]!.toLowerCase()
  if (unit === '') return n
  const bytes = SIZE_UNITS[unit]
  if (bytes === undefined) return undefined
  return (n * bytes) / 2 ** 30
}

/** `memory`: GB as number or string, optional unit, `+` (at least) or internal `x` (GB per vCPU). */
export function parseMemory(v: unknown): Parsed<AtLeast> {
  const allowed = "must be a positive size in GB, optionally with a unit and '+' for 'at least' (e.g. 16, 16+, 32GB+)"
  if (typeof v === 'number') return v > 0 && Number.isFinite(v) ? ok({ value: v, orMore: false }) : fail(allowed)
  if (typeof v !== 'string') return fail(allowed)
  const s = v.trim()
  if (/^(\d+(?:\.\d*)?|\.\d+)x$/i.test(s)) {
    const n = Number(s.slice(0, -1))
    return n > 0 ? ok({ value: n, orMore: false, perCpu: true }) : fail(allowed)
  }
  const orMore = s.endsWith('+')
  const gb = parseSizeGb(orMore ? s.slice(0, -1) : s)
  if (gb === undefined || gb <= 0) return fail(allowed)
  return ok({ value: round(gb), orMore })
}

/**
 * `disk_size` (and other disk sizes): integer GB, or a string with a unit. Like SkyPilot, a string
 * size is rounded down to whole GB (`1500MB` → 1); a bare YAML number must already be whole.
 */
export function parseDiskSize(v: unknown): Parsed<number> {
  const allowed = 'must be a whole number of GB, or a size with a unit (e.g. 256, 100GB, 1TB)'
  if (typeof v === 'boolean') return fail(allowed)
  const gb = parseSizeGb(v)
  if (gb === undefined || gb <= 0) return fail(allowed)
  const r = round(gb)
  if (typeof v === 'number') return Number.isInteger(r) ? ok(r) : fail(`${allowed}; ${r} GB is not whole`)
  const whole = Math.floor(r)
  return whole >= 1 ? ok(whole) : fail(`${allowed}; ${r} GB rounds down to 0 GB`)
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6
}

const TIME_RE = /^(\d+)([mhdw])?$/i
const MINUTES: Record<string, number> = { m: 1, h: 60, d: 24 * 60, w: 7 * 24 * 60 }

/** `30`, `"30"`, `"30m"`, `"2h"`, `"1d"`, `"1w"` → minutes. */
export function parseMinutes(v: unknown): Parsed<number> {
  const allowed = 'must be a whole number of minutes, or a duration like 30m, 2h, 1d'
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? ok(v) : fail(allowed)
  if (typeof v !== 'string') return fail(allowed)
  const m = TIME_RE.exec(v.trim())
  if (!m) return fail(allowed)
  return ok(Number(m[1]) * MINUTES[(m[2] ?? 'm').toLowerCase()]!)
}

/**
 * `ports`: an int, a `"8000-8010"` range, a comma list, or a list of those. Returns the sorted,
 * merged ranges as strings (`['80', '8000-8010']`), like SkyPilot does.
 */
export function parsePorts(v: unknown): Parsed<string[]> {
  const allowed = 'must be a port (1-65535), a range like 8000-8010, or a list of those'
  const items: unknown[] = Array.isArray(v) ? v : [v]
  const set = new Set<number>()
  for (const item of items) {
    const parts = typeof item === 'number' ? [String(item)] : typeof item === 'string' ? item.split(',') : null
    if (!parts) return fail(allowed)
    for (const raw of parts) {
      const p = raw.trim()
      if (p === '') return fail(allowed)
      const range = /^(\d+)\s*-\s*(\d+)$/.exec(p)
      if (range) {
        const from = Number(range[1])
        const to = Number(range[2])
        if (!validPort(from) || !validPort(to) || from > to) return fail(`${allowed}; '${p}' is not a valid range`)
        if (to - from > 65535) return fail(allowed)
        for (let i = from; i <= to; i++) set.add(i)
      } else if (/^\d+$/.test(p) && validPort(Number(p))) {
        set.add(Number(p))
      } else return fail(`${allowed}; '${p}' is not a valid port`)
    }
  }
  return ok(portRanges(set))
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535
}

function portRanges(set: Set<number>): string[] {
  const sorted = [...set].sort((a, b) => a - b)
  const out: string[] = []
  let i = 0
  while (i < sorted.length) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return out
}

/** A number rendered for YAML/display: integers plain, fractions without float noise. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1e6) / 1e6)
}

/** AtLeast back to its YAML form: a number when exact, a string with `+`/`x` otherwise. */
export function atLeastToYaml(a: AtLeast): number | string {
  if (a.perCpu) return `${formatNumber(a.value)}x`
  return a.orMore ? `${formatNumber(a.value)}+` : a.value
}

export function atLeastToString(a: AtLeast): string {
  return String(atLeastToYaml(a))
}
