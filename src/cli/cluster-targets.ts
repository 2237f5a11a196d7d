// Cluster arguments of stop/start/down/autostop/cancel: names, glob patterns, or -a for all of
// yours. `sky start` with nothing picks your only cluster, as SkyPilot does.
import { status } from '../api/ops/clusters'
import { NotFoundError, UsageError } from '../core/errors'
import { finish } from './client'

export interface TargetOptions {
  all?: boolean
  allUsers?: boolean
  /** With no names and no -a: the user's only cluster, if there is exactly one. */
  onlyOne?: boolean
  /** Command name for messages (`sky <verb> ...`). */
  verb?: string
}

async function listClusters(o: { clusterNames?: string[]; allUsers?: boolean }): Promise<string[]> {
  return ((await finish(await status({ cluster_names: o.clusterNames, all_users: o.allUsers }))) ?? []).map((c) => c.name)
}

export async function resolveClusters(names: string[], o: TargetOptions): Promise<string[]> {
  const usage = `sky ${o.verb ?? '<command>'} needs a cluster name or glob (see sky status), or -a/--all.`
  if (!names.length && !o.all) {
    if (!o.onlyOne) throw new UsageError(usage)
    const mine = await listClusters({ allUsers: false })
    if (mine.length <= 1) return mine
    throw new UsageError(`${usage} You have ${mine.length} clusters: ${mine.join(', ')}.`)
  }
  if (o.all) return listClusters({ allUsers: o.allUsers })
  const globs = names.filter((n) => /[*?]/.test(n))
  if (!globs.length) return names
  const matched = await listClusters({ clusterNames: globs, allUsers: o.allUsers })
  if (!matched.length && names.length === globs.length) throw new NotFoundError(`No cluster matches ${globs.map((g) => `'${g}'`).join(', ')}.`)
  return [...new Set([...names.filter((n) => !/[*?]/.test(n)), ...matched])]
}
