// What route plugins share: the store, the request service, server facts, and identity lookup.
import type { Server } from 'bun'
import type { Store } from '../core/state/store'
import type { UploadStore } from '../core/uploads/store'
import type { UserService } from '../core/users/service'
import type { LocalAuth } from './auth/local'
import type { Requester, RequestService } from './requests/service'

export interface ServerInfo {
  deploy: boolean
  host: string
  port: number
  startedAt: number
  /** Set on SIGTERM: new operations are refused with 503 while running ones finish. */
  draining?: boolean
  /** How callers prove who they are: the local token (one Unix user), or users' credentials. */
  authMode: 'local-token' | 'password+token'
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
  /** Authenticate a request before routing (throws AuthRequiredError). */
  guard?: (request: Request, server: Server<unknown> | null) => Promise<void>
  /** Files uploaded by clients (workdirs, file mounts). */
  uploads: UploadStore
  /** Local server: its token check and the dashboard's one-time codes. */
  local?: LocalAuth
}
