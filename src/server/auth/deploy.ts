// Identity on a deployed server (`sky api start --deploy`): every route but /api/health and the
// dashboard's static files needs Basic or Bearer credentials. The guard runs before routing and
// remembers who sent each request, so route handlers' `identify` is a lookup. The client address
// (for login throttling) is the socket's, or, when the socket belongs to a proxy listed in
// `api_server.trusted_proxies`, the nearest untrusted address in its X-Forwarded-For.
import type { Server } from 'bun'
import { configGet } from '../../core/config'
import { UsageError } from '../../core/errors'
import type { Store } from '../../core/state/store'
import { inCidr, parseCidr, type Cidr } from '../../lib/net'
import type { Requester } from '../requests/service'
import { Authenticator, type AuthenticatorOptions } from './authenticator'

export const OPEN_PATHS: ReadonlySet<string> = new Set(['/api/health', '/', '/dashboard', '/api/dashboard/session', '/api/openapi.json'])

/** Routes anyone may load: health, and the dashboard's static files (its API calls log in). */
export function isOpenPath(path: string): boolean {
  return OPEN_PATHS.has(path) || path.startsWith('/dashboard/')
}

/** The path of a request URL without parsing the whole URL. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const q = url.indexOf('?', start)
  return q < 0 ? url.slice(start) : url.slice(start, q)
}

/** `api_server.trusted_proxies` (addresses or CIDRs); a malformed entry stops the server. */
export function trustedProxies(list: unknown = configGet('api_server.trusted_proxies')): Cidr[] {
  if (list === undefined || list === null) return []
  const items = Array.isArray(list) ? list : [list]
  return items.map((x, i) => {
    const c = typeof x === 'string' ? parseCidr(x) : undefined
    if (!c) throw new UsageError(`api_server.trusted_proxies[${i}]: '${String(x)}' is not an IP address or CIDR (e.g. 10.0.0.0/8).`)
    return c
  })
}

/** The client's address: the socket's, unless a trusted proxy forwarded the request. */
export function clientAddress(socketAddress: string, forwardedFor: string | null, trusted: Cidr[]): string {
  const isTrusted = (ip: string) => trusted.some((c) => inCidr(ip, c))
  if (!trusted.length || !forwardedFor || !isTrusted(socketAddress)) return socketAddress
  const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(hops[i]!)) return hops[i]!
  return hops[0] ?? socketAddress
}

export interface DeployAuth {
  auth: Authenticator
  identify(req: Request): Promise<Requester>
  guard(req: Request, server: Server<unknown> | null): Promise<void>
  attachServer(server: Server<unknown> | null | undefined): void
}

export function deployAuth(store: Store, o: AuthenticatorOptions & { trusted?: Cidr[] } = {}): DeployAuth {
  const auth = new Authenticator(store, o)
  const trusted = o.trusted ?? trustedProxies()
  const known = new WeakMap<Request, Requester>()
  let srv: Server<unknown> | null | undefined
  const peerOf = (req: Request, server?: Server<unknown> | null) =>
    clientAddress((server ?? srv)?.requestIP(req)?.address ?? 'unknown', req.headers.get('x-forwarded-for'), trusted)
  return {
    auth,
    async identify(req) {
      return known.get(req) ?? auth.authenticate(req, peerOf(req))
    },
    async guard(req, server) {
      if (isOpenPath(pathOf(req.url))) return
      known.set(req, await auth.authenticate(req, peerOf(req, server)))
    },
    attachServer(server) {
      srv = server
    },
  }
}
