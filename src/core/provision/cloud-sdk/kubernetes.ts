// The only module that imports @kubernetes/client-node. It is bundled with the other cloud SDK
// adapters into the separately built file the compiled binary embeds (see ./load.ts), so the
// client never enters the CLI's module graph. Nothing of sky is imported here (the bundle would
// get its own copies): callers get plain objects and `KubeApiError`s with a status and reason.
//
// What client-node gives: kubeconfig loading and merging, every way a kubeconfig authenticates
// (certificate and key data or files, tokens and token files, exec credential plugins such as
// `aws eks get-token` or `gke-gcloud-auth-plugin`, OIDC and the GCP/Azure providers), the typed
// CoreV1Api, and exec over WebSocket (`v5.channel.k8s.io`, falling back to v4).
//
// What it cannot do under Bun, and what is done instead: REST calls hand the kubeconfig's CA and
// client certificate to an undici Agent, an empty class under Bun, so every https call failed
// with "unable to verify the first certificate" and client certificates were never sent. Here
// REST goes through an HttpLibrary on Bun's own fetch with `tls: { ca, cert, key }`, and watches
// are read with the same fetch (client-node's Watch has no way to take another HTTP library).
// Pod creation sends its manifest verbatim (the generated serializer keeps only fields its
// models know, which would drop newer `pod_config` keys silently).
import { PassThrough, Writable } from 'node:stream'
import { CoreV1Api, createConfiguration, Exec, KubeConfig, ResponseContext, ServerConfiguration, wrapHttpLibrary, type RequestContext } from '@kubernetes/client-node'

/** A failed API call: `status` 0 when the server was never reached (`reason` says why). */
export class KubeApiError extends Error {
  override name = 'KubeApiError'
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
    readonly kind: 'http' | 'connect' | 'config',
  ) {
    super(message)
  }
}

export interface KubeTls {
  ca?: string
  cert?: string
  key?: string
  rejectUnauthorized?: boolean
  serverName?: string
}

export interface ExecOptions {
  namespace: string
  pod: string
  container: string
  command: string[]
  /** Bytes for the command's stdin (closed at the end); absent: no stdin stream. */
  stdin?: AsyncIterable<Uint8Array> | Uint8Array | string
  onStdout?: (chunk: Uint8Array) => void
  onStderr?: (chunk: Uint8Array) => void
  signal?: AbortSignal
}

export interface ExecResult {
  /** The command's exit code; null when the stream ended without a status (connection lost, aborted). */
  code: number | null
  /** The remotecommand status message for failures that are not an exit code (no such container...). */
  message?: string
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: Record<string, unknown>
}

export interface KubeClient {
  context: string
  server: string
  /** The context's own namespace (kubeconfig), if it names one. */
  namespace?: string
  core: CoreV1Api
  /** A JSON call (`path` from the server root); resolves with the parsed body. */
  request<T = unknown>(method: string, path: string, o?: { query?: Record<string, string | number | boolean | undefined>; body?: unknown; signal?: AbortSignal; timeoutMs?: number }): Promise<T>
  /** Stream watch events until the server ends the watch or `signal` aborts. */
  watch(path: string, query: Record<string, string | number | boolean | undefined>, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void>
  exec(o: ExecOptions): Promise<ExecResult>
}

const DEFAULT_TIMEOUT_MS = 30_000

function qs(query: Record<string, string | number | boolean | undefined> | undefined): string {
  if (!query) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

function connectError(e: unknown, server: string): KubeApiError {
  const err = e as { code?: string; message?: string; name?: string }
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
    return new KubeApiError(`${server}: no answer in time`, 0, 'Timeout', 'connect')
  }
  const code = err?.code ?? ''
  const msg = err?.message ?? String(e)
  const why = /ConnectionRefused|ECONNREFUSED/i.test(`${code} ${msg}`)
    ? 'connection refused'
    : /certificate|self.signed|UNABLE_TO|DEPTH_ZERO|verify|CERT_|issuer/i.test(`${code} ${msg}`)
      ? `TLS: ${msg}`
      : /ENOTFOUND|getaddrinfo|DNS/i.test(`${code} ${msg}`)
        ? `cannot resolve the host (${msg})`
        : msg
  return new KubeApiError(`${server}: ${why}`, 0, code || 'ConnectionFailed', 'connect')
}

/** The API's Status body (or whatever came back) as an error. */
function statusError(status: number, body: string): KubeApiError {
  let reason = ''
  let message = body.trim().slice(0, 500)
  try {
    const s = JSON.parse(body) as { reason?: string; message?: string }
    reason = s.reason ?? ''
    message = s.message ?? message
  } catch {}
  if (!reason) reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'NotFound' : `HTTP${status}`
  if (!message) message = reason
  return new KubeApiError(message, status, reason, 'http')
}

function combine(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const t = timeoutMs === 0 ? undefined : AbortSignal.timeout(timeoutMs ?? DEFAULT_TIMEOUT_MS)
  if (signal && t) return AbortSignal.any([signal, t])
  return signal ?? t
}

const text = (s: Buffer | string | undefined | null): string | undefined => (s === undefined || s === null ? undefined : typeof s === 'string' ? s : s.toString())

/** Load the kubeconfig files (kubectl's merge: the first file naming a context, cluster or user wins). */
function loadConfig(files: string[], context: string): KubeConfig {
  const kc = new KubeConfig()
  let loaded = false
  for (const f of files) {
    const one = new KubeConfig()
    try {
      one.loadFromFile(f)
    } catch (e) {
      throw new KubeApiError(`${f}: not a valid kubeconfig (${(e as Error).message.split('\n')[0]})`, 0, 'InvalidKubeconfig', 'config')
    }
    if (!loaded) {
      kc.loadFromOptions({ clusters: one.clusters, users: one.users, contexts: one.contexts, currentContext: one.currentContext })
      loaded = true
      continue
    }
    for (const c of one.clusters) if (!kc.getCluster(c.name)) kc.addCluster(c)
    for (const u of one.users) if (!kc.getUser(u.name)) kc.addUser(u)
    for (const c of one.contexts) if (!kc.getContextObject(c.name)) kc.addContext(c)
  }
  const ctx = kc.getContextObject(context)
  if (!ctx) throw new KubeApiError(`context '${context}' is not in ${files.join(', ')}`, 0, 'NoSuchContext', 'config')
  if (!kc.getCluster(ctx.cluster)) throw new KubeApiError(`context '${context}' names cluster '${ctx.cluster}', which the kubeconfig does not define`, 0, 'NoSuchCluster', 'config')
  if (ctx.user && !kc.getUser(ctx.user)) throw new KubeApiError(`context '${context}' names user '${ctx.user}', which the kubeconfig does not define`, 0, 'NoSuchUser', 'config')
  kc.setCurrentContext(context)
  return kc
}

/** TLS material and auth headers for one call (exec plugins' tokens are cached by client-node). */
async function credentials(kc: KubeConfig): Promise<{ tls: KubeTls; headers: Record<string, string> }> {
  const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string>; rejectUnauthorized?: boolean; servername?: string; auth?: string } = {}
  try {
    await kc.applyToHTTPSOptions(opts as never)
  } catch (e) {
    throw new KubeApiError(`could not get credentials: ${(e as Error).message}`, 0, 'CredentialsFailed', 'config')
  }
  const headers: Record<string, string> = { ...(opts.headers ?? {}) }
  if (opts.auth && !headers.Authorization) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
  const tls: KubeTls = { ca: text(opts.ca), cert: text(opts.cert), key: text(opts.key) }
  if (opts.rejectUnauthorized === false) tls.rejectUnauthorized = false
  if (opts.servername) tls.serverName = opts.servername
  return { tls, headers }
}

/** A client for one context of the given kubeconfig files. Throws KubeApiError('config') when it cannot be used. */
export function kubeClient(files: string[], context: string): KubeClient {
  const kc = loadConfig(files, context)
  const cluster = kc.getCurrentCluster()!
  const server = cluster.server.replace(/\/+$/, '')
  if (!/^https?:\/\//.test(server)) throw new KubeApiError(`context '${context}': server '${cluster.server}' is not an http(s) URL`, 0, 'InvalidServer', 'config')

  const send = async (url: string, init: RequestInit & { timeoutMs?: number }): Promise<Response> => {
    const { tls, headers } = await credentials(kc)
    try {
      return await fetch(url, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) }, signal: combine(init.signal ?? undefined, init.timeoutMs), tls } as RequestInit)
    } catch (e) {
      throw connectError(e, server)
    }
  }

  const httpApi = wrapHttpLibrary({
    async send(req: RequestContext): Promise<ResponseContext> {
      const res = await send(req.getUrl(), { method: req.getHttpMethod(), headers: req.getHeaders(), body: req.getBody() as BodyInit | undefined })
      const headers: Record<string, string> = {}
      res.headers.forEach((v, k) => (headers[k] = v))
      const text = await res.text()
      // Errors keep the API's Status (client-node drops the body of some, e.g. 401).
      if (res.status >= 400) throw statusError(res.status, text)
      return new ResponseContext(res.status, headers, { text: async () => text, binary: async () => Buffer.from(text), stream: () => null })
    },
  })
  const core = new CoreV1Api(createConfiguration({ baseServer: new ServerConfiguration(server, {}), httpApi }))

  return {
    context,
    server,
    namespace: kc.getContextObject(context)?.namespace,
    core,
    async request<T>(method: string, path: string, o: { query?: Record<string, string | number | boolean | undefined>; body?: unknown; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
      const res = await send(`${server}${path}${qs(o.query)}`, {
        method,
        headers: o.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: o.signal,
        timeoutMs: o.timeoutMs,
      })
      const text = await res.text()
      if (res.status >= 400) throw statusError(res.status, text)
      return (text ? JSON.parse(text) : {}) as T
    },
    async watch(path, query, onEvent, signal) {
      const res = await send(`${server}${path}${qs({ ...query, watch: true })}`, { headers: { accept: 'application/json' }, signal, timeoutMs: 0 })
      if (res.status >= 400) throw statusError(res.status, await res.text())
      const decoder = new TextDecoder()
      let buf = ''
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true })
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim()
            buf = buf.slice(nl + 1)
            if (line) onEvent(JSON.parse(line) as WatchEvent)
          }
        }
      } catch (e) {
        if (signal.aborted) return
        throw connectError(e, server)
      }
    },
    exec: (o) => execIn(kc, server, o),
  }
}

const exitCodeOf = (s: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } }): ExecResult => {
  if (s.status === 'Success') return { code: 0 }
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode')
  if (cause && Number.isFinite(Number(cause.message))) return { code: Number(cause.message) }
  return { code: null, message: s.message ?? s.reason ?? 'exec failed' }
}

/** Most bytes queued on the socket before stdin waits (client-node itself writes without limit). */
const HIGH_WATER = 4 << 20

async function execIn(kc: KubeConfig, server: string, o: ExecOptions): Promise<ExecResult> {
  const sink = (fn?: (c: Uint8Array) => void) =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        fn?.(chunk)
        cb()
      },
    })
  const stdin = o.stdin === undefined ? null : new PassThrough()
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false
    const done = (r: ExecResult) => {
      if (settled) return
      settled = true
      o.signal?.removeEventListener('abort', onAbort)
      resolve(r)
    }
    let ws: { close(): void; bufferedAmount?: number; addEventListener?: (ev: string, fn: (e: unknown) => void) => void; on?: (ev: string, fn: (e: unknown) => void) => void } | undefined
    const onAbort = () => {
      ws?.close()
      done({ code: null, message: 'aborted' })
    }
    if (o.signal?.aborted) return done({ code: null, message: 'aborted' })
    o.signal?.addEventListener('abort', onAbort, { once: true })
    new Exec(kc)
      .exec(o.namespace, o.pod, o.container, o.command, sink(o.onStdout), sink(o.onStderr), stdin, false, (status) => done(exitCodeOf(status as never)))
      .then(
        (socket) => {
          ws = socket as unknown as typeof ws
          const onClose = () => setTimeout(() => done({ code: null, message: 'the exec stream closed without an exit status' }), 0)
          if (ws?.addEventListener) ws.addEventListener('close', onClose)
          else ws?.on?.('close', onClose)
          if (stdin) void feed(stdin, o.stdin!, () => ws?.bufferedAmount ?? 0, () => settled)
        },
        (e: unknown) => {
          if (settled) return
          settled = true
          o.signal?.removeEventListener('abort', onAbort)
          const ev = e as { message?: string; error?: unknown; target?: unknown }
          const inner = (ev?.error ?? e) as { message?: string }
          const msg = inner?.message ?? ev?.message ?? ''
          const m = /Unexpected server response: (\d+)|status (\d{3})/.exec(msg)
          reject(m ? new KubeApiError(`exec into ${o.pod}: ${msg}`, Number(m[1] ?? m[2]), 'ExecRefused', 'http') : connectError(inner?.message ? inner : new Error(msg || 'exec connection failed'), server))
        },
      )
  })
}

async function feed(out: PassThrough, src: AsyncIterable<Uint8Array> | Uint8Array | string, buffered: () => number, stopped: () => boolean): Promise<void> {
  const CHUNK = 1 << 20
  const write = async (b: Uint8Array) => {
    for (let i = 0; i < b.length; i += CHUNK) {
      if (stopped()) return
      out.write(Buffer.from(b.buffer, b.byteOffset + i, Math.min(CHUNK, b.length - i)))
      while (buffered() > HIGH_WATER && !stopped()) await new Promise((r) => setTimeout(r, 2))
    }
  }
  try {
    if (typeof src === 'string') await write(Buffer.from(src))
    else if (src instanceof Uint8Array) await write(src)
    else for await (const b of src) await write(b)
  } finally {
    out.end()
  }
}
