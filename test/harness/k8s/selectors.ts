// Label selectors (`app=x,tier!=db,env in (a,b),!legacy,gpu`) and field selectors
// (`metadata.name=x,status.phase!=Running`) with the apiserver's parse errors.
import { badRequest } from './status'

export type LabelOp = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<'
export interface LabelRequirement {
  key: string
  op: LabelOp
  values: string[]
}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/

/** Split on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out.map((x) => x.trim()).filter(Boolean)
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key) || key.length > 316) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`)
  return key
}
function checkValue(v: string, whole: string): string {
  if (!VALUE.test(v) || v.length > 63) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in selector "${whole}"`)
  return v
}

export function parseLabelSelector(s: string | null | undefined): LabelRequirement[] {
  if (!s) return []
  const reqs: LabelRequirement[] = []
  for (const part of splitTop(s)) {
    let m: RegExpExecArray | null
    if ((m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part))) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim(), s))
      reqs.push({ key: checkKey(m[1]!, s), op: m[2] as LabelOp, values })
    } else if ((m = /^!\s*(\S+)$/.exec(part))) {
      reqs.push({ key: checkKey(m[1]!, s), op: '!', values: [] })
    } else if ((m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(part))) {
      const op = (m[2] === '==' ? '=' : m[2]) as LabelOp
      if ((op === '>' || op === '<') && !/^-?\d+$/.test(m[3]!)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`)
      reqs.push({ key: checkKey(m[1]!, s), op, values: [checkValue(m[3]!, s)] })
    } else if (/^\S+$/.test(part)) {
      reqs.push({ key: checkKey(part, s), op: 'exists', values: [] })
    } else {
      throw badRequest(`unable to parse requirement: found '${part}', expected: identifier`)
    }
  }
  return reqs
}

export function labelsMatch(labels: Record<string, string> | undefined, reqs: LabelRequirement[]): boolean {
  const l = labels ?? {}
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key)
    const v = l[r.key]
    switch (r.op) {
      case '=':
        return has && v === r.values[0]
      case '!=':
        return !has || v !== r.values[0]
      case 'in':
        return has && r.values.includes(v!)
      case 'notin':
        return !has || !r.values.includes(v!)
      case 'exists':
        return has
      case '!':
        return !has
      case '>':
        return has && /^-?\d+$/.test(v!) && Number(v) > Number(r.values[0])
      case '<':
        return has && /^-?\d+$/.test(v!) && Number(v) < Number(r.values[0])
    }
  })
}

export interface FieldRequirement {
  field: string
  op: '=' | '!='
  value: string
}

/** Parse a field selector and check every field is one the resource supports. */
export function parseFieldSelector(s: string | null | undefined, supported: readonly string[]): FieldRequirement[] {
  if (!s) return []
  return splitTop(s).map((part) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part)
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`)
    const field = m[1]!.trim()
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`)
    return { field, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() }
  })
}

/** Read a dotted path ("status.phase", "involvedObject.name") from an object, as a string. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj
  for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined
  if (cur === undefined || cur === null) return ''
  return String(cur)
}

export const fieldsMatch = (obj: unknown, reqs: FieldRequirement[]): boolean =>
  reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='))
