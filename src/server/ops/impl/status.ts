// `sky status`: the clusters this user (or, with all_users, everyone) has, optionally by name/glob;
// with refresh, asks each UP cluster's agent first. Clients get the wire form (no handle).
import type { Cluster } from '../../../api/wire'
import { clusterListFilter } from '../../../core/access'
import type { ClusterRecord } from '../../../core/state/clusters'
import { toWireCluster } from '../../present'
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

export async function status(ctx: OpContext, body: StatusBody): Promise<Cluster[]> {
  return (await records(ctx, body)).map(toWireCluster)
}

async function records(ctx: OpContext, body: StatusBody): Promise<ClusterRecord[]> {
  let all = await ctx.store.clusters.list(clusterListFilter(ctx.user, { allUsers: body.all_users }))
  if (body.cluster_names?.length) {
    const pats = body.cluster_names.map(globToRegExp)
    all = all.filter((c) => pats.some((p) => p.test(c.name)))
  }
  if (body.refresh) {
    const { refreshClusters } = await import('../../../core/clusters/refresh')
    // A cluster a launch or start is working on is theirs to finish (refresh leaves it alone).
    const busy = async (name: string) =>
      (await ctx.store.requests.list({ statuses: ['PENDING', 'RUNNING'], clusterName: name })).some((r) => r.requestId !== ctx.requestId && r.name !== 'sky.status')
    all = await refreshClusters(ctx.store, all, { owner: ctx.requestId, busy, log: ctx.log })
  }
  return all
}
