// The HTTP(S) front of one test cluster: listen (plain or TLS with client-certificate and
// bearer-token authentication), record each request (so tests can see what a client asked for),
// send JSON and Status errors, and hand upgrades (exec over WebSocket or SPDY) to their protocol.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { createServer as createTls, type Server as TlsServer, type TLSSocket } from 'node:tls'
import { KubeError, unauthorized } from './status'

export interface RequestRecord {
  method: string
  url: string
  accept: string
  contentType: string
  userAgent: string
  upgrade: string
  protocols: string
  user: string
  status?: number
}

export interface TlsMaterial {
  key: string
  cert: string
  /** CA that signs accepted client certificates. */
  clientCA: string
}

export interface FrontOptions {
  host: string
  tls?: TlsMaterial
  /** Accepted bearer tokens → user name. */
  tokens: Map<string, string>
  /** Whether requests must authenticate (a client certificate or a token). */
  requireAuth: boolean
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void>
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext): void
}

export interface RequestContext {
  url: URL
  user: string
  record: RequestRecord
}

/** Paths anyone may read, as with the apiserver's system:public-info-viewer role. */
const PUBLIC = new Set(['/version', '/healthz', '/livez', '/readyz'])

export interface Front {
  server: Server | TlsServer
  url: string
  port: number
  requests: RequestRecord[]
  close(): Promise<void>
}

function authenticate(req: IncomingMessage, o: FrontOptions): string | undefined {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) {
    const user = o.tokens.get(auth.slice(7).trim())
    if (user) return user
  }
  const sock = req.socket as TLSSocket
  if (o.tls && sock.authorized) {
    const cn = sock.getPeerCertificate?.()?.subject?.CN
    return cn ? `cert:${cn}` : 'cert'
  }
  return o.requireAuth ? undefined : 'anonymous'
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const data = Buffer.from(JSON.stringify(body))
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': data.length, 'Cache-Control': 'no-cache, private' })
  res.end(data)
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof KubeError ? err : new KubeError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`)
  if (!(err instanceof KubeError)) console.error('k8s harness: request failed:', err)
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendJson(res, e.code, e.toStatus())
}

/** Write an error on a raw socket of a refused upgrade. */
export function refuseUpgrade(socket: Duplex, err: KubeError): void {
  const body = JSON.stringify(err.toStatus())
  socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

export async function startFront(o: FrontOptions): Promise<Front> {
  const requests: RequestRecord[] = []
  const context = (req: IncomingMessage): RequestContext | undefined => {
    const url = new URL(req.url ?? '/', 'http://x')
    const user = authenticate(req, o)
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      accept: req.headers.accept ?? '',
      contentType: req.headers['content-type'] ?? '',
      userAgent: req.headers['user-agent'] ?? '',
      upgrade: req.headers.upgrade ?? '',
      protocols: [req.headers['sec-websocket-protocol'], req.headers['x-stream-protocol-version']].flat().filter(Boolean).join(','),
      user: user ?? '',
    }
    requests.push(record)
    if (requests.length > 20_000) requests.splice(0, 10_000)
    if (!user && !PUBLIC.has(url.pathname)) return undefined
    return { url, user: user ?? 'anonymous', record }
  }
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const ctx = context(req)
    res.on('finish', () => ctx && (ctx.record.status = res.statusCode))
    if (!ctx) {
      requests[requests.length - 1]!.status = 401
      sendError(res, unauthorized())
      req.resume()
      return
    }
    o.handle(req, res, ctx).catch((e) => sendError(res, e))
  }
  // TLS is terminated by a node:tls server whose sockets are handed to the HTTP server: under Bun,
  // node:https does not expose the client certificate's subject, node:tls does.
  const http = createHttp(onRequest)
  const sockets = new Set<Duplex>()
  const track = (s: Duplex) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  }
  const server: Server | TlsServer = o.tls
    ? createTls({ key: o.tls.key, cert: o.tls.cert, ca: o.tls.clientCA, requestCert: true, rejectUnauthorized: false }, (sock) => {
        track(sock)
        http.emit('connection', sock)
      })
    : http
  if (!o.tls) http.on('connection', track)
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const ctx = context(req)
    if (!ctx) {
      requests[requests.length - 1]!.status = 401
      refuseUpgrade(socket, unauthorized())
      return
    }
    try {
      o.upgrade(req, socket, head, ctx)
    } catch (e) {
      refuseUpgrade(socket, e instanceof KubeError ? e : new KubeError(500, 'InternalError', String(e)))
    }
  })
  http.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, o.host, () => resolve())
  })
  const port = (server.address() as { port: number }).port
  const url = `${o.tls ? 'https' : 'http'}://${o.host}:${port}`
  return {
    server,
    url,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
        http.closeAllConnections?.()
      }),
  }
}
