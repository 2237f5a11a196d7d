// The Elysia application: version checks, error mapping, and one plugin per resource. Each
// resource's routes come from its definitions in src/api (routes/from-definitions.ts).
import { Elysia } from 'elysia'
import { VersionMismatchError } from '../core/errors'
import { API_VERSION, BUILD_ID, COMMIT, HEADER_API_VERSION, HEADER_BUILD, HEADER_VERSION, MIN_COMPATIBLE_API_VERSION, VERSION } from '../version'
import { checkDeclaredLength, parseBody } from './body'
import type { AppDeps } from './context'
import { routeError } from './errors'
import { catalogRoutes } from './routes/catalog'
import { clusterRoutes } from './routes/clusters'
import { dashboardRoutes } from './routes/dashboard'
import { infraRoutes } from './routes/infra'
import { jobRoutes } from './routes/jobs'
import { managedJobRoutes } from './routes/managed-jobs'
import { openApiRoutes } from './routes/openapi'
import { pluginRoutes } from './routes/plugins'
import { requestRoutes } from './routes/requests'
import { serveRoutes } from './routes/serve'
import { uploadRoutes } from './routes/uploads'
import { sshProxyRoutes } from './routes/ssh-proxy'
import { userRoutes } from './routes/users'

export function createApp(d: AppDeps) {
  const app = new Elysia({ serve: { idleTimeout: 0 } }).onRequest(({ request, set }) => {
    set.headers[HEADER_API_VERSION] = String(API_VERSION)
    set.headers[HEADER_VERSION] = VERSION
    set.headers['x-skypilot-commit'] = COMMIT
    set.headers[HEADER_BUILD] = BUILD_ID
    const peer = request.headers.get(HEADER_API_VERSION)
    if (peer !== null && Number(peer) < MIN_COMPATIBLE_API_VERSION) {
      const err = new VersionMismatchError(
        `Client is too old: its API version ${peer} is below ${MIN_COMPATIBLE_API_VERSION}, which this server (version ${VERSION}) needs.`,
        { hint: 'Upgrade the client (sky) to the server\'s version.' },
      )
      set.status = 400
      return new Response(JSON.stringify({ error: err.toWire() }), {
        status: 400,
        headers: { 'content-type': 'application/json', [HEADER_API_VERSION]: String(API_VERSION), [HEADER_VERSION]: VERSION, [HEADER_BUILD]: BUILD_ID },
      })
    }
  })
  // Every request (but /api/health and the dashboard's files) is authenticated before routing:
  // users' credentials on a deployed server, the owner's token on a local one.
  const guard = d.guard
  if (guard) app.onRequest(({ request, server }) => guard(request, server))
  // Bodies: a declared length over the route's limit is refused unread; the rest are read with
  // the limit and parsed with a depth bound (body.ts).
  app.onRequest(({ request }) => checkDeclaredLength(request))
  app.onParse({ as: 'global' }, parseBody)
  return app
    .onError(({ code, error, set, request }) => {
      const e = routeError(code, error)
      set.status = e.httpStatus
      set.headers['content-type'] = 'application/json'
      // Scripts in a page (the dashboard) get no challenge, so the browser shows no password prompt.
      if (d.info.deploy && e.code === 'AUTH_REQUIRED' && e.httpStatus === 401 && request.headers.get('x-requested-with') !== 'XMLHttpRequest') set.headers['www-authenticate'] = 'Basic realm="sky", charset="UTF-8"'
      if (e.details?.retry_after !== undefined) set.headers['retry-after'] = String(e.details.retry_after)
      return JSON.stringify({ error: e.toWire() })
    })
    .use(requestRoutes(d))
    .use(clusterRoutes(d))
    .use(jobRoutes(d))
    .use(catalogRoutes(d))
    .use(infraRoutes(d))
    .use(managedJobRoutes(d))
    .use(serveRoutes(d))
    .use(pluginRoutes(d))
    .use(userRoutes(d))
    .use(uploadRoutes(d))
    .use(sshProxyRoutes(d))
    .use(dashboardRoutes(d))
    .use(openApiRoutes())
}

export type App = ReturnType<typeof createApp>
