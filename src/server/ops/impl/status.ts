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

/** Drop every `password` (SSH hosts reached by password) from a handle before it leaves the server. */
function withoutPasswords(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutPasswords)
  if (!v || typeof v !== 'object') return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) if (k !== 'password') out[k] = withoutPasswords(x)
  return out
}

export async function status(ctx: OpContext, body: StatusBody): Promise<ClusterRecord[]> {
  return (await records(ctx, body)).map((c) => ({ ...c, handle: withoutPasswords(c.handle) as ClusterRecord['handle'] }))
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
