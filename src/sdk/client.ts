// The HTTP client behind the SDK and the CLI: auth headers, local-server auto-start, version
// checks, and server errors rebuilt as the same typed error classes the server threw. Operations
// (src/api/ops/*) call it to submit requests; `get`, `stream` and `streamAndGet` finish them.
import { clientConfigOverride, configGet } from '../core/config'
import { logger } from '../core/log'
import {
  AuthRequiredError,
  CancelledError,
  InternalError,
  PermissionDeniedError,
  ServerUnreachableError,
  VersionMismatchError,
  fromWire,
  type WireError,
} from '../core/errors'
import { localUser, type UserIdentity } from '../core/user'
import { fillRoute, type Caller, type EndpointMethod, type RequestId } from '../api/define'
import type { Health, RequestPayload } from '../api/wire'
import { API_VERSION, HEADER_API_VERSION, HEADER_REQUEST_ID, HEADER_VERSION, MIN_COMPATIBLE_API_VERSION, VERSION } from '../version'
import { checkListenerIsOurs, readLocalToken } from './local-token'
import { describeBuilds, identifyServer, isOtherBuild, otherServerError } from './server-identity'
import { resolveEndpoint, type Endpoint } from './endpoint'

export type { RequestPayload }

export interface ClientOptions {
  endpoint?: Endpoint
  /** Start a local server when none answers (default true for local endpoints). */
  autoStart?: boolean
  user?: UserIdentity
  token?: string
  /** How to send HTTP requests (default global fetch); e.g. an app's in-process handler. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>
}

function isConnError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? ''
  return (
    ['ConnectionRefused', 'ECONNREFUSED', 'ECONNRESET', 'FailedToOpenSocket', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ConnectionClosed'].includes(code) ||
    /Unable to connect|ECONNREFUSED|connection refused|socket connection was closed/i.test(String((e as Error)?.message))
  )
}

export class SkyClient implements Caller {
  readonly endpoint: Endpoint
  private autoStart: boolean
  private user: UserIdentity
  private token?: string
  private checkedVersion = false
  private send: (url: string, init: RequestInit) => Promise<Response>
  private localToken: string | undefined
  private checkedListener = false

  constructor(o: ClientOptions = {}) {
    this.endpoint = o.endpoint ?? resolveEndpoint()
    this.autoStart = o.autoStart ?? this.endpoint.isLocal
    this.user = o.user ?? localUser()
    this.send = o.fetch ?? ((url, init) => fetch(url, init))
    this.token = o.token ?? process.env.SKYPILOT_SERVICE_ACCOUNT_TOKEN ?? configGet<string>('api_server.service_account_token')
  }

  /** Identity, auth and version headers of every call (also the SSH proxy's WebSocket). */
  headers(extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = {
      [HEADER_API_VERSION]: String(API_VERSION),
      [HEADER_VERSION]: VERSION,
      'x-sky-user-id': this.user.id,
      'x-sky-user-name': this.user.name,
      ...extra,
    }
    if (this.token) h.authorization = `Bearer ${this.token}`
    else if (this.endpoint.authorization) h.authorization = this.endpoint.authorization
    else if (this.endpoint.isLocal) {
      // A local server of our own: present its token, once we know the listener is ours.
      if (!this.checkedListener) {
        checkListenerIsOurs(this.endpoint.port, this.endpoint.url)
        this.checkedListener = true
      }
      const t = (this.localToken ??= readLocalToken())
      if (t) h['x-sky-local-token'] = t
    }
    return h
  }

  private usesLocalToken(): boolean {
    return this.endpoint.isLocal && !this.token && !this.endpoint.authorization
  }

  /**
   * Who answers, checked on the first response: SkyPilot's own server (or anything else) is an
   * error naming it; a sky server of another build is replaced when it is this SKY_HOME's local
   * server ('replace'), else reported once; an API too old for this client is an error.
   */
  private async checkServer(res: Response): Promise<'ok' | 'replace'> {
    if (this.checkedVersion) return 'ok'
    const id = await identifyServer(res, this.endpoint.url, this.headers())
    if (id.kind !== 'sky') throw otherServerError(id, this.endpoint.url, this.endpoint.isLocal)
    const v = res.headers.get(HEADER_API_VERSION)
    if (isOtherBuild(id)) {
      const { ownLocalServerPid } = await import('./autostart')
      if (this.endpoint.isLocal && ownLocalServerPid(this.endpoint) !== undefined) return 'replace'
      logger('sdk').warn(`the API server at ${this.endpoint.url} is another build of sky: ${describeBuilds(id)}.`)
    }
    if (v !== null && Number(v) < MIN_COMPATIBLE_API_VERSION) {
      const sv = res.headers.get(HEADER_VERSION) ?? 'unknown'
      throw new VersionMismatchError(
        `The API server is too old: it runs version ${sv} (API ${v}); this client (version ${VERSION}) needs API ${MIN_COMPATIBLE_API_VERSION} or newer.`,
        { hint: this.endpoint.isLocal ? 'Restart the local server on this version: sky api stop; sky api start' : 'Ask the administrator to upgrade the API server.' },
      )
    }
    this.checkedVersion = true
    return 'ok'
  }

  /**
   * Replace this SKY_HOME's local server of another build. A GET is asked again of the new server;
   * a POST the old one accepted is not sent twice: its request is in the shared store, and the new
   * server recovers it (or the old one finishes it while it drains).
   */
  private async replaceServer(res: Response, retry: () => Promise<Response>, method: string): Promise<Response> {
    const id = await identifyServer(res, this.endpoint.url, this.headers())
    const why = id.kind === 'sky' ? describeBuilds(id) : 'it is another build of sky'
    const stillStale = async () => {
      try {
        const r = await fetch(this.endpoint.url + '/api/health', { headers: this.headers(), signal: AbortSignal.timeout(2500) })
        return isOtherBuild(await identifyServer(r, this.endpoint.url, this.headers()))
      } catch {
        return false
      }
    }
    const { replaceLocalServer } = await import('./autostart')
    await replaceLocalServer(this.endpoint, () => this.healthy(), stillStale, why)
    if (method === 'POST' && res.ok) {
      this.checkedVersion = true
      return res
    }
    const again = await retry()
    if ((await this.checkServer(again)) === 'replace') throw new VersionMismatchError(`The local API server at ${this.endpoint.url} is still another build of sky after a restart.`, { hint: 'sky api stop; sky api start' })
    return again
  }

  /** Raw fetch with headers, auto-start, version check and typed errors for non-2xx answers. */
  async fetch(path: string, init: RequestInit = {}, opts: { noAutoStart?: boolean } = {}): Promise<Response> {
    const url = this.endpoint.url + path
    const doFetch = () => this.send(url, { ...init, headers: this.headers(init.headers as Record<string, string>) })
    let res: Response
    try {
      res = await doFetch()
    } catch (e) {
      if (!isConnError(e)) throw e
      if (!this.autoStart || opts.noAutoStart) {
        throw new ServerUnreachableError(`Could not reach the API server at ${this.endpoint.url}.`, {
          hint: this.endpoint.isLocal ? 'Start it with: sky api start' : 'Check the endpoint and your network, or log in again with: sky api login -e <url>',
        })
      }
      const { startLocalServer } = await import('./autostart')
      await startLocalServer(this.endpoint, () => this.healthy())
      this.checkedListener = false
      this.localToken = undefined
      res = await doFetch()
    }
    // A server that started between reading its token and connecting: read it again, once.
    if (res.status === 401 && this.usesLocalToken()) {
      const sent = this.localToken
      this.localToken = readLocalToken()
      if (this.localToken && this.localToken !== sent) res = await doFetch()
    }
    if ((await this.checkServer(res)) === 'replace') res = await this.replaceServer(res, doFetch, (init.method ?? 'GET').toUpperCase())
    if (res.status >= 400) throw await this.errorOf(res)
    return res
  }

  private async errorOf(res: Response) {
    const text = await res.text()
    let wire: WireError | undefined
    try {
      wire = (JSON.parse(text) as { error?: WireError }).error
    } catch {}
    if (wire?.code) return fromWire(wire)
    if (res.status === 401) return new AuthRequiredError(`The API server at ${this.endpoint.url} requires login.`, { hint: `Log in with: sky api login -e ${this.endpoint.url}` })
    if (res.status === 403) return new PermissionDeniedError(text || 'Permission denied.')
    return new InternalError(`API server answered HTTP ${res.status}: ${text.slice(0, 500)}`)
  }

  /** Whether a sky API server answers at the endpoint (health needs no credentials). */
  async healthy(): Promise<boolean> {
    try {
      const res = await this.send(this.endpoint.url + '/api/health', { headers: { [HEADER_API_VERSION]: String(API_VERSION) }, signal: AbortSignal.timeout(2500) })
      return (res.status === 200 || res.status === 401) && res.headers.has(HEADER_API_VERSION)
    } catch {
      return false
    }
  }

  async health(opts: { noAutoStart?: boolean } = {}): Promise<Health> {
    const res = await this.fetch('/api/health', {}, opts)
    return (await res.json()) as Health
  }

  /** POST an operation; returns its request id. The client's config layers ride along, as in SkyPilot. */
  async submit(path: string, body: Record<string, unknown> = {}): Promise<string> {
    const config = body.override_skypilot_config === undefined ? clientConfigOverride() : undefined
    const payload = config ? { ...body, override_skypilot_config: config } : body
    const res = await this.fetch(path, { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
    const id = res.headers.get(HEADER_REQUEST_ID) ?? ((await res.json()) as { request_id?: string }).request_id
    if (!id) throw new InternalError(`The API server did not return a request id for ${path}.`)
    return id
  }

  /** Call a direct endpoint: GET with the input as query parameters, or POST it as JSON. */
  async call(method: EndpointMethod, path: string, input: unknown = {}): Promise<unknown> {
    return bodyOf(await this.callRaw(method, path, input))
  }

  /** One page of a paged list endpoint, and the next page's cursor (X-Sky-Next-Cursor), if any. */
  async page(method: EndpointMethod, path: string, input: unknown = {}): Promise<{ items: unknown; next?: string }> {
    const res = await this.callRaw(method, path, input)
    return { items: await bodyOf(res), next: res.headers.get(HEADER_NEXT_CURSOR) ?? undefined }
  }

  private callRaw(method: EndpointMethod, route: string, input: unknown): Promise<Response> {
    const { path, rest } = fillRoute(route, (input ?? {}) as Record<string, unknown>)
    if (method !== 'POST') {
      // PUT: the input's `bytes` is the raw body; the rest is the query, as for GET.
      const bytes = method === 'PUT' ? ((rest.bytes as Uint8Array | undefined) ?? new Uint8Array(0)) : undefined
      delete rest.bytes
      const q = new URLSearchParams()
      for (const [k, v] of Object.entries(rest)) {
        if (v !== undefined && v !== null) q.set(k, Array.isArray(v) ? v.join(',') : String(v))
      }
      const qs = q.toString()
      const url = qs ? `${path}?${qs}` : path
      return bytes ? this.fetch(url, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } }) : this.fetch(url)
    }
    return this.fetch(path, { method: 'POST', body: JSON.stringify(rest), headers: { 'content-type': 'application/json' } })
  }

  /** The request row, waiting until it is final. */
  async getRequest<T = unknown>(requestId: RequestId<T> | string): Promise<RequestPayload<T>> {
    for (;;) {
      const res = await this.fetch(`/api/get?request_id=${encodeURIComponent(requestId)}`)
      const r = (await res.json()) as RequestPayload<T>
      if (res.status !== 202) return r
    }
  }

  /** Wait for the request and return its result, or throw its error. */
  async get<T = unknown>(requestId: RequestId<T> | string): Promise<T> {
    const r = await this.getRequest<T>(requestId)
    if (r.status === 'SUCCEEDED') return r.return_value as T
    if (r.status === 'CANCELLED') throw new CancelledError(`Request ${r.request_id.slice(0, 8)} (${r.name}) was cancelled.`)
    throw r.error ? fromWire(r.error as WireError) : new InternalError(`Request ${r.request_id} failed.`)
  }

  /** The request's log as text chunks, following until it ends (or only what exists, follow=false). */
  async *stream(requestId?: string, o: { follow?: boolean; tail?: number; signal?: AbortSignal } = {}): AsyncGenerator<string> {
    const q = new URLSearchParams()
    if (requestId) q.set('request_id', requestId)
    q.set('follow', String(o.follow ?? true))
    if (o.tail) q.set('tail', String(o.tail))
    const res = await this.fetch(`/api/stream?${q}`, { signal: o.signal })
    if (!res.body) return
    const dec = new TextDecoder()
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const s = dec.decode(chunk, { stream: true })
      if (s) yield s
    }
    const rest = dec.decode()
    if (rest) yield rest
  }

  /** Stream the request's log to `out` (default stdout), then return its result. */
  async streamAndGet<T = unknown>(requestId: RequestId<T> | string, out: (s: string) => void = (s) => process.stdout.write(s), signal?: AbortSignal): Promise<T> {
    for await (const s of this.stream(requestId, { signal })) out(s)
    return this.get<T>(requestId)
  }
}

const HEADER_NEXT_CURSOR = 'x-sky-next-cursor'

const bodyOf = (res: Response): Promise<unknown> => ((res.headers.get('content-type') ?? '').includes('json') ? res.json() : res.text())

export function isConnectionError(e: unknown): boolean {
  return isConnError(e)
}
