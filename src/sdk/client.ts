// The typed HTTP client the CLI and user programs use. Every operation returns a request id;
// `get`, `stream` and `streamAndGet` finish the loop. Server errors come back as the same typed
// error classes the server threw.
import { clientConfigOverride, configGet } from '../core/config'
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
import { API_VERSION, HEADER_API_VERSION, HEADER_REQUEST_ID, HEADER_VERSION, MIN_COMPATIBLE_API_VERSION, VERSION } from '../version'
import type { RequestPayload as WirePayload } from '../server/requests/encode'
import { ownLocalServerPid, replaceLocalServer, startLocalServer } from './autostart'
import { checkListenerIsOurs, readLocalToken } from './local-token'
import { describeBuilds, identifyServer, isOtherBuild, otherServerError } from './server-identity'
import { resolveEndpoint, type Endpoint } from './endpoint'

/** A request as the server reports it (`/api/get`, `/api/status`), with a typed result. */
export type RequestPayload<T = unknown> = Omit<WirePayload, 'return_value' | 'error' | 'status'> & {
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED'
  return_value?: T
  error?: WireError | null
}

export interface HealthInfo {
  status: string
  api_version: number
  version: string
  commit: string
  user?: { name: string; id: string }
  deploy?: boolean
  /** `local-token`: one Unix user's server; `password+token`: users log in (deployed). */
  auth_mode?: string
  basic_auth_enabled?: boolean
}

export interface ClientOptions {
  endpoint?: Endpoint
  /** Start a local server when none answers (default true for local endpoints). */
  autoStart?: boolean
  user?: UserIdentity
  token?: string
}

function isConnError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? ''
  return (
    ['ConnectionRefused', 'ECONNREFUSED', 'ECONNRESET', 'FailedToOpenSocket', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ConnectionClosed'].includes(code) ||
    /Unable to connect|ECONNREFUSED|connection refused|socket connection was closed/i.test(String((e as Error)?.message))
  )
}

export class SkyClient {
  readonly endpoint: Endpoint
  private autoStart: boolean
  private user: UserIdentity
  private token?: string
  private checkedVersion = false
  private localToken: string | undefined
  private checkedListener = false

  constructor(o: ClientOptions = {}) {
    this.endpoint = o.endpoint ?? resolveEndpoint()
    this.autoStart = o.autoStart ?? this.endpoint.isLocal
    this.user = o.user ?? localUser()
    this.token = o.token ?? process.env.SKYPILOT_SERVICE_ACCOUNT_TOKEN ?? configGet<string>('api_server.service_account_token')
  }

  private headers(extra?: Record<string, string>): Record<string, string> {
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
      if (this.endpoint.isLocal && ownLocalServerPid(this.endpoint) !== undefined) return 'replace'
      process.stderr.write(`Warning: the API server at ${this.endpoint.url} is another build of sky: ${describeBuilds(id)}.\n`)
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
    const doFetch = () => fetch(url, { ...init, headers: this.headers(init.headers as Record<string, string>) })
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
      const res = await fetch(this.endpoint.url + '/api/health', { headers: { [HEADER_API_VERSION]: String(API_VERSION) }, signal: AbortSignal.timeout(2500) })
      return (res.status === 200 || res.status === 401) && res.headers.has(HEADER_API_VERSION)
    } catch {
      return false
    }
  }

  async health(opts: { noAutoStart?: boolean } = {}): Promise<HealthInfo> {
    const res = await this.fetch('/api/health', {}, opts)
    return (await res.json()) as HealthInfo
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

  /** The request row, waiting until it is final. */
  async getRequest<T = unknown>(requestId: string): Promise<RequestPayload<T>> {
    for (;;) {
      const res = await this.fetch(`/api/get?request_id=${encodeURIComponent(requestId)}`)
      const r = (await res.json()) as RequestPayload<T>
      if (res.status !== 202) return r
    }
  }

  /** Wait for the request and return its result, or throw its error. */
  async get<T = unknown>(requestId: string): Promise<T> {
    const r = await this.getRequest<T>(requestId)
    if (r.status === 'SUCCEEDED') return r.return_value as T
    if (r.status === 'CANCELLED') throw new CancelledError(`Request ${r.request_id.slice(0, 8)} (${r.name}) was cancelled.`)
    throw r.error ? fromWire(r.error) : new InternalError(`Request ${r.request_id} failed.`)
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

  async streamAndGet<T = unknown>(requestId: string, out: (s: string) => void = (s) => process.stdout.write(s), signal?: AbortSignal): Promise<T> {
    for await (const s of this.stream(requestId, { signal })) out(s)
    return this.get<T>(requestId)
  }

  /** One page of requests (newest first) and the cursor of the next page, if any. */
  async apiStatusPage(o: { requestIds?: string[]; all?: boolean; allUsers?: boolean; limit?: number; cluster?: string; cursor?: string } = {}): Promise<{ rows: RequestPayload[]; next?: string }> {
    const q = new URLSearchParams()
    if (o.requestIds?.length) q.set('request_ids', o.requestIds.join(','))
    if (o.all) q.set('all_status', 'true')
    if (o.allUsers) q.set('all_users', 'true')
    if (o.limit) q.set('limit', String(Math.min(o.limit, 1000)))
    if (o.cluster) q.set('cluster_name', o.cluster)
    if (o.cursor) q.set('cursor', o.cursor)
    const res = await this.fetch(`/api/status?${q}`)
    return { rows: (await res.json()) as RequestPayload[], next: res.headers.get('x-sky-next-cursor') ?? undefined }
  }

  /** Requests page by page (at most `limit` in all; every one without a limit). */
  async *apiStatusPages(o: { requestIds?: string[]; all?: boolean; allUsers?: boolean; limit?: number; cluster?: string } = {}): AsyncGenerator<RequestPayload[]> {
    let left = o.limit ?? Infinity
    let cursor: string | undefined
    while (left > 0) {
      const page = await this.apiStatusPage({ ...o, limit: Math.min(left, 1000), cursor })
      const rows = page.rows.slice(0, left)
      if (rows.length) yield rows
      left -= rows.length
      if (!page.next || !page.rows.length) return
      cursor = page.next
    }
  }

  async apiStatus(o: { requestIds?: string[]; all?: boolean; allUsers?: boolean; limit?: number; cluster?: string } = {}): Promise<RequestPayload[]> {
    const out: RequestPayload[] = []
    for await (const rows of this.apiStatusPages(o)) for (const r of rows) out.push(r)
    return out
  }

  async apiCancel(o: { requestIds?: string[]; all?: boolean; allUsers?: boolean }): Promise<string[]> {
    const res = await this.fetch('/api/cancel', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_ids: o.requestIds, all: o.all, all_users: o.allUsers }),
    })
    return ((await res.json()) as { cancelled: string[] }).cancelled
  }
}

export function isConnectionError(e: unknown): boolean {
  return isConnError(e)
}
