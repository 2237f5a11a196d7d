// Cluster arguments of stop/start/down/autostop: names, glob patterns, or -a for all of yours.
import type { ClusterRecord } from '../core/state/clusters'
import { NotFoundError, UsageError } from '../core/errors'
import { status as statusOp } from '../sdk/ops'
import { finish, sky } from './client'

export async function resolveClusters(names: string[], o: { all?: boolean; allUsers?: boolean }): Promise<string[]> {
  if (!names.length && !o.all) throw new UsageError('Give cluster names, or -a for all of your clusters.')
  if (o.all) {
    const id = await statusOp(sky(), { allUsers: o.allUsers })
    return ((await finish<ClusterRecord[]>(id)) ?? []).map((c) => c.name)
  }
  const globs = names.filter((n) => /[*?]/.test(n))
  if (!globs.length) return names
  const id = await statusOp(sky(), { clusterNames: globs, allUsers: o.allUsers })
  const matched = ((await finish<ClusterRecord[]>(id)) ?? []).map((c) => c.name)
  if (!matched.length && names.length === globs.length) throw new NotFoundError(`No cluster matches ${globs.map((g) => `'${g}'`).join(', ')}.`)
  return [...new Set([...names.filter((n) => !/[*?]/.test(n)), ...matched])]
}
