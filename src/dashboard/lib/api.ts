// The dashboard's client for the same REST API the CLI uses: submit an operation (its request id
// comes back in x-skypilot-request-id), wait for its result with /api/get, stream logs with
// /api/stream. A 401 anywhere calls the unauthorized handler (the login form).
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

export interface RequestRow<T = unknown> {
  request_id: string
  name: string
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED'
  user_id: string
  user_name: string
  cluster_name: string | null
  created_at: number
  started_at: number | null
  finished_at: number | null
  status_msg: string | null
  return_value?: T
  error?: WireError | null
}

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
    const e = r.error ?? {}
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

/** Submit an operation and wait for its result. */
export async function call<T>(path: string, body: unknown = {}, signal?: AbortSignal): Promise<T> {
  return result<T>(await submit(path, body, signal), signal)
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

export interface Health {
  auth_mode?: string
  status: string
  version: string
  commit: string
  api_version: number
  user?: { name: string; id: string }
  deploy?: boolean
}

export async function health(): Promise<Health> {
  return getJson<Health>('/api/health')
}
