// Reading and writing task YAML the way SkyPilot users expect. SkyPilot reads YAML with PyYAML
// (YAML 1.1): `yes`/`no`/`on`/`off` are booleans, `0755` is octal, `8:30` is sexagesimal, merge
// keys work and duplicate keys silently take the last value. We mirror that, except that dates
// stay strings and `y`/`n` stay strings (PyYAML does not treat them as booleans either).
import {
  type CreateNodeOptions,
  type DocumentOptions,
  isMap as isYamlMap,
  isScalar,
  parseAllDocuments,
  type ParseOptions,
  type SchemaOptions,
  stringify,
  type ToStringOptions,
  visit,
} from 'yaml'
import { type Issues } from './issues'

type Tag = { tag: string; test?: RegExp; [k: string]: unknown }

const TRUE_RE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/
const FALSE_RE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/
// PyYAML's implicit number patterns: a float needs a digit next to its dot and a signed exponent;
// decimal ints have no leading zero (those are octal).
const INT_RE = /^[-+]?(?:0|[1-9][0-9_]*)$/
const INT_TIME_RE = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/
const FLOAT_RE = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|[-+]?\.[0-9_]+)$/
const FLOAT_EXP_RE = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|[-+]?\.[0-9_]+)[eE][-+][0-9]+$/

function pyyamlTags(tags: unknown[]): unknown[] {
  const out: unknown[] = []
  for (const t of tags as Tag[]) {
    if (t.tag === 'tag:yaml.org,2002:timestamp') continue
    if (t.tag === 'tag:yaml.org,2002:bool' && t.test) {
      const truthy = t.test.test('true')
      out.push({ ...t, test: truthy ? TRUE_RE : FALSE_RE, resolve: () => truthy })
    } else if (t.tag === 'tag:yaml.org,2002:int' && t.test && (t.format === undefined || t.format === 'TIME')) {
      out.push({ ...t, test: t.format === 'TIME' ? INT_TIME_RE : INT_RE })
    } else if (t.tag === 'tag:yaml.org,2002:float' && t.test && t.format !== 'TIME' && !t.test.source.includes('inf')) {
      out.push({ ...t, test: t.format === 'EXP' ? FLOAT_EXP_RE : FLOAT_RE })
    } else out.push(t)
  }
  return out
}

const OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  uniqueKeys: false,
  logLevel: 'error',
  customTags: pyyamlTags as SchemaOptions['customTags'],
}

/** One YAML document: its plain value plus the original text of scalar env/secret values. */
export interface LoadedDoc {
  value: unknown
  /** section ('envs' | 'secrets') → key → source text of a non-string scalar value. */
  scalarText: Record<string, Map<string, string>>
}

/**
 * Parse (possibly multi-document) YAML text. Syntax errors become issues at `where`; the returned
 * list is empty then. Never throws.
 */
export function loadYamlDocuments(text: string, issues: Issues, where: string): LoadedDoc[] {
  if (typeof text !== 'string') {
    issues.add(where, `expected YAML text, got ${typeof text}`)
    return []
  }
  let docs
  try {
    docs = parseAllDocuments(text, OPTIONS)
  } catch (e) {
    issues.add(where, `not valid YAML: ${firstLine(e)}`)
    return []
  }
  // parseAllDocuments returns an EmptyStream (array-like, length 0) for empty input.
  const list = Array.isArray(docs) ? docs : []
  const out: LoadedDoc[] = []
  let failed = false
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors.slice(0, 3)) {
        const pos = err.linePos?.[0]
        const at = pos ? ` (line ${pos.line}, column ${pos.col})` : ''
        issues.add(where, `not valid YAML${at}: ${firstLine(err)}`)
      }
      failed = true
      continue
    }
    if (text.includes('__proto__') && hasProtoKey(doc)) {
      issues.add(where, "'__proto__' cannot be used as a key")
      failed = true
      continue
    }
    let value: unknown
    try {
      value = normalize(doc.toJS({ maxAliasCount: 1000 }), 0)
    } catch (e) {
      issues.add(where, `could not read YAML: ${firstLine(e)}`)
      failed = true
      continue
    }
    out.push({ value, scalarText: { envs: scalarSources(doc, 'envs'), secrets: scalarSources(doc, 'secrets') } })
  }
  return failed ? [] : out
}

function hasProtoKey(doc: Parameters<typeof visit>[0]): boolean {
  let found = false
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '__proto__') {
        found = true
        return visit.BREAK
      }
    },
  })
  return found
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return msg.split('\n')[0]!.trim()
}

/** Map JS values YAML tags can produce (Set, Map, bytes) onto plain JSON-like data. */
function normalize(v: unknown, depth: number): unknown {
  if (depth > 200) return null
  if (v === null || v === undefined) return null
  if (Array.isArray(v)) return v.map((x) => normalize(x, depth + 1))
  if (v instanceof Set) {
    const o: Record<string, unknown> = {}
    for (const k of v) o[String(k)] = null
    return o
  }
  if (v instanceof Map) {
    const o: Record<string, unknown> = {}
    for (const [k, x] of v) o[String(k)] = normalize(x, depth + 1)
    return o
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64')
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = normalize(x, depth + 1)
    return o
  }
  return v
}

function scalarSources(doc: { get(key: unknown, keepScalar?: boolean): unknown }, section: string): Map<string, string> {
  const out = new Map<string, string>()
  let node: unknown
  try {
    node = doc.get(section, true)
  } catch {
    return out
  }
  if (!isYamlMap(node)) return out
  for (const item of node.items) {
    const key = item.key
    const val = item.value
    if (!isScalar(key) || !isScalar(val)) continue
    if (typeof val.value === 'string' || val.value === null) continue
    const src = (val as { source?: unknown }).source
    if (typeof src === 'string') out.set(String(key.value), src)
  }
  return out
}

const DUMP_OPTIONS: DocumentOptions & SchemaOptions & ToStringOptions & CreateNodeOptions = {
  ...OPTIONS,
  lineWidth: 0,
  blockQuote: 'literal',
  aliasDuplicateObjects: false,
}

/** Render one value as a YAML document (ambiguous strings such as 'yes' or '1.10' get quoted). */
export function dumpYaml(value: unknown): string {
  return stringify(value, DUMP_OPTIONS)
}
