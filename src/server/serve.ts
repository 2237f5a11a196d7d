// Server lifecycle: check who may call it, open the store, recover interrupted requests, start
// the executor and then the HTTP listener, collect old requests, and drain on SIGTERM.
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { configGet, configWarnings, setConfigRole } from '../core/config'
import { logger } from '../core/log'
import { UsageError } from '../core/errors'
import { ensureSecretFile, privateDir, privateFiles, writePrivateFile } from '../core/home-perms'
import { paths } from '../core/paths'
import { openStore, defaultDbLocation, type Store } from '../core/state/store'
import type { DbLocation } from '../core/state/db'
import { localUser } from '../core/user'
import { UploadStore } from '../core/uploads/store'
import { UserService } from '../core/users/service'
import { isLoopbackHost } from '../lib/net'
import { procStartTime } from '../lib/proc'
import { VERSION } from '../version'
import { createApp } from './app'
import { deployAuth } from './auth/deploy'
import { localAuth } from './auth/local'
import { SERVER_BODY_MAX } from './body'
import { ControllerHost } from './controllers/host'
import { startStatusRefresh } from './daemons'
import type { AppDeps } from './context'
import { localIdentify } from './identity'
import { loadPlugins, opIndex } from './ops/plugins'
import { DbQueue } from './requests/db-queue'
import { Executor } from './requests/executor'
import { logStoreFor } from './requests/log-store-for'
import { RequestService } from './requests/service'
import { laneSizing } from './requests/sizing'
import { enableIncrementalVacuum, Retention } from './retention'
import { bodyCipher, loadSecretsKey } from './secrets-cipher'

export interface ServerOptions {
  host: string
  port: number
  deploy: boolean
  db?: DbLocation
  /** Plugin module paths adding operations (also read from `api_server.plugins`). */
  plugins?: string[]
  /** Finished requests older than this are deleted (default `api_server.requests_retention_hours`, 24 h). */
  retentionMs?: number
  /** Write $SKY_HOME/api_server/server-<port>.json (`sky api stop` finds the server by it). */
  writePidFile?: boolean
  /** Several replicas on PostgreSQL: this replica's id (default SKYPILOT_API_SERVER_REPLICA_ID, else host:port). */
  replicaId?: string
  /** Several replicas: a RUNNING request unrenewed this long is taken over (default `api_server.lease_seconds`, 30 s). */
  leaseMs?: number
  /** Build everything but open no socket (tests call `app.handle`); default true. */
  listen?: boolean
}

export interface RunningServer {
  url: string
  port: number
  store: Store
  requests: RequestService
  /** The Elysia app: `app.handle(new Request('http://localhost/...'))` needs no socket. */
  app: ReturnType<typeof createApp>
  stop(graceMs?: number): Promise<void>
}

/** Refuse set-ups where anyone could act as anyone: see README, "Deploy for a team". */
export function checkExposure(o: { host: string; deploy: boolean; db: DbLocation }): void {
  if (!o.deploy && !isLoopbackHost(o.host)) {
    throw new UsageError(`--host ${o.host} makes the API server reachable from other machines, which needs --deploy (users must log in).`, {
      hint: `Use: sky api start --deploy --host ${o.host}  (first admin: SKYPILOT_INITIAL_ADMIN=name:password)`,
    })
  }
  if (!o.deploy && o.db.kind === 'postgres') {
    throw new UsageError('The state database is PostgreSQL (SKYPILOT_DB_CONNECTION_URI or db: in config), which a team shares; a server on it must authenticate users.', {
      hint: 'Start it with: sky api start --deploy   (or unset SKYPILOT_DB_CONNECTION_URI to use a local server of your own)',
    })
  }
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const log = logger('server')
  const startedAt = Date.now()
  // The server reads its own config file only; clients send their project config with requests.
  setConfigRole('server')
  for (const w of configWarnings()) log.warn(w)
  const db = o.db ?? defaultDbLocation()
  checkExposure({ host: o.host, deploy: o.deploy, db })
  privateDir(paths.home())
  privateDir(paths.serverDir())
  const store = await openStore(db)
  if (db.kind === 'sqlite') {
    privateFiles([db.path, `${db.path}-wal`, `${db.path}-shm`])
    await enableIncrementalVacuum(store)
  }
  store.requests.cipher = bodyCipher(loadSecretsKey())
  const plugins = [...(o.plugins ?? []), ...((configGet<string[]>('api_server.plugins') ?? []) as string[])]
  const pluginOps = await loadPlugins(plugins)
  const logs = logStoreFor(store, paths.requestLogs())
  const ops = opIndex(pluginOps)
  const svc = new RequestService(store, ops, logs)
  let dbQueue: DbQueue | undefined
  let controllers: ControllerHost | undefined
  const executor = new Executor({
    store,
    db,
    logDir: paths.requestLogs(),
    plugins,
    sizing: laneSizing(o.deploy),
    // A deployed server's workers sync only uploaded files (src/core/uploads/sources.ts).
    workerEnv: { SKY_SERVER_DEPLOY: o.deploy ? '1' : '' },
    onFinal: (id, status) => {
      svc.notifyFinal(id, status)
      dbQueue?.finished(id, status)
    },
    onCancelCluster: (rid, cluster, except) => svc.cancelClusterRequests(rid, cluster, except),
    onCancelRequests: (ids) => svc.cancel(ids),
    onControllerWake: (kind, key, o) => controllers?.wake(kind, key, o),
    onRoom: (lane) => dbQueue?.room(lane),
  })
  svc.attach(executor)
  const users = new UserService(store)
  const deps: AppDeps = {
    store,
    requests: svc,
    info: { deploy: o.deploy, host: o.host, port: o.port, startedAt, authMode: o.deploy ? 'password+token' : 'local-token' },
    identify: localIdentify(localUser()),
    pluginOps: pluginOps.map((p) => p.meta.name),
    users,
    uploads: new UploadStore(),
  }
  const auth = o.deploy ? deployAuth(store) : undefined
  if (auth) {
    users.onChange((id) => auth.auth.invalidateUser(id))
    deps.identify = auth.identify
    deps.guard = auth.guard
    const initial = process.env.SKYPILOT_INITIAL_ADMIN || configGet<string>('api_server.initial_admin')
    if (await users.ensureInitialAdmin(initial)) log.info('Created the first admin user from SKYPILOT_INITIAL_ADMIN.')
    else if ((await store.users.count()) === 0) {
      log.warn('No users exist, so every request will be refused. Set SKYPILOT_INITIAL_ADMIN=name:password and restart.')
    }
  } else {
    const local = localAuth(ensureSecretFile(paths.localToken()))
    deps.local = local
    deps.guard = (req) => local.guard(req)
  }
  const listen = o.listen !== false
  const replicaId = o.replicaId || process.env.SKYPILOT_API_SERVER_REPLICA_ID || `${hostname()}:${o.port || randomBytes(3).toString('hex')}`
  const leaseMs = o.leaseMs ?? Number(configGet('api_server.lease_seconds', 30)) * 1000
  if (store.db.kind === 'postgres' && listen) {
    executor.replicaId = replicaId
    dbQueue = new DbQueue({
      store,
      executor,
      ops,
      logs,
      replicaId,
      leaseMs,
      defaultRole: svc.defaultRole,
      onFinal: (id, status) => svc.notifyFinal(id, status),
      watched: () => svc.waitedIds(),
    })
    svc.attach(executor, dbQueue)
  }
  await svc.recover()
  // Managed jobs (and later services) run in the controller thread, resumed from the store.
  controllers = new ControllerHost({ db, replicaId, leaseMs, env: { SKY_SERVER_DEPLOY: o.deploy ? '1' : '' }, log: (l) => log.info(l) })
  void controllers.start().catch(() => {})

  // Listen only now, so `sky api start` returns once the server really serves.
  const app = createApp(deps)
  if (listen) app.listen({ hostname: o.host, port: o.port, idleTimeout: 0, maxRequestBodySize: SERVER_BODY_MAX })
  const port = app.server?.port ?? o.port
  deps.info.port = port
  auth?.attachServer(app.server)

  // Retention runs off the request path, in small batches (retention.ts).
  const retention = o.retentionMs ?? Number(configGet('api_server.requests_retention_hours', 24)) * 3600_000
  const collector = new Retention(store, logs, { logDir: paths.requestLogs(), checkpointMs: 1000 })
  // (in the background: a worker thread takes a few tens of ms to start)
  void collector.takeCheckpoints().catch(() => {})
  svc.retention = collector
  const gcTimer = setInterval(() => {
    void collector.collect(retention).catch((e) => log.warn('Collecting old requests failed:', e))
    void deps.uploads.collect().catch(() => {})
  }, Math.min(Math.max(retention, 60_000), 3600_000))
  gcTimer.unref?.()
  setTimeout(() => void collector.collect(retention).catch(() => {}), 0)

  const stopRefresh = listen ? startStatusRefresh(store, svc) : () => {}

  const pidFile = paths.serverRecord(port)
  if (o.writePidFile) {
    writePrivateFile(pidFile, JSON.stringify({ pid: process.pid, host: o.host, port, version: VERSION, startedAt, procStart: procStartTime(process.pid), deploy: o.deploy }))
  }

  let stopped = false
  return {
    url: `http://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${port}`,
    port,
    store,
    requests: svc,
    app,
    async stop(graceMs = 0) {
      if (stopped) return
      stopped = true
      clearInterval(gcTimer)
      collector.stop()
      stopRefresh()
      deps.info.draining = true
      await Promise.all([executor.shutdown(graceMs), controllers?.stop(graceMs)])
      await dbQueue?.stop()
      app.server?.stop(true)
      if (o.writePidFile) rmSync(pidFile, { force: true })
      await store.close()
    },
  }
}
