// Identity on a deployed server (`sky api start --deploy`): every route but /api/health and the
// dashboard's static files needs Basic or Bearer credentials. The guard runs before routing and
// remembers who sent each request, so route handlers' `identify` is a lookup. Peer addresses
// come from the socket.
import type { Server } from 'bun'
import type { Store } from '../../core/state/store'
import type { Requester } from '../requests/service'
import { Authenticator, type AuthenticatorOptions } from './authenticator'

export const OPEN_PATHS: ReadonlySet<string> = new Set(['/api/health', '/', '/dashboard'])

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

export interface DeployAuth {
  auth: Authenticator
  identify(req: Request): Promise<Requester>
  guard(req: Request, server: Server<unknown> | null): Promise<void>
  attachServer(server: Server<unknown> | null | undefined): void
}

export function deployAuth(store: Store, o: AuthenticatorOptions = {}): DeployAuth {
  const auth = new Authenticator(store, o)
  const known = new WeakMap<Request, Requester>()
  let srv: Server<unknown> | null | undefined
  const peerOf = (req: Request, server?: Server<unknown> | null) => (server ?? srv)?.requestIP(req)?.address ?? 'unknown'
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
