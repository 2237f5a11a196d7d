// Reading a cloud's section of ~/.sky/config.yaml (`aws:`, `gcp:`): values checked as they are
// read, with an InfraConfigError that names the key and the fix (failover then skips the cloud
// with the reason instead of launching something else), and the per-region proxy command lookup.
import { InfraConfigError } from '../errors'

export interface SectionReader {
  /** Throw the error for `<infra>.<key>`. */
  bad(key: string, what: string): never
  /** A non-empty string, or null when unset. */
  str(v: unknown, key: string): string | null
  /** A mapping of names to strings (numbers and booleans turned into strings); {} when unset. */
  strMap(v: unknown, key: string): Record<string, string>
  /** One string, a map of region → string, or null. */
  strOrMap(v: unknown, key: string): string | Record<string, string> | null
}

export function sectionReader(infra: string): SectionReader {
  const r: SectionReader = {
    bad(key, what) {
      throw new InfraConfigError(`Config key ${infra}.${key} ${what}.`, { infra, hint: `Fix it in ~/.sky/config.yaml, then run: sky check ${infra}` })
    },
    str(v, key) {
      if (v === undefined || v === null) return null
      if (typeof v !== 'string' || !v.trim()) r.bad(key, 'must be a non-empty string')
      return v as string
    },
    strMap(v, key) {
      if (v === undefined || v === null) return {}
      if (typeof v !== 'object' || Array.isArray(v)) r.bad(key, 'must be a mapping of names to strings')
      const out: Record<string, string> = {}
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') r.bad(`${key}.${k}`, 'must be a string')
        out[k] = String(x)
      }
      return out
    },
    strOrMap(v, key) {
      if (v === undefined || v === null) return null
      return typeof v === 'string' ? r.str(v, key) : r.strMap(v, key)
    },
  }
  return r
}

/** The proxy command for a region (a per-region map may leave regions out: no proxy there). */
export function proxyCommandIn(proxy: string | Record<string, string> | null, region: string): string | null {
  if (!proxy) return null
  return typeof proxy === 'string' ? proxy : (proxy[region] ?? null)
}
