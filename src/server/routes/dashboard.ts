// The web dashboard: GET /dashboard and /dashboard/* serve the embedded front end (any other path
// under it is the single-page app's index.html), and / redirects there. The files need no auth:
// the page loads, then authenticates its own API calls exactly as the CLI does.
//
// Two read-only lists under /api/dashboard/ let open tabs poll cheaply: the same clusters and
// requests that `POST /status` and `GET /api/status` return, with the same visibility rules, but
// read straight from the store (no request row per poll) and answered with an ETag, so a tab
// whose list did not change gets an empty 304. Every action still goes through the REST
// operations (/stop, /cancel, /api/cancel ...), where the server checks the user's rights.
import { Elysia, t } from 'elysia'
import type { ClusterRecord } from '../../core/state/clusters'
import type { AppDeps } from '../context'
import { dashboardAssets, type DashboardAsset } from '../dashboard-assets'
import { NotFoundError } from '../../core/errors'
import { pageByKey, pageLimit } from '../paging'
import { encodeRequest } from '../requests/encode'

const PREFIX = '/dashboard/'

// Everything comes from this server: no CDN, no inline script, no framing.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare || t.trim() === '*')
}

export function assetResponse(req: Request, a: DashboardAsset): Response {
  const headers: Record<string, string> = {
    'content-type': a.type,
    etag: a.etag,
    'cache-control': a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  }
  if (a.type.startsWith('text/html')) {
    headers['content-security-policy'] = CSP
    headers['x-frame-options'] = 'DENY'
  }
  if (matches(req.headers.get('if-none-match'), a.etag)) return new Response(null, { status: 304, headers })
  if (a.gzip && /\bgzip\b/.test(req.headers.get('accept-encoding') ?? '')) {
    return new Response(a.gzip, { headers: { ...headers, 'content-encoding': 'gzip' } })
  }
  return new Response(a.body, { headers })
}

async function serveDashboard({ request }: { request: Request }): Promise<Response> {
  const assets = await dashboardAssets()
  const pathname = new URL(request.url).pathname
  let rel = ''
  try {
    rel = pathname.startsWith(PREFIX) ? decodeURIComponent(pathname.slice(PREFIX.length)) : ''
  } catch {}
  const hit = rel ? assets.get(rel) : undefined
  if (hit) return assetResponse(request, hit)
  // A missing file is a 404; any other path is a page of the app.
  if (rel.startsWith('assets/') || /\.(js|css|png|svg|ico|map|json|txt)$/i.test(rel)) {
    return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } })
  }
  return assetResponse(request, assets.get('index.html')!)
}

/** JSON with a weak ETag of its bytes; 304 when the client already has it. */
export function jsonWithEtag(req: Request, value: unknown, extra: Record<string, unknown> = {}): Response {
  const body = JSON.stringify(value)
  const etag = `W/"${Bun.hash(body).toString(36)}-${body.length.toString(36)}"`
  const headers = { etag, 'cache-control': 'no-cache', 'content-type': 'application/json', ...(extra as Record<string, string>) }
  if (matches(req.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers })
  return new Response(body, { headers })
}

/** The most clusters one dashboard page lists (the rest through X-Sky-Next-Cursor). */
const CLUSTERS_PAGE_MAX = 5000

const flag = (v: string | undefined) => v === 'true' || v === '1'

/** A cluster as the dashboard lists it: everything `sky status -o json` shows (no handle). */
function listed(c: ClusterRecord): Omit<ClusterRecord, 'handle'> {
  const { handle: _handle, ...rest } = c
  return rest
}

export function dashboardRoutes(d: AppDeps) {
  return new Elysia()
    .get('/', () => new Response(null, { status: 302, headers: { location: PREFIX } }))
    .get('/dashboard', serveDashboard)
    .get('/dashboard/*', serveDashboard)
    .get(
      '/api/dashboard/clusters',
      async ({ request, query }) => {
        const who = await d.identify(request)
        // As `sky status [-u]`: your clusters, or everyone's; any user may look at all of them.
        let rows = await d.store.clusters.list(flag(query.all_users) || query.name ? {} : { userId: who.id })
        if (query.name) rows = rows.filter((c) => c.name === query.name)
        const headers: Record<string, unknown> = {}
        const page = pageByKey(rows, (c) => c.name, query.cursor, pageLimit(query.limit, CLUSTERS_PAGE_MAX, CLUSTERS_PAGE_MAX), headers)
        return jsonWithEtag(request, page.map(listed), headers)
      },
      { query: t.Object({ all_users: t.Optional(t.String()), name: t.Optional(t.String()), limit: t.Optional(t.String()), cursor: t.Optional(t.String()) }) },
    )
    .get(
      '/api/dashboard/requests',
      async ({ request, query }) => {
        const who = await d.identify(request)
        // As `sky api status -a [-u]`: every status, newest first.
        const rows = await d.store.requests.list({
          userId: flag(query.all_users) ? undefined : who.id,
          limit: pageLimit(query.limit, 500),
        })
        return jsonWithEtag(request, rows.map((r) => encodeRequest(r, false)))
      },
      { query: t.Object({ all_users: t.Optional(t.String()), limit: t.Optional(t.String()) }) },
    )
    // Local server: `sky dashboard` asks for a one-time code (with the owner's token) and opens
    // the page with it in the URL fragment; the page trades it here for the token, once.
    .post('/api/dashboard/login-code', async ({ request }) => {
      await d.identify(request)
      if (!d.local) throw new NotFoundError('A deployed API server has no login codes; log in on the page.')
      return { code: d.local.newCode() }
    })
    .post(
      '/api/dashboard/session',
      ({ body }) => {
        const token = d.local?.redeem(body.code)
        if (!token) throw new NotFoundError('This dashboard link has expired or was already used.', { hint: 'Run sky dashboard again for a new link.' })
        return { local_token: token }
      },
      { body: t.Object({ code: t.String({ minLength: 1, maxLength: 100 }) }) },
    )
}
