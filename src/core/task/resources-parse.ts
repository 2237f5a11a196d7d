// The `resources` section → ResourcesSpec. Expands `any_of` / `ordered` entries (each a partial
// resources mapping merged over the base fields) and accelerator alternatives (list = ordered,
// set/multi-key mapping = unordered) into concrete candidates.
import { type AcceleratorChoice, parseAcceleratorsField } from './accelerators'
import { child, isMap, type Issues, type Json } from './issues'
import { checkResourceKeys, parseResourceFields } from './resources-fields'
import type { Resources, ResourcesSpec } from './types'

const SECTION_KEYS = ['any_of', 'ordered'] as const

/** Parse a task's `resources` value (null/undefined = no requirements). */
export function parseResources(value: unknown, path: string, issues: Issues): ResourcesSpec {
  const empty: ResourcesSpec = { mode: 'single', candidates: [{}] }
  if (value === null || value === undefined) return empty
  if (!isMap(value)) {
    issues.bad(path, value, 'must be a mapping of resource fields (infra, accelerators, cpus, ...)')
    return empty
  }
  checkResourceKeys(issues, path, value, SECTION_KEYS)
  const base = applyGpusAlias(value, (k) => child(path, k), issues)

  const anyOfList = listOfMaps(base.any_of, child(path, 'any_of'), issues)
  const orderedList = listOfMaps(base.ordered, child(path, 'ordered'), issues)
  if (anyOfList && orderedList) issues.add(child(path, 'ordered'), "cannot be used together with 'any_of'; pick one")
  delete base.any_of
  delete base.ordered
  // An empty list means no alternatives: the base fields alone.
  const anyOf = anyOfList && anyOfList.length > 0 ? anyOfList : undefined
  const ordered = !anyOf && orderedList && orderedList.length > 0 ? orderedList : undefined

  const baseAccel = accelerators(base.accelerators, child(path, 'accelerators'), true, issues)
  const entries = anyOf ?? ordered
  const mode: ResourcesSpec['mode'] = anyOf ? 'any_of' : 'ordered'
  if (entries && baseAccel.options.length > 1) {
    if (ordered) issues.add(child(path, 'accelerators'), "several accelerators cannot be combined with 'ordered'; list them as ordered entries instead")
    else if (baseAccel.kind === 'list') {
      issues.add(child(path, 'accelerators'), "an ordered list of accelerators cannot be combined with 'any_of'; use a set {A:1, B:1} or any_of entries")
    }
  }

  if (!entries) {
    const fields = parseResourceFields(base, (k) => child(path, k), issues)
    const candidates = expand(fields, baseAccel)
    const m: ResourcesSpec['mode'] = candidates.length <= 1 ? 'single' : baseAccel.kind === 'list' ? 'ordered' : 'any_of'
    return { mode: m, candidates }
  }

  const key = anyOf ? 'any_of' : 'ordered'
  const candidates: Resources[] = []
  entries.forEach((entry, i) => {
    const ep = child(child(path, key), i)
    checkResourceKeys(issues, ep, entry, SECTION_KEYS)
    for (const nested of SECTION_KEYS) {
      if (entry[nested] !== undefined) issues.add(child(ep, nested), `cannot be nested inside '${key}'`)
    }
    const own = applyGpusAlias(entry, (k) => child(ep, k), issues)
    delete own.any_of
    delete own.ordered
    const merged = mergeEntry(base, own)
    const pathOf = (k: string) => (k in own ? child(ep, k) : child(path, k))
    const fields = parseResourceFields(merged, pathOf, issues)
    const accel = 'accelerators' in own ? accelerators(own.accelerators, child(ep, 'accelerators'), false, issues) : baseAccel
    for (const c of expand(fields, accel)) {
      if (mode === 'any_of' && candidates.some((x) => sameJson(x, c))) continue
      candidates.push(c)
    }
  })
  return { mode, candidates }
}

/** `gpus` is an alias of `accelerators`. */
function applyGpusAlias(cfg: Json, pathOf: (k: string) => string, issues: Issues): Json {
  const out: Json = { ...cfg }
  if (out.gpus !== undefined) {
    if (out.accelerators !== undefined) issues.add(pathOf('gpus'), "is an alias of 'accelerators'; give only one of them")
    else out.accelerators = out.gpus
    delete out.gpus
  }
  return out
}

function accelerators(value: unknown, path: string, allowMany: boolean, issues: Issues): AcceleratorChoice {
  const { choice, problems } = parseAcceleratorsField(value, allowMany)
  for (const p of problems) issues.add(path, p.error, p.value)
  return choice
}

function listOfMaps(v: unknown, path: string, issues: Issues): Json[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) {
    issues.bad(path, v, 'must be a list of partial resource mappings')
    return undefined
  }
  const out: Json[] = []
  v.forEach((e, i) => {
    if (isMap(e)) out.push(e)
    else if (e === null) out.push({})
    else issues.bad(child(path, i), e, 'must be a mapping of resource fields')
  })
  return out
}

/** An entry's fields replace the base's; labels are merged (entry wins per key). */
function mergeEntry(base: Json, entry: Json): Json {
  const merged: Json = { ...base, ...entry }
  if (isMap(base.labels) && isMap(entry.labels)) merged.labels = { ...base.labels, ...entry.labels }
  return merged
}

function expand(fields: Resources, accel: AcceleratorChoice): Resources[] {
  if (accel.options.length === 0) return [fields]
  return accel.options.map((a) => ({ ...fields, accelerator: { ...a } }))
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
