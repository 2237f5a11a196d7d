// `${VAR}` / `$VAR` substitution from a task's envs (and inline secrets) at parse time, in the
// places SkyPilot does it: file_mounts (paths, sources, storage names), workdir, service and
// volumes. `run`/`setup` are left alone: they see the variables at run time. Unknown variables
// are left as written.

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g

export function substituteString(s: string, vars: Record<string, string | null>): string {
  if (!s.includes('$')) return s
  return s.replace(VAR_RE, (match, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!
    const v = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined
    return typeof v === 'string' ? v : match
  })
}

/** Substitute in every string (and mapping key) of a JSON-like value; returns a new value. */
export function substituteDeep(value: unknown, vars: Record<string, string | null>, depth = 0): unknown {
  if (depth > 100) return value
  if (typeof value === 'string') return substituteString(value, vars)
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, vars, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[substituteString(k, vars)] = substituteDeep(v, vars, depth + 1)
    }
    return out
  }
  return value
}
