// The web dashboard: GET /dashboard and /dashboard/* serve the embedded front end (any other path
// under it is the single-page app's index.html), and / redirects there. The files need no auth:
// the page loads, then authenticates its own API calls exactly as the CLI does.
//
// Two read-only lists under /api/dashboard/ (src/api/ops/dashboard.ts) let open tabs poll
// cheaply, with the access rules of src/core/access.ts. Every action goes through the REST
// operations (/stop, /cancel, /api/cancel ...), where the server checks the user's rights.
import { Elysia } from 'elysia'
import * as dashboard from '../../api/ops/dashboard'
import type { AppDeps } from '../context'
import { dashboardAssets, type DashboardAsset } from '../dashboard-assets'
import { matches } from '../endpoints/dashboard'
import { routesFor } from './from-definitions'

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

export function dashboardRoutes(d: AppDeps) {
  return new Elysia()
    .get('/', () => new Response(null, { status: 302, headers: { location: PREFIX } }))
    .get('/dashboard', serveDashboard)
    .get('/dashboard/*', serveDashboard)
    .use(routesFor(d, dashboard))
}
