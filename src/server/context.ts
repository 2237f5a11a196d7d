// What route plugins share: the store, the request service, server facts, and identity lookup.
import type { Server } from 'bun'
import type { Store } from '../core/state/store'
import type { UserService } from '../core/users/service'
import type { Requester, RequestService } from './requests/service'

export interface ServerInfo {
  deploy: boolean
  host: string
  port: number
  startedAt: number
  /** Set on SIGTERM: new operations are refused with 503 while running ones finish. */
  draining?: boolean
}

export interface AppDeps {
  store: Store
  requests: RequestService
  info: ServerInfo
  /** Who is calling (auth). Throws AuthRequiredError / PermissionDeniedError. */
  identify: (req: Request) => Promise<Requester>
  /** Extra operations loaded from plugin modules, by name. */
  pluginOps: string[]
  /** Users and service-account tokens (managed over /users/*). */
  users: UserService
  /** Deployed server: authenticate a request before routing (throws AuthRequiredError). */
  guard?: (request: Request, server: Server<unknown> | null) => Promise<void>
}
