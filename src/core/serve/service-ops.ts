// `sky serve up / update / down / status` on the server (run in request worker threads): check
// the YAML (nothing is recorded when it is invalid), record the service or its next version,
// wake its controller, and for down wait (a while) until the controller has removed it.
import { canActOnService, checkActOnService } from '../access'
import { ConflictError, NotFoundError, UsageError, ValidationError } from '../errors'
import { configGet } from '../config'
import type { Store } from '../state/store'
import { parseDag } from '../task/dag-parse'
import { resourcesSpecToString } from '../task/display'
import { serializeDag } from '../task/serialize'
import type { Task } from '../task/types'
import type { UpdateMode } from './autoscaler'
import type { UploadRefs } from '../uploads/sources'
import { findLbPort, lbHealth } from './lb/control'
import { serviceSpecFromTask } from './spec'
import { replicaToWire, serviceEndpoint, type ServiceRecord, type ServiceWire } from './types'
import { serviceDir } from './controller/files'

export const SERVE_KIND = 'serve'

export interface Caller {
  id: string
  name: string
  role?: string
}

export interface ServeCtx {
  store: Store
  user: Caller
  requestId: string | null
  signal: AbortSignal
  log(line: string): void
  wake(name: string, o?: { interrupt?: boolean }): void
}

const NAME_RE = /^[a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$/

/** The single task of a service YAML, with its service section checked. */
export function serviceTask(yaml: string): Task {
  const dag = parseDag(yaml)
  if (dag.tasks.length !== 1) throw new ValidationError([{ path: 'task', message: `a service runs one task; the YAML has ${dag.tasks.length}` }])
  const task = dag.tasks[0]!
  serviceSpecFromTask(task)
  if (!task.run) throw new ValidationError([{ path: 'run', message: 'is required for a service: the command that starts the replica\'s server' }])
  return task
}

export function checkServiceName(name: string): void {
  if (!NAME_RE.test(name) || name.length > 50) {
    throw new ValidationError([{ path: 'service_name', message: `'${name}' is not a valid service name: start with a letter, then letters, digits, '-', '_' or '.', at most 50 characters` }])
  }
}

function lbHost(): string {
  return configGet<string>('serve.load_balancer_host') ?? (process.env.SKY_SERVER_DEPLOY ? '0.0.0.0' : '127.0.0.1')
}

export async function ownedService(c: ServeCtx, name: string): Promise<ServiceRecord> {
  const svc = await c.store.services.get(name)
  if (!svc) throw new NotFoundError(`Service '${name}' does not exist.`, { hint: 'See your services with: sky serve status' })
  checkActOnService(svc, c.user)
  return svc
}

export async function serveUp(c: ServeCtx, b: { task: string; service_name?: string; override_skypilot_config?: Record<string, unknown>; uploads?: UploadRefs }): Promise<{ service_name: string; endpoint: string }> {
  const task = serviceTask(b.task)
  const name = b.service_name ?? task.name ?? `sky-service-${Math.random().toString(16).slice(2, 6)}`
  checkServiceName(name)
  const spec = serviceSpecFromTask(task)
  const host = lbHost()
  let svc: ServiceRecord | 'exists' | 'port' = 'port'
  for (let attempt = 0; attempt < 5 && svc === 'port'; attempt++) {
    const port = await findLbPort(await c.store.services.ports(), host)
    svc = await c.store.services.insert({
      name,
      userId: c.user.id,
      userName: c.user.name,
      userRole: c.user.role ?? null,
      lbHost: host,
      lbPort: port,
      taskYaml: serializeDag({ tasks: [{ ...task, name: task.name ?? name }] }, { redactSecrets: false }),
      uploads: b.uploads ?? null,
      config: b.override_skypilot_config ?? null,
      requestId: c.requestId,
    })
  }
  if (svc === 'exists') throw new ConflictError(`Service '${name}' already exists.`, { hint: `Update it with: sky serve update ${name} <yaml>, or pick another name with -n.` })
  if (svc === 'port') throw new ConflictError('No free load balancer port could be recorded; try again.')
  c.wake(name)
  // The endpoint answers (503 until a replica is ready) by the time the caller prints it.
  const deadline = Date.now() + 20_000
  while (!(await lbHealth(serviceDir(name))) && Date.now() < deadline && !c.signal.aborted) await Bun.sleep(20)
  const cur = (await c.store.services.get(name)) ?? svc
  const endpoint = serviceEndpoint(cur, !!spec.tls, configGet<string>('serve.endpoint_host'))
  c.log(`Service '${name}' is starting; endpoint: ${endpoint}`)
  return { service_name: name, endpoint }
}

export async function serveUpdate(c: ServeCtx, b: { task: string; service_name: string; mode?: UpdateMode; uploads?: UploadRefs }): Promise<{ service_name: string; version: number }> {
  const svc = await ownedService(c, b.service_name)
  if (svc.downRequested) throw new ConflictError(`Service '${svc.name}' is shutting down.`)
  const task = serviceTask(b.task)
  const mode = b.mode ?? 'rolling'
  if (mode !== 'rolling' && mode !== 'blue_green') throw new UsageError(`--mode must be rolling or blue_green, not '${mode}'.`)
  const yaml = serializeDag({ tasks: [{ ...task, name: task.name ?? svc.name }] }, { redactSecrets: false })
  const version = await c.store.services.addVersion(svc.name, yaml, mode, b.uploads ?? null)
  c.wake(svc.name)
  c.log(`Updating service '${svc.name}' to version ${version} (${mode}).`)
  return { service_name: svc.name, version }
}

export async function serveStatus(store: Store, names?: string[]): Promise<ServiceWire[]> {
  const services = await store.services.list(names?.length ? names : undefined)
  if (names?.length) {
    const missing = names.filter((n) => !services.some((s) => s.name === n))
    if (missing.length) throw new NotFoundError(`Service${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} not found.`, { hint: 'See your services with: sky serve status' })
  }
  return Promise.all(
    services.map(async (s) => {
      const [versions, replicas] = await Promise.all([store.services.versions(s.name), store.services.replicas(s.name)])
      const cur = versions.find((v) => v.version === s.currentVersion) ?? versions[versions.length - 1]
      let tls = false
      let auth = false
      let policy = 'least_load'
      let res = '-'
      if (cur) {
        const task = parseDag(cur.taskYaml).tasks[0]!
        const spec = serviceSpecFromTask(task)
        tls = !!spec.tls
        auth = !!spec.auth
        policy = spec.loadBalancingPolicy
        res = resourcesSpecToString(task.resources)
      }
      return {
        name: s.name,
        status: s.status,
        user_name: s.userName,
        endpoint: serviceEndpoint(s, tls, configGet<string>('serve.endpoint_host')),
        uptime: s.uptime === null ? null : Math.floor(s.uptime / 1000),
        version: s.currentVersion,
        active_versions: s.activeVersions,
        load_balancing_policy: policy,
        tls,
        auth,
        requested_resources_str: res,
        created_at: Math.floor(s.createdAt / 1000),
        failure: s.failure,
        replica_info: replicas.map(replicaToWire),
      }
    }),
  )
}

async function waitGone(c: ServeCtx, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && !c.signal.aborted) {
    if (await check()) return true
    await Bun.sleep(100)
  }
  return false
}

export async function serveDown(c: ServeCtx, b: { service_names?: string[]; all?: boolean; purge?: boolean; replica_id?: number }): Promise<{ removed: string[]; still_shutting_down: string[] }> {
  if (b.replica_id !== undefined) {
    if (b.service_names?.length !== 1) throw new UsageError('--replica-id needs exactly one service name.')
    const svc = await ownedService(c, b.service_names[0]!)
    const r = (await c.store.services.replicas(svc.name)).find((x) => x.replicaId === b.replica_id)
    if (!r) throw new NotFoundError(`Service '${svc.name}' has no replica ${b.replica_id}.`, { hint: `See its replicas with: sky serve status ${svc.name}` })
    await c.store.services.updateReplica(svc.name, r.replicaId, { removeRequested: true })
    c.wake(svc.name)
    const gone = await waitGone(c, async () => !(await c.store.services.replicas(svc.name)).some((x) => x.replicaId === r.replicaId), 120_000)
    c.log(gone ? `Replica ${r.replicaId} of service '${svc.name}' is terminated.` : `Replica ${r.replicaId} of service '${svc.name}' is shutting down.`)
    return { removed: gone ? [`${svc.name}/${r.replicaId}`] : [], still_shutting_down: gone ? [] : [`${svc.name}/${r.replicaId}`] }
  }
  let targets: ServiceRecord[]
  if (b.all) targets = (await c.store.services.list()).filter((s) => canActOnService(s, c.user))
  else if (b.service_names?.length) targets = await Promise.all(b.service_names.map((n) => ownedService(c, n)))
  else throw new UsageError('Give service names, or -a for all of your services.')
  for (const s of targets) {
    await c.store.services.requestDown(s.name, !!b.purge)
    c.wake(s.name, { interrupt: true })
  }
  const names = targets.map((s) => s.name)
  if (!names.length) c.log('No services to shut down.')
  await waitGone(c, async () => (await c.store.services.list(names)).length === 0, 180_000)
  const left = (await c.store.services.list(names)).map((s) => s.name)
  const removed = names.filter((n) => !left.includes(n))
  if (removed.length) c.log(`Service${removed.length > 1 ? 's' : ''} ${removed.map((n) => `'${n}'`).join(', ')} removed.`)
  if (left.length) c.log(`Still shutting down: ${left.join(', ')} (see: sky serve status).`)
  return { removed, still_shutting_down: left }
}
