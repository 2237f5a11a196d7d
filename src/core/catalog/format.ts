// Writes a compact catalog as readable JSON: objects indented, but arrays of plain values (zone
// lists, instance-type tuples) kept on one line, so a family table reads like a table and diffs
// stay one line per instance type.
import type { RawCloudCatalog } from './types'

function write(v: unknown, indent: string): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]'
    if (v.every((x) => x === null || typeof x !== 'object')) return '[' + v.map((x) => JSON.stringify(x)).join(', ') + ']'
    const inner = indent + '  '
    return '[\n' + v.map((x) => inner + write(x, inner)).join(',\n') + '\n' + indent + ']'
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined)
    if (entries.length === 0) return '{}'
    const inner = indent + '  '
    const simple = entries.every(([, x]) => x === null || typeof x !== 'object')
    if (simple && entries.length <= 6) {
      return '{ ' + entries.map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(', ') + ' }'
    }
    return '{\n' + entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner)}`).join(',\n') + '\n' + indent + '}'
  }
  return JSON.stringify(v)
}

/** The catalog as JSON text (ends with a newline). */
export function formatCatalogJson(raw: RawCloudCatalog): string {
  return write(raw, '') + '\n'
}
