// `sky status`: the clusters this user (or, with all_users, everyone) has, optionally by name/glob;
// with refresh, asks each UP cluster's agent first.
import { handleOf } from '../../../core/clusters/record'
import { withoutConnect } from '../../../core/provision/handle'
import { descriptor } from '../../../core/provision/registry'
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
  if (!c.handle) return c
  const d = descriptor(c.launched?.infra ?? c.infra.cloud)
  const h = handleOf(c)
  return { ...c, handle: d ? d.clientHandle(h) : withoutConnect(h) }
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
    // A cluster a launch or start is working on is theirs to finish (refresh leaves it alone).
    const busy = async (name: string) =>
      (await ctx.store.requests.list({ statuses: ['PENDING', 'RUNNING'], clusterName: name })).some((r) => r.requestId !== ctx.requestId && r.name !== 'sky.status')
    all = await refreshClusters(ctx.store, all, { owner: ctx.requestId, busy, log: ctx.log })
  }
  return all
}
