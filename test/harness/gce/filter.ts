// The `filter` of Compute list calls: comparisons `field op value` with op one of = != : > < >= <=
// (or eq / ne with an RE2-style regular expression that must match the whole value), combined
// with AND (or juxtaposition), OR (binding tighter than AND, as in Google's filter grammar), NOT or
// a leading '-', and parentheses. Fields are dotted paths (labels.k, scheduling.provisioningModel);
// '*' in a value is a wildcard; `field:*` tests presence; a resource URL also matches its last
// segment (zone = us-central1-a).

type Node =
  | { kind: 'and' | 'or'; items: Node[] }
  | { kind: 'not'; item: Node }
  | { kind: 'cmp'; field: string; op: string; value: string }

export class FilterError extends Error {}

const OPS = ['!=', '>=', '<=', '=', ':', '>', '<']

export function parseFilter(text: string): Node {
  let i = 0
  const fail = (why: string): never => {
    throw new FilterError(`Invalid list filter expression '${text}': ${why} at position ${i}`)
  }
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++
  }
  const keyword = (k: string) => text.startsWith(k, i) && (i + k.length === text.length || /[\s(]/.test(text[i + k.length]!))
  const word = (stop: RegExp): string => {
    const start = i
    while (i < text.length && !stop.test(text[i]!)) i++
    return text.slice(start, i)
  }
  const value = (): string => {
    const q = text[i]
    if (q === '"' || q === "'") {
      const end = text.indexOf(q, i + 1)
      if (end < 0) fail('unterminated string')
      const v = text.slice(i + 1, end)
      i = end + 1
      return v
    }
    const v = word(/[\s()]/)
    if (!v) fail('missing value')
    return v
  }
  const comparison = (): Node => {
    const field = word(/[\s()=!:<>]/)
    if (!field) fail('missing field name')
    ws()
    let op = OPS.find((o) => text.startsWith(o, i))
    if (op) i += op.length
    else if (keyword('eq') || keyword('ne')) {
      op = text.slice(i, i + 2)
      i += 2
    } else fail(`expected an operator after '${field}'`)
    ws()
    return { kind: 'cmp', field, op: op!, value: value() }
  }
  const unary = (): Node => {
    ws()
    if (keyword('NOT')) {
      i += 3
      return { kind: 'not', item: unary() }
    }
    if (text[i] === '-' && /\S/.test(text[i + 1] ?? '')) {
      i++
      return { kind: 'not', item: unary() }
    }
    if (text[i] === '(') {
      i++
      const inner = and()
      ws()
      if (text[i] !== ')') fail("expected ')'")
      i++
      return inner
    }
    return comparison()
  }
  const or = (): Node => {
    const items = [unary()]
    for (;;) {
      ws()
      if (!keyword('OR')) break
      i += 2
      items.push(unary())
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items }
  }
  const and = (): Node => {
    const items = [or()]
    for (;;) {
      ws()
      if (i >= text.length || text[i] === ')') break
      if (keyword('AND')) i += 3
      items.push(or())
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items }
  }
  const tree = and()
  ws()
  if (i < text.length) fail('unexpected text')
  return tree
}

/** Leaf values at a dotted path; arrays are searched element by element. */
function leaves(obj: unknown, path: string[]): unknown[] {
  if (Array.isArray(obj)) return obj.flatMap((o) => leaves(o, path))
  if (!path.length) return obj === undefined || obj === null ? [] : [obj]
  if (typeof obj !== 'object' || obj === null) return []
  return leaves((obj as Record<string, unknown>)[path[0]!], path.slice(1))
}

function globRe(v: string): RegExp {
  return new RegExp(`^${v.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
}

function equals(leaf: string, value: string): boolean {
  const re = globRe(value)
  return re.test(leaf) || (/^https?:\/\//.test(leaf) && re.test(leaf.slice(leaf.lastIndexOf('/') + 1)))
}

function compare(leaf: string, op: string, value: string): boolean {
  const a = Number(leaf)
  const b = Number(value)
  const numeric = leaf !== '' && value !== '' && !Number.isNaN(a) && !Number.isNaN(b)
  const c = numeric ? Math.sign(a - b) : leaf < value ? -1 : leaf > value ? 1 : 0
  return op === '>' ? c > 0 : op === '<' ? c < 0 : op === '>=' ? c >= 0 : c <= 0
}

export function evalFilter(node: Node, obj: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return node.items.every((n) => evalFilter(n, obj))
    case 'or':
      return node.items.some((n) => evalFilter(n, obj))
    case 'not':
      return !evalFilter(node.item, obj)
    case 'cmp': {
      const vals = leaves(obj, node.field.split('.')).map(String)
      const { op, value } = node
      if (op === '=') return vals.some((v) => equals(v, value))
      if (op === '!=') return !vals.some((v) => equals(v, value))
      if (op === ':') return value === '*' ? vals.length > 0 : vals.some((v) => equals(v, value) || v.includes(value))
      if (op === 'eq' || op === 'ne') {
        const re = new RegExp(`^(?:${value})$`)
        const hit = vals.some((v) => re.test(v))
        return op === 'eq' ? hit : !hit
      }
      return vals.some((v) => compare(v, op, value))
    }
  }
}

/** Keep the resources matching `filter` (all of them when the filter is empty). */
export function applyFilter<T>(items: T[], filter: string | null): T[] {
  if (!filter?.trim()) return items
  const tree = parseFilter(filter)
  return items.filter((it) => evalFilter(tree, it))
}
