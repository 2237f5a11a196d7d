// Request management: /api/get, /api/stream, /api/status, /api/cancel.
import { Elysia, t } from 'elysia'
import { NotFoundError, ValidationError } from '../../core/errors'
import { FINAL_STATUSES, type RequestStatus } from '../../core/state/requests'
import type { AppDeps } from '../context'
import { decodeCursor, encodeCursor, HEADER_NEXT_CURSOR, intParam, MAX_PAGE, pageLimit } from '../paging'
import { encodeRequest } from '../requests/encode'
import { streamRequestLog } from '../requests/stream'

const GET_WAIT_MS = 50_000
const flag = (v: string | undefined) => v === 'true' || v === '1'

export function requestRoutes(d: AppDeps) {
  const svc = d.requests
  return new Elysia()
    .get(
      '/api/get',
      async ({ query, request, set }) => {
        const who = await d.identify(request)
        const timeout = intParam(query.timeout, 'timeout', { min: 0, max: GET_WAIT_MS / 1000, def: GET_WAIT_MS / 1000 })
        const id = await svc.resolveId(query.request_id)
        // Whose it is, before waiting on it.
        const row = await d.store.requests.get(id)
        if (!row) throw new NotFoundError(`Request '${query.request_id}' not found.`)
        svc.checkAccess(row, who)
        const r = await svc.waitFinal(id, timeout * 1000, row)
        if (!r) throw new NotFoundError(`Request '${query.request_id}' not found.`)
        if (!FINAL_STATUSES.has(r.status)) set.status = 202
        return encodeRequest(r)
      },
      { query: t.Object({ request_id: t.String({ minLength: 1, maxLength: 64 }), timeout: t.Optional(t.String()) }) },
    )
    .get(
      '/api/stream',
      async ({ query, request }) => {
        const who = await d.identify(request)
        const tail = intParam(query.tail, 'tail', { min: 0, max: 1_000_000, def: 0 })
        let id: string
        if (query.request_id) id = await svc.resolveId(query.request_id)
        else {
          const [latest] = await d.store.requests.list({ userId: who.id, limit: 1 })
          if (!latest) throw new NotFoundError('No requests yet.')
          id = latest.requestId
        }
        const r = await d.store.requests.get(id)
        if (!r) throw new NotFoundError(`Request '${id}' not found.`)
        svc.checkAccess(r, who)
        const follow = query.follow === undefined ? true : query.follow !== 'false' && query.follow !== '0'
        // A log-follow request (sky logs) lives only as long as someone reads it.
        const onDisconnect = follow && svc.opMeta(r.name)?.cancelOnDisconnect ? () => void svc.cancel([id]).catch(() => {}) : undefined
        const body = streamRequestLog(d.store, svc.logs, id, { follow, tail, onDisconnect })
        return new Response(body, {
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            'cache-control': 'no-cache, no-transform',
            'x-accel-buffering': 'no',
            'x-content-type-options': 'nosniff',
            'x-skypilot-stream-request-id': id,
          },
        })
      },
      {
        query: t.Object({
          request_id: t.Optional(t.String({ maxLength: 64 })),
          follow: t.Optional(t.String()),
          tail: t.Optional(t.String()),
          format: t.Optional(t.String()),
        }),
      },
    )
    .get(
      '/api/status',
      async ({ query, request, set }) => {
        const who = await d.identify(request)
        const all = flag(query.all_status)
        const allUsers = flag(query.all_users)
        const prefixes = query.request_ids ? query.request_ids.split(',').filter(Boolean) : undefined
        if (prefixes && prefixes.length > 100) throw new ValidationError([{ path: 'request_ids', message: 'at most 100 id prefixes at once' }])
        // One page (newest first); X-Sky-Next-Cursor leads to the next.
        const limit = pageLimit(query.limit, MAX_PAGE)
        const after = decodeCursor(query.cursor, ['n', 's'])
        const rows = await d.store.requests.list({
          statuses: all || prefixes ? undefined : (['PENDING', 'RUNNING'] as RequestStatus[]),
          userId: allUsers ? undefined : who.id,
          clusterName: query.cluster_name || undefined,
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
      },
      {
        query: t.Object({
          request_ids: t.Optional(t.String({ maxLength: 4000 })),
          all_status: t.Optional(t.String()),
          all_users: t.Optional(t.String()),
          cluster_name: t.Optional(t.String({ maxLength: 200 })),
          limit: t.Optional(t.String()),
          cursor: t.Optional(t.String()),
        }),
      },
    )
    .post(
      '/api/cancel',
      async ({ body, request }) => {
        const who = await d.identify(request)
        let ids: string[] = []
        if (body.request_ids?.length) {
          for (const p of body.request_ids) {
            const id = await svc.resolveId(p)
            const r = await d.store.requests.get(id)
            if (r) svc.checkAccess(r, who)
            ids.push(id)
          }
        } else if (body.all || body.all_users) {
          const active = await d.store.requests.list({ statuses: ['PENDING', 'RUNNING'], userId: body.all_users ? undefined : who.id })
          ids = active.filter((r) => body.all_users ? who.isAdmin || r.userId === who.id : true).map((r) => r.requestId)
        }
        return { cancelled: await svc.cancel(ids) }
      },
      {
        body: t.Object({
          request_ids: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 })),
          all: t.Optional(t.Boolean()),
          all_users: t.Optional(t.Boolean()),
        }),
      },
    )
}
