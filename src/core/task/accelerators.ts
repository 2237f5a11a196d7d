// The `accelerators` field: `H100`, `H100:8`, `V100:0.5`, `{A100: 1}`, a list of alternatives in
// preference order, a set (`{L4:1, A100:1}`, i.e. a mapping with null values) of unordered
// alternatives, and GPU-by-memory specs (`80GB+`, `nvidia:48GB:2`).
import { describe, isMap } from './issues'
import { formatNumber, type Parsed } from './scalars'
import type { Accelerator } from './types'

const MEMORY_RE = /^(\d+(?:\.\d+)?)([GgMmTt][Bb])(\+?)$/
const EXAMPLE = 'e.g. A100:8'

/** One accelerator spec string → Accelerator. */
export function parseAcceleratorSpec(raw: string): Parsed<Accelerator> {
  const s = raw.trim()
  if (s === '') return { ok: false, error: `must name an accelerator, ${EXAMPLE}` }
  const parts = s.split(':').map((p) => p.trim())
  // GPU-by-memory forms.
  const memIdx = parts.findIndex((p) => MEMORY_RE.test(p))
  if (memIdx >= 0 && parts.length <= 3) {
    let manufacturer: string | undefined
    let countStr: string | undefined
    if (parts.length === 3 && memIdx === 1) [manufacturer, , countStr] = parts
    else if (parts.length === 2 && memIdx === 0) countStr = parts[1]
    else if (parts.length === 2 && memIdx === 1) manufacturer = parts[0]
    else if (parts.length !== 1) return { ok: false, error: `must be [manufacturer:]MEMORY[+][:count], e.g. nvidia:80GB+:2` }
    const m = MEMORY_RE.exec(parts[memIdx]!)!
    const unit = m[2]!.toLowerCase()
    const gb = Number(m[1]) * (unit === 'tb' ? 1024 : unit === 'mb' ? 1 / 1024 : 1)
    const count = countStr === undefined ? 1 : parseCount(countStr)
    if (count === undefined) return { ok: false, error: `count must be a positive number, e.g. 80GB+:8` }
    if (manufacturer === '') return { ok: false, error: 'manufacturer must not be empty, e.g. nvidia:80GB+' }
    const name = manufacturer ? `${manufacturer}:${parts[memIdx]}` : parts[memIdx]!
    const byMemory: Accelerator['byMemory'] = { memoryGb: gb, orMore: m[3] === '+' }
    if (manufacturer) byMemory.manufacturer = manufacturer.toLowerCase()
    return { ok: true, value: { name, count, byMemory } }
  }
  if (parts.length > 2) return { ok: false, error: `must be NAME or NAME:COUNT, ${EXAMPLE}` }
  const name = parts[0]!
  if (name === '') return { ok: false, error: `must name an accelerator before ':', ${EXAMPLE}` }
  if (/[,{}[\]'"]/.test(name)) return { ok: false, error: `'${name}' is not an accelerator name; give one NAME[:COUNT], ${EXAMPLE}` }
  if (parts.length === 1) return { ok: true, value: { name, count: 1 } }
  const count = parseCount(parts[1]!)
  if (count === undefined) {
    return { ok: false, error: `count must be a ${/^-?\d/.test(parts[1]!) ? 'positive ' : ''}number, ${EXAMPLE}` }
  }
  return { ok: true, value: { name, count } }
}

function parseCount(s: string): number | undefined {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(s)) return undefined
  const n = Number(s)
  return n > 0 && Number.isFinite(n) ? n : undefined
}

export interface AcceleratorChoice {
  /** The alternatives, deduplicated. Empty when the field is unset. */
  options: Accelerator[]
  /** list = ordered preference; set = unordered (cheapest wins); single = one accelerator. */
  kind: 'single' | 'list' | 'set'
}

export type AccelProblem = { error: string; value: unknown }

/**
 * Parse the value of `accelerators` (or `gpus`). `allowMany` is false inside any_of/ordered
 * entries, where only a single accelerator is allowed.
 */
export function parseAcceleratorsField(value: unknown, allowMany: boolean): { choice: AcceleratorChoice; problems: AccelProblem[] } {
  const problems: AccelProblem[] = []
  const options: Accelerator[] = []
  let kind: AcceleratorChoice['kind'] = 'single'
  const addSpec = (spec: string, shown: unknown) => {
    const r = parseAcceleratorSpec(spec)
    if (!r.ok) problems.push({ error: `${describe(shown)} — ${r.error}`, value: shown })
    else if (!options.some((o) => o.name === r.value.name && o.count === r.value.count)) options.push(r.value)
  }
  if (value === null || value === undefined) return { choice: { options, kind }, problems }
  if (typeof value === 'string') {
    const s = value.trim()
    // `{'A100:1', 'V100:1'}` / `[A100, V100]` written as a single string (e.g. from the CLI).
    const braced = /^\{(.*)\}$/s.exec(s) ?? /^\[(.*)\]$/s.exec(s)
    if (braced) {
      kind = s.startsWith('{') ? 'set' : 'list'
      for (const item of braced[1]!.split(',')) addSpec(item.trim().replace(/^['"]|['"]$/g, ''), item.trim())
    } else addSpec(s, value)
  } else if (Array.isArray(value)) {
    kind = 'list'
    value.forEach((item) => {
      if (typeof item === 'string') addSpec(item, item)
      // `- T4: 1` / `- V100:` (null count = 1): one-key mappings keep their place in the order.
      else if (isMap(item) && Object.keys(item).length > 0) addMapEntries(item, addSpec, problems)
      else problems.push({ error: `${describe(item)} — list items must be strings like 'A100:8' or mappings like {A100: 8}`, value: item })
    })
  } else if (isMap(value)) {
    kind = 'set'
    addMapEntries(value, addSpec, problems)
  } else {
    problems.push({ error: `${describe(value)} — must be a string like 'A100:8', a mapping like {A100: 8}, or a list of alternatives`, value })
  }
  if (options.length <= 1) kind = 'single'
  if (!allowMany && options.length > 1) {
    problems.push({ error: `${describe(value)} — only one accelerator is allowed here; list alternatives as separate entries`, value })
  }
  return { choice: { options, kind }, problems }
}

/** `{A100: 8, L4: null}` entries → specs (`A100:8`, `L4`), in key order. */
function addMapEntries(map: Record<string, unknown>, addSpec: (spec: string, shown: unknown) => void, problems: AccelProblem[]): void {
  for (const [name, count] of Object.entries(map)) {
    if (count === null || count === undefined) addSpec(name, name)
    else if (typeof count === 'number' && Number.isFinite(count)) {
      if (count > 0) addSpec(`${name}:${formatNumber(count)}`, { [name]: count })
      else problems.push({ error: `${describe({ [name]: count })} — count must be a positive number, ${EXAMPLE}`, value: count })
    } else problems.push({ error: `${describe({ [name]: count })} — count must be a number, e.g. {A100: 8}`, value: count })
  }
}

/** `A100:8`, `V100:0.5`, `nvidia:80GB+:2`. */
export function acceleratorToString(a: Accelerator): string {
  return `${a.name}:${formatNumber(a.count)}`
}
