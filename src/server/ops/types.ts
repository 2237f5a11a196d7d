// What handlers get from the server: the request context of an operation (run in a worker thread)
// and of a direct endpoint (run on the server thread), and the executor's view of an operation.
// Operations themselves are defined in src/api (defineOp / defineEndpoint).
import type { Store } from '../../core/state/store'
import type { Lane } from '../../core/state/requests'
import type { AppDeps } from '../context'
import type { Requester } from '../requests/service'

export interface OpUser {
  id: string
  name: string
  role?: string
}

export interface OpContext {
  requestId: string
  user: OpUser
  signal: AbortSignal
  store: Store
  /** Append raw text to the request log (what `sky api logs` and the CLI stream show). */
  write(text: string): void
  /** Append one line. */
  log(line: string): void
  /** Ask the server to cancel other active requests on a cluster (stop/down do this). */
  cancelClusterRequests(cluster: string, exceptNames: string[]): Promise<string[]>
  /** Cancel other requests by id (a cancelled managed job's queued requests); returns those cancelled. */
  cancelRequests(ids: string[]): Promise<string[]>
  /** Wake an object of the controller runtime (e.g. a managed job), on every replica. */
  wakeController(kind: string, key: string, o?: { interrupt?: boolean }): void
}

export interface EndpointContext {
  deps: AppDeps
  request: Request
  /** Who is calling; `anonymous` only on public endpoints called without credentials. */
  who: Requester
  anonymous: boolean
  /** Response status and headers (Elysia's `set`). */
  set: { status?: number | string; headers: Record<string, string | number> }
}

/** What the request service and executor need of an operation (every defineOp result is one). */
export interface OpMeta {
  /** Request name as shown in `sky api status`, e.g. `sky.status`. */
  name: string
  lane: Lane
  /** Safe to run again from the start if the server died while it ran. */
  idempotent: boolean
  /** The cluster a request acts on, for `sky api status -c` and down/stop cancellation. */
  cluster?: (body: any) => string | undefined
  /** Cancel the request when a client following its log (`/api/stream`) disconnects. */
  cancelOnDisconnect?: boolean
}
