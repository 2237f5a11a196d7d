// What route plugins share: the store, the request service, server facts, and identity lookup.
import type { Store } from '../core/state/store'
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
}
