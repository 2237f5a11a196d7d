// Kubernetes resource quantities ("500m", "16Gi", "1e3", "2"): parsing, checking and formatting.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 }
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 }
const RE = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/

/** The quantity's value in base units, or undefined when `s` is not a quantity. */
export function parseQuantity(s: unknown): number | undefined {
  if (typeof s === 'number') return Number.isFinite(s) ? s : undefined
  if (typeof s !== 'string') return undefined
  const m = RE.exec(s.trim())
  if (!m) return undefined
  const n = Number(m[1])
  const suffix = m[2] ?? ''
  if (suffix in BINARY) return n * BINARY[suffix]!
  if (suffix in DECIMAL) return n * DECIMAL[suffix]!
  return n * 10 ** Number(suffix.slice(1))
}

export const isQuantity = (s: unknown): boolean => parseQuantity(s) !== undefined

/** CPU in millicores ("500m" → 500, "2" → 2000). */
export const milliCpu = (s: unknown): number => Math.round((parseQuantity(s) ?? 0) * 1000)

/** A number of bytes in the largest binary unit that keeps it whole ("32Gi", "1536Mi"). */
export function formatBytes(bytes: number): string {
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const base = BINARY[unit]!
    if (bytes >= base && bytes % base === 0) return `${bytes / base}${unit}`
  }
  return String(Math.round(bytes))
}

/** Millicores as Kubernetes writes them ("2", "500m"). */
export const formatMilliCpu = (m: number): string => (m % 1000 === 0 ? String(m / 1000) : `${m}m`)
