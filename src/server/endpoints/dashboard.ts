// Handlers of the dashboard's polled lists (src/api/ops/dashboard.ts): the same rows and rules as
// `sky status` and `sky api status`, answered with a weak ETag (304 when unchanged).
import { clusterListFilter, requestListFilter } from '../../core/access'
import type { EndpointContext as Ctx } from '../ops/types'
import { toWireCluster } from '../present'
import { encodeRequest } from '../requests/encode'

export function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare || t.trim() === '*')
}

/** JSON with a weak ETag of its bytes; 304 when the client already has it. */
export function jsonWithEtag(req: Request, value: unknown): Response {
  const body = JSON.stringify(value)
  const etag = `W/"${Bun.hash(body).toString(36)}-${body.length.toString(36)}"`
  const headers = { etag, 'cache-control': 'no-cache', 'content-type': 'application/json' }
  if (matches(req.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers })
  return new Response(body, { headers })
}

export async function clusters({ deps, who, request }: Ctx, q: { all_users?: boolean; name?: string }): Promise<Response> {
  // A named cluster is shown whoever owns it, as `sky status NAME -u` would.
  let rows = await deps.store.clusters.list(clusterListFilter(who, { allUsers: q.all_users || !!q.name }))
  if (q.name) rows = rows.filter((c) => c.name === q.name)
  return jsonWithEtag(request, rows.map(toWireCluster))
}

export async function requests({ deps, who, request }: Ctx, q: { all_users?: boolean; limit?: number }): Promise<Response> {
  const rows = await deps.store.requests.list({ ...requestListFilter(who, { allUsers: q.all_users }), limit: q.limit ?? 500 })
  return jsonWithEtag(request, rows.map((r) => encodeRequest(r, false)))
}
