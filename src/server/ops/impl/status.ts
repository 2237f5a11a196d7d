// `sky status`: the clusters this user (or, with all_users, everyone) has, optionally by name/glob;
// with refresh, asks each UP cluster's agent first.
import type { ClusterRecord } from '../../../core/state/clusters'
import type { OpContext } from '../types'

export interface StatusBody {
  cluster_names?: string[]
  all_users?: boolean
  refresh?: boolean
}

export function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${re}$`)
}

/**
 * A cluster as clients get it: each node without `connect` (how the API server reaches it, an SSH
 * password included), which stays on the server as it stays out of the node's cluster.json.
 */
function forClient(c: ClusterRecord): ClusterRecord {
  const h = c.handle as { nodes?: Record<string, unknown>[] } | null
  if (!h?.nodes) return c
  return { ...c, handle: { ...h, nodes: h.nodes.map(({ connect: _c, ...n }) => n) } }
}

export async function status(ctx: OpContext, body: StatusBody): Promise<ClusterRecord[]> {
  return (await records(ctx, body)).map(forClient)
}

async function records(ctx: OpContext, body: StatusBody): Promise<ClusterRecord[]> {
  let all = await ctx.store.clusters.list(body.all_users ? {} : { userId: ctx.user.id })
  if (body.cluster_names?.length) {
    const pats = body.cluster_names.map(globToRegExp)
    all = all.filter((c) => pats.some((p) => p.test(c.name)))
  }
  if (body.refresh) {
    const { refreshClusters } = await import('../../../core/clusters/refresh')
    all = await refreshClusters(ctx.store, all)
  }
  return all
}
