// The API server in this process, answered through `app.handle` (no socket): real store (SQLite
// in a temp dir), real request service, real worker threads. `client()` is an SDK client whose
// HTTP goes to the same handler. Dispose with `await using` or close().
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SkyClient } from '../../src/sdk/client'
import { parseEndpoint } from '../../src/sdk/endpoint'
import { startServer, type RunningServer } from '../../src/server/serve'
import { setEnv, TEST_PLUGIN } from './index'

export interface InProcessServer extends AsyncDisposable {
  dir: string
  srv: RunningServer
  /**
   * One request through the app: `handle('/status', { method: 'POST', json: {} })`. A local
   * server's requests carry its owner's token (as the CLI sends it) unless `localToken: false`.
   */
  handle(path: string, init?: RequestInit & { json?: unknown; localToken?: boolean }): Promise<Response>
  /** An SDK client talking to this app (as `user`, or with an Authorization header). */
  client(o?: { user?: { id: string; name: string }; authorization?: string; token?: string }): SkyClient
  close(): Promise<void>
}

export async function inProcessServer(o: { deploy?: boolean; plugins?: boolean; config?: string } = {}): Promise<InProcessServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sky-app-'))
  mkdirSync(dir, { recursive: true })
  if (o.config) writeFileSync(join(dir, 'config.yaml'), o.config)
  // Paths and config resolve through SKY_HOME; HOME too, so nothing reads the developer's home.
  const restore = setEnv({ SKY_HOME: dir, HOME: dir })
  const srv = await startServer({
    host: '127.0.0.1',
    port: 0,
    deploy: !!o.deploy,
    listen: false,
    plugins: o.plugins ? [TEST_PLUGIN] : [],
    db: { kind: 'sqlite', path: join(dir, 'state.db') },
  })
  const token = o.deploy ? undefined : readFileSync(join(dir, 'api_server', 'local.token'), 'utf8').trim()
  const handle = (path: string, init: RequestInit & { json?: unknown; localToken?: boolean } = {}) => {
    const { json, localToken, ...rest } = init
    const headers = new Headers(rest.headers)
    if (token && localToken !== false && !headers.has('x-sky-local-token')) headers.set('x-sky-local-token', token)
    if (json !== undefined) headers.set('content-type', 'application/json')
    return srv.app.handle(new Request(`http://localhost${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body }))
  }
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await srv.stop()
    restore()
    rmSync(dir, { recursive: true, force: true })
  }
  return {
    dir,
    srv,
    handle,
    client(c = {}) {
      const authorization = c.authorization
      return new SkyClient({
        endpoint: { ...parseEndpoint('http://localhost', 'env'), authorization },
        autoStart: false,
        user: c.user ?? { id: 'abcd1234', name: 'alice' },
        token: c.token,
        fetch: (url, init) => srv.app.handle(new Request(url, init)),
      })
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
