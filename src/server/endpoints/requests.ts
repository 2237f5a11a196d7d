// Handlers of the request-management endpoints (src/api/ops/requests.ts) and of /api/health.
// Each handler's types are checked against its definition where the definition loads it; they
// name their own input shapes (a handler cannot name `typeof` its definition: that is circular).
import type { EndpointContext as Ctx } from '../ops/types'
import type { CancelResult, Health, RequestPayload } from '../../api/wire'
import { canCancelRequest, checkSeeRequest, requestListFilter } from '../../core/access'
import { NotFoundError, ValidationError } from '../../core/errors'
import { FINAL_STATUSES, type RequestStatus } from '../../core/state/requests'
import { API_VERSION, COMMIT, VERSION } from '../../version'
import { decodeCursor, encodeCursor, HEADER_NEXT_CURSOR, MAX_PAGE } from '../paging'
import { encodeRequest } from '../requests/encode'
import { streamRequestLog } from '../requests/stream'

const GET_WAIT_MS = 50_000

export const health = async ({ deps, who, anonymous }: Ctx): Promise<Health> => ({
  status: 'healthy',
  api_version: API_VERSION,
  version: VERSION,
  commit: COMMIT,
  ...(anonymous ? {} : { user: { name: who.name, id: who.id } }),
  deploy: deps.info.deploy,
  auth_mode: deps.info.authMode,
  basic_auth_enabled: deps.info.deploy,
  service_account_token_enabled: deps.info.deploy,
  started_at: deps.info.startedAt / 1000,
})

export async function get({ deps, who, set }: Ctx, q: { request_id: string; timeout?: number }): Promise<RequestPayload> {
  const svc = deps.requests
  const id = await svc.resolveId(q.request_id)
  // Whose it is, before waiting on it.
  const row = await deps.store.requests.get(id)
  if (!row) throw new NotFoundError(`Request '${q.request_id}' not found.`)
  checkSeeRequest(row, who)
  const r = await svc.waitFinal(id, q.timeout !== undefined ? Math.min(q.timeout * 1000, GET_WAIT_MS) : GET_WAIT_MS, row)
  if (!r) throw new NotFoundError(`Request '${q.request_id}' not found.`)
  if (!FINAL_STATUSES.has(r.status)) set.status = 202
  return encodeRequest(r)
}

export async function stream({ deps, who }: Ctx, q: { request_id?: string; follow?: boolean; tail?: number }): Promise<Response> {
  const svc = deps.requests
  let id: string
  if (q.request_id) id = await svc.resolveId(q.request_id)
  else {
    const [latest] = await deps.store.requests.list({ userId: who.id, limit: 1 })
    if (!latest) throw new NotFoundError('No requests yet.')
    id = latest.requestId
  }
  const r = await deps.store.requests.get(id)
  if (!r) throw new NotFoundError(`Request '${id}' not found.`)
  checkSeeRequest(r, who)
  const follow = q.follow !== false
  // A log-follow request (sky logs) lives only as long as someone reads it.
  const onDisconnect = follow && svc.opMeta(r.name)?.cancelOnDisconnect ? () => void svc.cancel([id]).catch(() => {}) : undefined
  const body = streamRequestLog(deps.store, svc.logs, id, { follow, tail: q.tail ?? 0, onDisconnect })
  return new Response(body, {
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      'x-skypilot-stream-request-id': id,
    },
  })
}

export async function status(
  { deps, who, set }: Ctx,
  q: { request_ids?: string; all_status?: boolean; all_users?: boolean; cluster_name?: string; limit?: number; cursor?: string },
): Promise<RequestPayload[]> {
  const prefixes = q.request_ids ? q.request_ids.split(',').filter(Boolean) : undefined
  if (prefixes && prefixes.length > 100) throw new ValidationError([{ path: 'request_ids', message: 'at most 100 id prefixes at once' }])
  // One page (newest first); X-Sky-Next-Cursor leads to the next.
  const limit = q.limit ?? MAX_PAGE
  const after = decodeCursor(q.cursor, ['n', 's'])
  const rows = await deps.store.requests.list({
    statuses: q.all_status || prefixes ? undefined : (['PENDING', 'RUNNING'] as RequestStatus[]),
    ...requestListFilter(who, { allUsers: q.all_users }),
    clusterName: q.cluster_name || undefined,
    idPrefixes: prefixes,
    limit: limit + 1,
    after: after ? { createdAt: after[0] as number, requestId: after[1] as string } : undefined,
  })
  const page = rows.slice(0, limit)
  if (rows.length > limit) {
    const last = page[page.length - 1]!
    set.headers[HEADER_NEXT_CURSOR] = encodeCursor([last.createdAt, last.requestId])
  }
  return page.map((r) => encodeRequest(r, false))
}

export async function cancel({ deps, who }: Ctx, b: { request_ids?: string[]; all?: boolean; all_users?: boolean }): Promise<CancelResult> {
  const svc = deps.requests
  let ids: string[] = []
  if (b.request_ids?.length) {
    for (const p of b.request_ids) {
      const id = await svc.resolveId(p)
      const r = await deps.store.requests.get(id)
      if (r) checkSeeRequest(r, who)
      ids.push(id)
    }
  } else if (b.all || b.all_users) {
    const active = await deps.store.requests.list({ statuses: ['PENDING', 'RUNNING'], ...requestListFilter(who, { allUsers: b.all_users }) })
    ids = active.filter((r) => canCancelRequest(r, who)).map((r) => r.requestId)
  }
  return { cancelled: await svc.cancel(ids) }
}
