// Finishing a request (SkyPilot's sky.get / sky.stream_and_get), and the synchronous helpers built
// on operations: tailLogs streams a job's log and returns its exit code.
import type { AnyEndpoint, BodyOf, CallOptions, RequestId, ResultOf } from '../api/define'
import { logs } from '../api/ops/jobs'
import type { SkyClient } from './client'
import { defaultClient } from './default-client'

export interface ClientOption {
  client?: SkyClient
}

const clientOf = (o?: ClientOption) => o?.client ?? defaultClient()

/** Wait for a request and return its result; a failed request throws the server's typed error. */
export function get<T>(requestId: RequestId<T> | string, o?: ClientOption): Promise<T> {
  return clientOf(o).get<T>(requestId)
}

/** A request's log as text chunks, following it until it ends (the latest request when no id). */
export function stream(requestId?: string, o: ClientOption & { follow?: boolean; tail?: number; signal?: AbortSignal } = {}): AsyncGenerator<string> {
  return clientOf(o).stream(requestId, o)
}

/** Stream a request's log to `output` (default stdout) while it runs, then return its result. */
export function streamAndGet<T>(requestId: RequestId<T> | string, o: ClientOption & { output?: (text: string) => void; signal?: AbortSignal } = {}): Promise<T> {
  return clientOf(o).streamAndGet<T>(requestId, o.output, o.signal)
}

/**
 * Stream a job's log (the latest job by default) to `output` and return SkyPilot's job exit code:
 * 0 succeeded, 100 failed, 101 not finished (follow=false), 102 not found, 103 cancelled.
 */
export async function tailLogs(
  clusterName: string,
  jobId?: number,
  o: ClientOption & { follow?: boolean; tail?: number; output?: (text: string) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const id = await logs({ cluster_name: clusterName, job_id: jobId, follow: o.follow ?? true, tail: o.tail }, o as CallOptions)
  return (await streamAndGet(id, o)).exit_code
}

/**
 * A paged list endpoint (`apiStatus`, `listUsers`, `listTokens`, `dashboardClusters`) page by page,
 * following X-Sky-Next-Cursor; at most `max` items in all (every one without it).
 */
export async function* pages<D extends AnyEndpoint>(
  def: D,
  input: Omit<BodyOf<D>, 'cursor'> = {} as Omit<BodyOf<D>, 'cursor'>,
  o: ClientOption & { max?: number } = {},
): AsyncGenerator<ResultOf<D>> {
  const c = clientOf(o)
  const per = (input as { limit?: number }).limit
  let left = o.max ?? Infinity
  let cursor: string | undefined
  while (left > 0) {
    const limit = Number.isFinite(left) ? Math.min(left, per ?? 1000) : per
    const page = await c.page(def.method, def.route, { ...input, limit, cursor })
    const items = (page.items as unknown[]).slice(0, Number.isFinite(left) ? left : undefined)
    if (items.length) yield items as ResultOf<D>
    left -= items.length
    if (!page.next || !(page.items as unknown[]).length) return
    cursor = page.next
  }
}
