// Handlers of the dashboard's polled lists (src/api/ops/dashboard.ts): the same rows and rules as
// `sky status` and `sky api status`, answered with a weak ETag (304 when unchanged).
import { clusterListFilter, managedJobListFilter, requestListFilter } from '../../core/access'
import { NotFoundError } from '../../core/errors'
import type { EndpointContext as Ctx } from '../ops/types'
import { pageByKey } from '../paging'
import { toWireCluster, toWireManagedJob } from '../present'
import { encodeRequest } from '../requests/encode'

export function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare || t.trim() === '*')
}

/** JSON with a weak ETag of its bytes; 304 when the client already has it. */
export function jsonWithEtag(req: Request, value: unknown, extra: Record<string, string | number> = {}): Response {
  const body = JSON.stringify(value)
  const etag = `W/"${Bun.hash(body).toString(36)}-${body.length.toString(36)}"`
  const headers = { etag, 'cache-control': 'no-cache', 'content-type': 'application/json', ...(extra as Record<string, string>) }
  if (matches(req.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers })
  return new Response(body, { headers })
}

/** The most clusters one dashboard page lists (the rest through X-Sky-Next-Cursor). */
const CLUSTERS_PAGE_MAX = 5000

export async function clusters({ deps, who, request }: Ctx, q: { all_users?: boolean; name?: string; limit?: number; cursor?: string }): Promise<Response> {
  // A named cluster is shown whoever owns it, as `sky status NAME -u` would.
  let rows = await deps.store.clusters.list(clusterListFilter(who, { allUsers: q.all_users || !!q.name }))
  if (q.name) rows = rows.filter((c) => c.name === q.name)
  const headers: Record<string, string | number> = {}
  const page = pageByKey(rows, (c) => c.name, q.cursor, q.limit ?? CLUSTERS_PAGE_MAX, headers)
  return jsonWithEtag(request, page.map(toWireCluster), headers)
}

export async function requests({ deps, who, request }: Ctx, q: { all_users?: boolean; limit?: number }): Promise<Response> {
  const rows = await deps.store.requests.list({ ...requestListFilter(who, { allUsers: q.all_users }), limit: q.limit ?? 500 })
  return jsonWithEtag(request, rows.map((r) => encodeRequest(r, false)))
}

export async function jobs({ deps, who, request }: Ctx, q: { all_users?: boolean; limit?: number }): Promise<Response> {
  const { userId } = managedJobListFilter(who, { allUsers: q.all_users })
  const repo = deps.store.managedJobs
  const [rows, total, in_progress] = await Promise.all([repo.list({ userId, limit: q.limit ?? 500 }), repo.count({ userId }), repo.inProgressCounts(userId)])
  // Rounded to seconds, so an unchanged list keeps its ETag between polls.
  const now = Math.floor(Date.now() / 1000) * 1000
  return jsonWithEtag(request, { jobs: rows.flatMap((j) => toWireManagedJob(j, now)), total, in_progress })
}

export async function services({ deps, request }: Ctx): Promise<Response> {
  const { serveStatus } = await import('../../core/serve/service-ops')
  return jsonWithEtag(request, { services: await serveStatus(deps.store) })
}

// Local server: `sky dashboard` asks for a one-time code (with the owner's token) and opens the
// page with it in the URL fragment; the page trades it here for the token, once.
export async function loginCode({ deps }: Ctx): Promise<{ code: string }> {
  if (!deps.local) throw new NotFoundError('A deployed API server has no login codes; log in on the page.')
  return { code: deps.local.newCode() }
}

export async function session({ deps }: Ctx, b: { code: string }): Promise<{ local_token: string }> {
  const token = deps.local?.redeem(b.code)
  if (!token) throw new NotFoundError('This dashboard link has expired or was already used.', { hint: 'Run sky dashboard again for a new link.' })
  return { local_token: token }
}
