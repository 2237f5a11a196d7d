// Cluster operations. Each POST submits a request and returns its id.
import { Elysia, t } from 'elysia'
import type { AppDeps } from '../context'
import { submitOp } from './submit'

export function clusterRoutes(d: AppDeps) {
  return new Elysia().post('/status', ({ body, request, set }) => submitOp(d, request, 'sky.status', body, set), {
    body: t.Object({
      cluster_names: t.Optional(t.Array(t.String({ minLength: 1 }))),
      all_users: t.Optional(t.Boolean()),
      refresh: t.Optional(t.Boolean()),
    }),
  })
}
