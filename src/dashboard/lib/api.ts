// The dashboard's client for the same REST API the CLI uses: submit an operation (its request id
// comes back in x-skypilot-request-id), wait for its result with /api/get, stream logs with
// /api/stream. A 401 anywhere calls the unauthorized handler (the login form). Calls are typed by
// the API's definitions and wire types (src/api), imported as types only: nothing of them is
// bundled, yet a wrong route, body or result field fails type-checking.
import type { AnyEndpoint, AnyOp, BodyOf, ResultOf } from '../../api/define'
import type { Health, RequestPayload } from '../../api/wire'
import { authHeader } from './auth'

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly hint?: string,
  ) {
    super(message)
  }
}

interface WireError {
  code?: string
  message?: string
  hint?: string
}

export type RequestRow<T = unknown> = RequestPayload<T>

let onUnauthorized: (e: ApiError) => void = () => {}

export function setUnauthorizedHandler(fn: (e: ApiError) => void): void {
  onUnauthorized = fn
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  let wire: WireError | undefined
  try {
    wire = (JSON.parse(text) as { error?: WireError }).error
  } catch {}
  if (wire?.message) return new ApiError(wire.message, res.status, wire.code, wire.hint)
  if (res.status === 401) return new ApiError('Log in to use this API server.', 401, 'AUTH_REQUIRED')
  if (res.status === 403) return new ApiError(text || 'Permission denied.', 403, 'PERMISSION_DENIED')
  if (res.status === 404) return new ApiError(text || 'Not found.', 404, 'NOT_FOUND')
  return new ApiError(`The API server answered HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`, res.status)
}

/** fetch with credentials; non-2xx answers become ApiError. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  // Marks the call as a script's, so a server can answer 401 without a browser password prompt.
  headers.set('x-requested-with', 'XMLHttpRequest')
  const auth = authHeader()
  if (auth) headers.set(auth[0], auth[1])
  let res: Response
  try {
    res = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' })
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    throw new ApiError('Cannot reach the API server.', 0, 'SERVER_UNREACHABLE')
  }
  // 304: the caller sent If-None-Match and already has this answer.
  if (res.ok || res.status === 304) return res
  const err = await errorOf(res)
  if (res.status === 401) onUnauthorized(err)
  throw err
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, { signal })).json()) as T
}

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}), signal })
}

/** POST an operation; returns its request id. */
export async function submit(path: string, body: unknown, signal?: AbortSignal): Promise<string> {
  const res = await post(path, body, signal)
  const id = res.headers.get('x-skypilot-request-id') ?? ((await res.json()) as { request_id?: string }).request_id
  if (!id) throw new ApiError(`The API server returned no request id for ${path}.`, res.status)
  return id
}

/** Wait for a request to finish: its return value, or its error as an ApiError. */
export async function result<T>(id: string, signal?: AbortSignal): Promise<T> {
  for (;;) {
    const res = await request(`/api/get?request_id=${encodeURIComponent(id)}`, { signal })
    const r = (await res.json()) as RequestRow<T>
    if (res.status === 202) continue
    if (r.status === 'SUCCEEDED') return r.return_value as T
    if (r.status === 'CANCELLED') throw new ApiError(`Request ${id.slice(0, 8)} (${r.name}) was cancelled.`, 200, 'CANCELLED')
    const e: WireError = r.error ?? {}
    throw new ApiError(e.message ?? `Request ${id.slice(0, 8)} (${r.name}) failed.`, 200, e.code, e.hint)
  }
}

/**
 * A GET list polled with ETags: the server answers 304 when nothing changed, and get() then
 * returns the very same object as last time (so pollers can skip re-rendering by identity).
 */
export class EtagJson<T> {
  private etag: string | undefined
  private data: T | undefined
  private path: string | undefined

  async get(path: string, signal?: AbortSignal): Promise<T> {
    if (path !== this.path) {
      this.path = path
      this.etag = undefined
      this.data = undefined
    }
    const headers: Record<string, string> = this.etag && this.data !== undefined ? { 'if-none-match': this.etag } : {}
    const res = await request(path, { signal, headers })
    if (res.status === 304 && this.data !== undefined) return this.data
    const data = (await res.json()) as T
    if (path === this.path) {
      this.data = data
      this.etag = res.headers.get('etag') ?? undefined
    }
    return data
  }
}

/**
 * Submit an operation and wait for its result, typed by its definition:
 * `call<typeof queue>('/queue', { cluster_name })` with `import type { queue } from 'src/api/ops/jobs'`.
 */
export async function call<O extends AnyOp>(route: O['route'], body: BodyOf<O>, signal?: AbortSignal): Promise<ResultOf<O>> {
  return result<ResultOf<O>>(await submit(route, body, signal), signal)
}

/** Submit an operation (typed by its definition); returns its request id. */
export function submitOp<O extends AnyOp>(route: O['route'], body: BodyOf<O>, signal?: AbortSignal): Promise<string> {
  return submit(route, body, signal)
}

/** GET a direct endpoint with its query, typed by its definition. */
export async function getEndpoint<E extends AnyEndpoint>(route: E['route'], query: Partial<Record<keyof BodyOf<E>, string | number | boolean>> = {}, signal?: AbortSignal): Promise<ResultOf<E>> {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v))
  const qs = q.toString()
  return getJson<ResultOf<E>>(qs ? `${route}?${qs}` : route, signal)
}

/** POST a direct endpoint's body, typed by its definition. */
export async function postEndpoint<E extends AnyEndpoint>(route: E['route'], body: BodyOf<E>, signal?: AbortSignal): Promise<ResultOf<E>> {
  const res = await post(route, body, signal)
  return (await res.json()) as ResultOf<E>
}

/** A log as text chunks until the server closes it (request finished) or signal aborts. */
export async function* streamText(path: string, signal: AbortSignal): AsyncGenerator<string> {
  const res = await request(path, { signal })
  if (!res.body) return
  // An empty first chunk: connected (a log view shows it is live before any output).
  yield ''
  const reader = res.body.getReader()
  const dec = new TextDecoder()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const s = dec.decode(value, { stream: true })
      if (s) yield s
    }
    const rest = dec.decode()
    if (rest) yield rest
  } finally {
    reader.releaseLock()
  }
}

export function cancelRequests(ids: string[]): Promise<{ cancelled: string[] }> {
  // keepalive: also sent while the page unloads (closing a log follower on reload or tab close).
  return request('/api/cancel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request_ids: ids }), keepalive: true }).then(
    (r) => r.json() as Promise<{ cancelled: string[] }>,
  )
}

export async function health(): Promise<Health> {
  return getJson<Health>('/api/health')
}
