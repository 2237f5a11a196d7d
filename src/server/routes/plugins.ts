// Operations added by server plugin modules (`api_server.plugins` in the server's config):
// GET /api/plugins lists them, POST /api/plugins/<name> submits one.
import { Elysia, t } from 'elysia'
import { NotFoundError } from '../../core/errors'
import type { AppDeps } from '../context'
import { submitOp } from './from-definitions'

export function pluginRoutes(d: AppDeps) {
  return new Elysia()
    .get('/api/plugins', () => ({ ops: d.pluginOps }), { detail: { operationId: 'api.plugins', summary: 'Operations added by server plugins.', tags: ['plugins'] } })
    .post(
      '/api/plugins/:name',
      ({ params, body, request, set }) => {
        if (!d.pluginOps.includes(params.name)) throw new NotFoundError(`No plugin operation '${params.name}'.`)
        return submitOp(d, request, { name: params.name, access: 'user' }, body ?? {}, set)
      },
      { body: t.Optional(t.Record(t.String(), t.Unknown())), detail: { operationId: 'api.plugins.submit', summary: 'Submit a plugin operation.', tags: ['plugins'] } },
    )
}
