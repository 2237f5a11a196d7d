// What a request operation is: its name, lane, whether a crashed server may re-run it, and the
// handler that runs in a worker thread. Metadata lives apart from handlers so the server thread
// never loads provisioner code.
import type { Store } from '../../core/state/store'
import type { Lane } from '../../core/state/requests'

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

export interface OpMeta {
  /** Request name as shown in `sky api status`, e.g. `sky.status`. */
  name: string
  lane: Lane
  /** Safe to run again from the start if the server died while it ran. */
  idempotent: boolean
  /** The cluster a request acts on, for `sky api status -c` and down/stop cancellation. */
  cluster?: (body: Record<string, unknown>) => string | undefined
  /** Cancel the request when a client following its log (`/api/stream`) disconnects. */
  cancelOnDisconnect?: boolean
}

export type OpHandler = (ctx: OpContext, body: any) => Promise<unknown>

/** A module that adds operations (server plugins; tests use one to inject handlers). */
export interface PluginModule {
  ops: (OpMeta & { handler: OpHandler })[]
}
