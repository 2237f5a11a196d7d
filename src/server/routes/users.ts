// Users and service-account tokens (/users/*), answered directly (no request lifecycle: these are
// quick writes to the store). Only a deployed server has users; a local server answers 404 with
// the way to get them. Access rules live in UserService.
import { Elysia, t } from 'elysia'
import { NotFoundError } from '../../core/errors'
import type { AppDeps } from '../context'
import { pageByKey, pageLimit } from '../paging'

const userName = t.String({ minLength: 1, maxLength: 64 })

export function userRoutes(d: AppDeps) {
  const svc = d.users
  const actor = async (request: Request) => {
    if (!d.info.deploy) {
      throw new NotFoundError('User management is available only on a deployed API server.', {
        hint: 'Start one with: sky api start --deploy (and SKYPILOT_INITIAL_ADMIN=name:password for the first admin).',
      })
    }
    const who = await d.identify(request)
    return { id: who.id, name: who.name, role: who.role }
  }
  return new Elysia()
    .get('/users', async ({ request, query, set }) => pageByKey(await svc.list(await actor(request)), (u) => u.name, query.cursor, pageLimit(query.limit, 1000), set.headers), {
      query: t.Object({ limit: t.Optional(t.String()), cursor: t.Optional(t.String()) }),
    })
    .get('/users/me', async ({ request }) => {
      const who = await d.identify(request)
      return { id: who.id, name: who.name, role: who.role ?? 'user' }
    })
    .post('/users/create', async ({ request, body }) => svc.create(await actor(request), body), {
      body: t.Object({ name: userName, password: t.Optional(t.String({ maxLength: 1024 })), role: t.Optional(t.String({ maxLength: 20 })) }),
    })
    .post(
      '/users/delete',
      async ({ request, body }) => {
        await svc.delete(await actor(request), body.name)
        return { deleted: body.name }
      },
      { body: t.Object({ name: userName }) },
    )
    .post('/users/role', async ({ request, body }) => svc.setRole(await actor(request), body.name, body.role), {
      body: t.Object({ name: userName, role: t.String() }),
    })
    .post(
      '/users/password',
      async ({ request, body }) => {
        await svc.setPassword(await actor(request), body.name, body.password)
        return { updated: body.name }
      },
      { body: t.Object({ name: userName, password: t.String() }) },
    )
    .get(
      '/users/service-account-tokens',
      async ({ request, query, set }) =>
        pageByKey(await svc.listTokens(await actor(request), query.name || undefined), (x) => x.token_id, query.cursor, pageLimit(query.limit, 1000), set.headers),
      { query: t.Object({ name: t.Optional(t.String({ maxLength: 64 })), limit: t.Optional(t.String()), cursor: t.Optional(t.String()) }) },
    )
    .post('/users/service-account-tokens', async ({ request, body }) => svc.createToken(await actor(request), body), {
      body: t.Object({
        name: t.Optional(t.String()),
        token_name: t.Optional(t.String({ maxLength: 100 })),
        expires_in_days: t.Optional(t.Union([t.Number(), t.Null()])),
      }),
    })
    .post(
      '/users/service-account-tokens/revoke',
      async ({ request, body }) => {
        const key = body.token ?? body.token_id
        if (!key) throw new NotFoundError('Give the token (sky_...) or its id.')
        return svc.revokeToken(await actor(request), key)
      },
      { body: t.Object({ token: t.Optional(t.String()), token_id: t.Optional(t.String()) }) },
    )
}
