// Request management: /api/get, /api/stream, /api/status, /api/cancel.
import { Elysia, t } from 'elysia'
import { NotFoundError } from '../../core/errors'
import { FINAL_STATUSES, type RequestStatus } from '../../core/state/requests'
import type { AppDeps } from '../context'
import { encodeRequest } from '../requests/encode'
import { streamRequestLog } from '../requests/stream'

const GET_WAIT_MS = 50_000

export function requestRoutes(d: AppDeps) {
  const svc = d.requests
  return new Elysia()
    .get(
      '/api/get',
      async ({ query, request, set }) => {
        const who = await d.identify(request)
        const id = await svc.resolveId(query.request_id)
        const r = await svc.waitFinal(id, query.timeout !== undefined ? Math.min(Number(query.timeout) * 1000, GET_WAIT_MS) : GET_WAIT_MS)
        if (!r) throw new NotFoundError(`Request '${query.request_id}' not found.`)
        svc.checkAccess(r, who)
        if (!FINAL_STATUSES.has(r.status)) set.status = 202
        return encodeRequest(r)
      },
      { query: t.Object({ request_id: t.String({ minLength: 1 }), timeout: t.Optional(t.Numeric({ minimum: 0 })) }) },
    )
    .get(
      '/api/stream',
      async ({ query, request }) => {
        const who = await d.identify(request)
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
        const body = streamRequestLog(d.store, svc.logs, id, { follow, tail: query.tail ? Number(query.tail) : 0, onDisconnect })
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
          request_id: t.Optional(t.String()),
          follow: t.Optional(t.String()),
          tail: t.Optional(t.Numeric({ minimum: 0 })),
          format: t.Optional(t.String()),
        }),
      },
    )
    .get(
      '/api/status',
      async ({ query, request }) => {
        const who = await d.identify(request)
        const all = query.all_status === 'true' || query.all_status === '1'
        const allUsers = query.all_users === 'true' || query.all_users === '1'
        const prefixes = query.request_ids ? query.request_ids.split(',').filter(Boolean) : undefined
        const rows = await d.store.requests.list({
          statuses: all || prefixes ? undefined : (['PENDING', 'RUNNING'] as RequestStatus[]),
          userId: allUsers && who.isAdmin ? undefined : allUsers ? undefined : who.id,
          clusterName: query.cluster_name || undefined,
          idPrefixes: prefixes,
          limit: query.limit ? Number(query.limit) : undefined,
        })
        const visible = who.isAdmin || allUsers ? rows : rows.filter((r) => r.userId === who.id)
        return visible.map((r) => encodeRequest(r, false))
      },
      {
        query: t.Object({
          request_ids: t.Optional(t.String()),
          all_status: t.Optional(t.String()),
          all_users: t.Optional(t.String()),
          cluster_name: t.Optional(t.String()),
          limit: t.Optional(t.Numeric({ minimum: 0 })),
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
          request_ids: t.Optional(t.Array(t.String({ minLength: 1 }))),
          all: t.Optional(t.Boolean()),
          all_users: t.Optional(t.Boolean()),
        }),
      },
    )
}
