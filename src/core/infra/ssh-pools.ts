// Reads `$SKY_HOME/ssh_node_pools.yaml`: top-level keys are pool names, each with optional
// defaults (user, identity_file, password) and `hosts:` — plain host strings or {ip, user, ...}.
import { existsSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'

export interface SshHost {
  ip: string
  user?: string
  identityFile?: string
  password?: string
}

export interface SshPool {
  name: string
  hosts: SshHost[]
}

export interface SshPoolsInfo {
  file: string
  exists: boolean
  pools: SshPool[]
  /** Problems found (bad YAML, pools without hosts...), one line each. */
  errors: string[]
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined
}

export function readSshNodePools(file: string): SshPoolsInfo {
  const info: SshPoolsInfo = { file, exists: existsSync(file), pools: [], errors: [] }
  if (!info.exists) return info
  let doc: unknown
  try {
    doc = parse(readFileSync(file, 'utf8'))
  } catch (e) {
    info.errors.push(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`)
    return info
  }
  if (doc === null || doc === undefined) return info
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    info.errors.push(`${file}: must map pool names to {hosts: [...]}`)
    return info
  }
  for (const [name, body] of Object.entries(doc as Record<string, unknown>)) {
    const b = (body ?? {}) as Record<string, unknown>
    const defaults = { user: str(b.user), identityFile: str(b.identity_file), password: str(b.password) }
    const rawHosts = Array.isArray(b.hosts) ? b.hosts : []
    const hosts: SshHost[] = []
    for (const h of rawHosts) {
      if (typeof h === 'string' && h.trim()) hosts.push({ ip: h.trim(), ...strip(defaults) })
      else if (h && typeof h === 'object' && str((h as Record<string, unknown>).ip)) {
        const o = h as Record<string, unknown>
        hosts.push({
          ip: String(o.ip),
          ...strip({
            user: str(o.user) ?? defaults.user,
            identityFile: str(o.identity_file) ?? defaults.identityFile,
            password: str(o.password) ?? defaults.password,
          }),
        })
      }
    }
    if (hosts.length === 0) info.errors.push(`pool '${name}' lists no hosts`)
    else info.pools.push({ name, hosts })
  }
  return info
}

function strip<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
