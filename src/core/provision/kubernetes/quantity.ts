// Kubernetes resource quantities (`7500m`, `32Gi`, `1e3`, `16G`) as numbers, and back.
const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
}

/** The quantity's value (cores for cpu, bytes for memory); NaN when it is not a quantity. */
export function parseQuantity(q: string | number | undefined | null): number {
  if (typeof q === 'number') return q
  if (!q) return 0
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/.exec(q.trim())
  if (!m) return NaN
  return Number(m[1]) * SUFFIX[m[2]!]!
}

const GIB = 2 ** 30

export const bytesToGiB = (b: number): number => b / GIB

/** CPUs as a quantity: whole cores plain, fractions in millicores. */
export function cpuQuantity(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.ceil(cpus * 1000)}m`
}

/** GiB as a quantity, in Mi when fractional. */
export function memoryQuantity(gib: number): string {
  return Number.isInteger(gib) ? `${gib}Gi` : `${Math.ceil(gib * 1024)}Mi`
}
