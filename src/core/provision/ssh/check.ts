// `sky check ssh`: the pools in ssh_node_pools.yaml (narrowed by `ssh.allowed_node_pools`), each
// validated by logging into its hosts (a pool is enabled when at least one host answers). What a
// host offers is cached for the optimizer on the way.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { formatIssue, ValidationError } from '../../errors'
import { configList } from '../handle'
import type { CheckContext, InfraCheck } from '../types'
import { loadSshPools, type SshPool } from './pools'

function poolsFile(ctx: CheckContext): string {
  return join(ctx.env.SKY_HOME || join(ctx.home, '.sky'), 'ssh_node_pools.yaml')
}

async function reachable(pool: SshPool): Promise<{ ok: number; failures: string[] }> {
  const { probeAndCache } = await import('./probe')
  const results = await Promise.all(
    pool.hosts.map(async (h) => {
      try {
        await probeAndCache(pool.name, h, { connectTimeoutMs: 5000 })
        return null
      } catch (e) {
        return `${h.host}: ${(e as Error).message}`
      }
    }),
  )
  const failures = results.filter((r): r is string => r !== null)
  return { ok: results.length - failures.length, failures }
}

export async function checkSsh(ctx: CheckContext): Promise<InfraCheck> {
  const file = poolsFile(ctx)
  if (!existsSync(file)) {
    return { infra: 'ssh', enabled: false, reason: `no SSH node pools: describe your machines in ${file} (pool name → hosts)`, capabilities: [] }
  }
  let pools: SshPool[] = []
  const errors: string[] = []
  try {
    pools = Object.values(loadSshPools(file, { checkFiles: false })).filter((p) => p.hosts.length > 0)
  } catch (e) {
    errors.push(e instanceof ValidationError ? e.issues.map(formatIssue).join('; ') : (e as Error).message)
  }
  if (pools.length === 0) {
    const why = errors.length ? errors.join('; ') : 'the file lists no pools'
    return { infra: 'ssh', enabled: false, reason: `${file}: ${why}`, capabilities: [] }
  }
  // Pools the config leaves out are not logged into; they stay listed for infra/check.ts to drop
  // (with a note), where every allow-list applies.
  const allowed = configList(ctx.config, 'ssh', 'allowed_node_pools')
  const skipped = allowed ? pools.filter((p) => !allowed.includes(p.name)).map((p) => p.name) : []
  let usable = pools.filter((p) => !skipped.includes(p.name))
  const notes: string[] = []
  if (ctx.validate && usable.length) {
    const checked = await Promise.all(usable.map(async (p) => ({ p, r: await reachable(p) })))
    for (const { p, r } of checked) {
      if (r.failures.length) notes.push(`${p.name}: ${r.ok ? `${r.failures.length} of ${p.hosts.length} hosts unreachable` : 'no host answers'} (${r.failures.join('; ')})`)
    }
    usable = checked.filter((x) => x.r.ok > 0).map((x) => x.p)
    if (usable.length === 0) {
      return { infra: 'ssh', enabled: false, reason: `credentials invalid: ${notes.join('; ')}`, regions: pools.map((p) => p.name), capabilities: [] }
    }
  }
  if (usable.length === 0) return { infra: 'ssh', enabled: false, reason: 'no pool is in ssh.allowed_node_pools', regions: pools.map((p) => p.name), capabilities: [] }
  const n = usable.length
  return {
    infra: 'ssh',
    enabled: true,
    reason: `${n} node pool${n === 1 ? '' : 's'} in ${file}${notes.length ? `; ${notes.join('; ')}` : ''}`,
    regions: [...usable.map((p) => p.name), ...skipped],
    capabilities: ['compute'],
  }
}
