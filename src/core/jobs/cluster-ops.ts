// Every interaction of the managed-jobs controller with clusters goes through this adapter, so the
// controller does not depend on how the cluster layer is built: ensure a task's cluster (the same
// launch path as `sky launch`: optimizer, failover, agent, file sync), submit the task with a key
// that makes a repeated submission find the first one, poll the job, copy its log, ask whether the
// cluster still exists, and tear it down.
//
// Local clusters' agent state lives on this machine, so polls and log reads open the agent's
// database and log files directly (read-only) instead of starting an agent process per poll.
import { Database } from 'bun:sqlite'
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs'
import { AgentClient } from '../clusters/agent-client'
import { jobDemand } from '../clusters/demand'
import { installAgent, launch, planFor } from '../clusters/launch'
import { downCluster } from '../clusters/lifecycle'
import { provisionerFor } from '../clusters/provisioners'
import { handleOf, type Actor } from '../clusters/record'
import { daemonState } from '../agent/daemon-control'
import { getJob, listJobs } from '../agent/job-store'
import { layout } from '../agent/layout'
import { isTerminal, type JobInfo, type JobStatus, type SubmitSpec } from '../agent/types'
import { toSkyError } from '../errors'
import type { BlockedResource } from '../optimizer'
import { shellQuote } from '../provision/agent-command'
import { removeLocalCluster } from '../provision/local'
import type { ClusterHandle } from '../provision/types'
import type { ClusterRecord } from '../state/clusters'
import type { Store } from '../state/store'
import { serializeDag } from '../task/serialize'
import type { Task } from '../task/types'
import type { LaunchedInfra } from './types'

export interface OpsCtx {
  store: Store
  actor: Actor
  signal: AbortSignal
  log: (line: string) => void
}

export type EnsureResult =
  | { ok: true; infra: LaunchedInfra }
  /**
   * precheck: nothing could ever fit (FAILED_PRECHECKS); capacity: every candidate failed or is
   * blocked; busy: the nodes that fit (SSH pools, Kubernetes) are in use by other clusters now.
   */
  | { ok: false; kind: 'precheck' | 'capacity' | 'busy'; message: string; blocked: BlockedResource[] }

export interface EnsureOptions {
  name: string
  task: Task
  blocked: BlockedResource[]
  /** Launch only where the task ran before (FAILOVER's first recovery step). */
  pinTo?: LaunchedInfra | null
  /** Safety net: the cluster tears itself down after this many idle minutes. */
  autodownMinutes: number
}

function pinned(task: Task, at: LaunchedInfra): Task {
  const infra = { cloud: at.cloud, ...(at.region ? { region: at.region } : {}) }
  return { ...task, resources: { mode: 'single', candidates: [{ ...(task.resources.candidates[0] ?? {}), infra }] } }
}

/** Create (or resume, or reuse) the task's cluster; the job itself is submitted separately. */
export async function ensureCluster(c: OpsCtx, o: EnsureOptions): Promise<EnsureResult> {
  const task = o.pinTo ? pinned(o.task, o.pinTo) : o.task
  let chosen: { infra: string; region: string } | undefined
  try {
    chosen = (await planFor(c.store, task)).chosen
  } catch (e) {
    const err = toSkyError(e)
    if (err.code !== 'RESOURCES_UNAVAILABLE' && err.code !== 'VALIDATION') throw err
    return { ok: false, kind: liveBusy(err) ? 'busy' : o.pinTo ? 'capacity' : 'precheck', message: err.message, blocked: o.blocked }
  }
  await waitQuiet(c.store, o.name, c.signal)
  const { run: _run, setup: _setup, ...clusterOnly } = task
  // The cluster layer picks an SSH pool's free host without a lock: launches on one pool take
  // turns here, so two jobs never land on the same host.
  const release = chosen?.infra === 'ssh' ? await poolTurn(`ssh/${chosen.region}`) : undefined
  try {
    await launch(
      { store: c.store, actor: c.actor, signal: c.signal, log: c.log, write: (t) => c.log(t.replace(/\n$/, '')) },
      {
        task: serializeDag({ tasks: [clusterOnly] }, { redactSecrets: false }),
        cluster_name: o.name,
        idle_minutes_to_autostop: o.autodownMinutes,
        autostop_down: true,
        blocked: o.blocked,
        command: `sky jobs launch (managed job cluster)`,
      },
    )
  } catch (e) {
    const err = toSkyError(e)
    if (err.code !== 'RESOURCES_UNAVAILABLE' && err.code !== 'PROVISION_FAILED') throw err
    const blocked = (err.details?.blocked as BlockedResource[] | undefined) ?? o.blocked
    return { ok: false, kind: liveBusy(err) ? 'busy' : 'capacity', message: err.message, blocked }
  } finally {
    release?.()
  }
  const rec = await c.store.clusters.get(o.name)
  if (!rec) throw new Error(`cluster '${o.name}' disappeared right after its launch`)
  return { ok: true, infra: { cloud: rec.infra.cloud, region: rec.infra.region ?? null, zone: rec.infra.zone ?? null } }
}

/** The optimizer found nothing because the SSH / Kubernetes nodes that fit are in use (they free up). */
function liveBusy(err: { details?: Record<string, unknown> }): boolean {
  const rejected = (err.details?.rejected as { infra: string; reason: string }[] | undefined) ?? []
  // Until provisioners raise a typed "nodes in use" error, the SSH pool's message says so.
  const failover = (err.details?.failover as string[] | undefined) ?? []
  if (failover.length && failover.every((f) => /in use by cluster/.test(f))) return true
  return rejected.some((r) => (r.infra === 'ssh' || r.infra === 'kubernetes') && !r.reason.startsWith('not enabled') && !r.reason.includes('blocked'))
}

const turns = new Map<string, Promise<void>>()

/** Wait for the pool's previous launch to finish; returns the release of this one. */
async function poolTurn(pool: string): Promise<() => void> {
  const prev = turns.get(pool) ?? Promise.resolve()
  let release!: () => void
  const mine = new Promise<void>((r) => (release = r))
  const chain = prev.then(() => mine)
  turns.set(pool, chain)
  await prev
  return () => {
    release()
    if (turns.get(pool) === chain) turns.delete(pool)
  }
}

/** Wait while someone's stop/down of this cluster is still running (it would undo our launch). */
async function waitQuiet(store: Store, name: string, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 600 && !signal.aborted; i++) {
    const busy = await store.requests.list({ statuses: ['PENDING', 'RUNNING'], clusterName: name })
    if (!busy.some((r) => r.name === 'sky.down' || r.name === 'sky.stop')) return
    await Bun.sleep(100)
  }
}

async function clusterOf(store: Store, name: string): Promise<{ rec: ClusterRecord; handle: ClusterHandle } | undefined> {
  const rec = await store.clusters.get(name)
  if (!rec?.handle) return undefined
  return { rec, handle: handleOf(rec) }
}

async function withAgent<T>(handle: ClusterHandle, fn: (a: AgentClient) => Promise<T>): Promise<T> {
  const p = await provisionerFor(handle.cloud)
  const runner = p.runner(handle, 0)
  try {
    return await fn(new AgentClient(runner, handle))
  } finally {
    await runner.close()
  }
}

/** Read-only view of a local cluster's agent database (undefined when it is gone). */
function localAgentDb<T>(handle: ClusterHandle, fn: (db: Database) => T): T | undefined {
  const file = layout(handle.runtimeDir).db
  if (!existsSync(file)) return undefined
  let db: Database | undefined
  try {
    db = new Database(file, { readonly: true })
    db.exec('PRAGMA busy_timeout = 2000')
    return fn(db)
  } catch {
    return undefined
  } finally {
    db?.close()
  }
}

export interface AgentJobState {
  status: JobStatus | null
  exitCode: number | null
}

async function agentJobs(handle: ClusterHandle): Promise<JobInfo[]> {
  if (handle.cloud === 'local') {
    const rows = localAgentDb(handle, (db) => listJobs(db, {}))
    if (!rows) throw new Error('the local cluster has no agent state')
    return rows.map((j) => ({ id: j.id, taskId: j.taskId, status: j.status, exitCode: j.exitCode }) as JobInfo)
  }
  return withAgent(handle, (a) => a.call<JobInfo[]>('queue', ['--all-users']))
}

/** The newest job with this task key on the cluster (a baseline before a new submission). */
export async function latestTaskJob(store: Store, name: string, taskKey: string): Promise<number | null> {
  const cl = await clusterOf(store, name)
  if (!cl) return null
  const ids = (await agentJobs(cl.handle)).filter((j) => j.taskId === taskKey).map((j) => j.id)
  return ids.length ? Math.max(...ids) : null
}

/**
 * Submit the task as a job on its cluster. `taskKey` (SKYPILOT_TASK_ID, stable across restarts)
 * plus `after` (the agent job id of this task's previous submission on this cluster, if any)
 * identify the submission: when a job with that key newer than `after` exists, it is this
 * submission, made before a crash, and its id is returned instead of submitting again.
 */
export async function submitTask(c: OpsCtx, o: { name: string; task: Task; taskKey: string; after: number | null }): Promise<number> {
  const cl = await clusterOf(c.store, o.name)
  if (!cl) throw new Error(`cluster '${o.name}' is not up`)
  const mine = (await agentJobs(cl.handle)).filter((j) => j.taskId === o.taskKey && (o.after === null || j.id > o.after))
  if (mine.length) return Math.min(...mine.map((j) => j.id))
  const t = o.task
  const envs = Object.fromEntries(Object.entries(t.envs).filter(([, v]) => v !== null)) as Record<string, string>
  const secrets = Object.fromEntries(Object.entries(t.secrets).filter(([, v]) => v !== null)) as Record<string, string>
  const request = t.resources.candidates[0]
  const spec: SubmitSpec = {
    name: t.name ?? null,
    user: c.actor.name,
    userHash: c.actor.id,
    numNodes: t.numNodes,
    demand: jobDemand(request),
    setup: t.setup ?? null,
    run: t.run ?? null,
    envs,
    secrets,
    workdir: t.workdir ? 'sky_workdir' : null,
    priority: request?.priority ?? 0,
    taskId: o.taskKey,
  }
  const { jobId } = await withAgent(cl.handle, (a) => a.call<{ jobId: number }>('submit', [], spec, c.signal))
  await c.store.clusters.touch(o.name)
  return jobId
}

/** The job's status on its cluster; undefined when the cluster or its agent cannot be asked. */
export async function pollJob(store: Store, name: string, agentJobId: number): Promise<AgentJobState | undefined> {
  const cl = await clusterOf(store, name)
  if (!cl) return undefined
  try {
    if (cl.handle.cloud === 'local') {
      const seen = localAgentDb(cl.handle, (db) => ({ job: getJob(db, agentJobId), daemon: daemonState(db, cl.handle.runtimeDir) }))
      if (seen === undefined) return undefined
      // Nobody else watches a local agent yet: one that died (with the API server that started
      // it) is started again, and it adopts the jobs it left.
      if (!seen.daemon.alive && seen.job && !isTerminal(seen.job.status)) await reviveAgent(name, cl.handle)
      return { status: seen.job?.status ?? null, exitCode: seen.job?.exitCode ?? null }
    }
    const info = (await agentJobs(cl.handle)).find((j) => j.id === agentJobId)
    return { status: info?.status ?? null, exitCode: info?.exitCode ?? null }
  } catch {
    return undefined
  }
}

const revived = new Map<string, number>()

async function reviveAgent(name: string, handle: ClusterHandle): Promise<void> {
  const last = revived.get(name) ?? 0
  if (Date.now() - last < 5_000) return
  revived.set(name, Date.now())
  await installAgent(name, handle, AbortSignal.timeout(30_000)).catch(() => undefined)
}

/** Copy the job's log from byte `offset` on into `write`; returns how many bytes were copied. */
export async function copyLog(store: Store, name: string, agentJobId: number, offset: number, write: (chunk: Uint8Array) => void): Promise<number> {
  const cl = await clusterOf(store, name)
  if (!cl) return 0
  const path = layout(cl.handle.runtimeDir).runLog(agentJobId)
  if (cl.handle.cloud === 'local') return copyLocal(path, offset, write)
  try {
    const p = await provisionerFor(cl.handle.cloud)
    const runner = p.runner(cl.handle, 0)
    try {
      const r = await runner.run(`tail -c +${offset + 1} ${shellQuote(path)} 2>/dev/null || true`)
      const bytes = new TextEncoder().encode(r.stdout)
      if (bytes.length) write(bytes)
      return bytes.length
    } finally {
      await runner.close()
    }
  } catch {
    return 0
  }
}

function copyLocal(path: string, offset: number, write: (chunk: Uint8Array) => void): number {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return 0
  }
  try {
    const size = fstatSync(fd).size
    let pos = offset
    while (pos < size) {
      const buf = new Uint8Array(Math.min(1 << 20, size - pos))
      const n = readSync(fd, buf, 0, buf.length, pos)
      if (n <= 0) break
      write(buf.subarray(0, n))
      pos += n
    }
    return pos - offset
  } finally {
    closeSync(fd)
  }
}

/**
 * The provider's view of the cluster: `up` when it exists and answers, `gone` when it was torn
 * down or lost (its record or its nodes are missing), `unreachable` when it exists but does not
 * answer (a multi-node or remote cluster may be preempted).
 */
export async function clusterState(store: Store, name: string): Promise<'up' | 'gone' | 'unreachable'> {
  const cl = await clusterOf(store, name)
  if (!cl || cl.rec.status === 'STOPPED') return 'gone'
  if (cl.handle.cloud === 'local') {
    const ok = cl.handle.nodes.every((n) => existsSync(n.home)) && existsSync(layout(cl.handle.runtimeDir).db)
    return ok ? 'up' : 'gone'
  }
  try {
    const h = await withAgent(cl.handle, (a) => a.call<{ initialized: boolean }>('health'))
    return h.initialized ? 'up' : 'gone'
  } catch {
    return 'unreachable'
  }
}

/** Stop one job on the cluster (best effort; teardown kills it anyway). */
export async function cancelTaskJob(store: Store, name: string, agentJobId: number): Promise<void> {
  const cl = await clusterOf(store, name)
  if (!cl) return
  await withAgent(cl.handle, (a) => a.call('cancel', ['--ids', String(agentJobId)])).catch(() => undefined)
}

/** Tear the task's cluster down (idempotent: a missing cluster is fine). */
export async function teardown(c: OpsCtx, name: string): Promise<void> {
  await waitQuiet(c.store, name, c.signal)
  const rec = await c.store.clusters.get(name)
  if (rec) await downCluster(c.store, name, { ...c.actor, role: 'admin' }, c.log, true)
  else removeLocalCluster(name)
}
