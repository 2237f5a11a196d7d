// Every interaction of the managed-jobs controller with clusters goes through this adapter, over
// the cluster operations of src/core/clusters (the same ones `sky launch` uses): make the task's
// cluster exist (optimizer, failover by cause, blocked places carried in and out, under the
// cluster's lock), submit the task under an idempotency key the agent deduplicates, read the
// job's status and copy its log, ask the provider whether the cluster is still there, tear it
// down.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { layout } from '../agent/layout'
import { isTerminal, type JobStatus } from '../agent/types'
import { downCluster, handleOf, jobInfo, launch, planFor, queryCluster, submitJob, type Actor, type OpsContext } from '../clusters'
import { onCluster } from '../clusters/demand'
import { toSkyError } from '../errors'
import { optimize, type BlockedResource } from '../optimizer'
import { optimizerContext } from '../clusters/enabled'
import { shellQuote } from '../provision/agent-command'
import { failureOf } from '../provision/errors'
import { provisionerFor } from '../provision/registry'
import type { ClusterHandle } from '../provision/types'
import type { ClusterRecord } from '../state/clusters'
import type { Store } from '../state/store'
import { serializeDag } from '../task/serialize'
import type { Task } from '../task/types'
import type { UploadRefs } from '../uploads/sources'
import type { LaunchedInfra } from './types'

export interface OpsCtx {
  store: Store
  actor: Actor
  signal: AbortSignal
  log: (line: string) => void
  /** Lock owner for the cluster (stable per job and task, so a resumed controller re-enters its own lock). */
  owner: string
}

const v2 = (c: OpsCtx): OpsContext => ({ store: c.store, actor: c.actor, signal: c.signal, log: c.log, write: (t) => c.log(t.replace(/\n$/, '')), owner: c.owner })

export type EnsureResult =
  | { ok: true; infra: LaunchedInfra }
  /**
   * precheck: nothing could ever fit, or the provider refused for good (FAILED_PRECHECKS);
   * capacity: every candidate failed or is blocked; busy: the nodes that fit (SSH pools,
   * Kubernetes) are in use by other clusters now.
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
  /** What the client uploaded for this task (a deployed server syncs only that). */
  uploads?: UploadRefs | null
}

function pinned(task: Task, at: LaunchedInfra): Task {
  const infra = { cloud: at.cloud, ...(at.region ? { region: at.region } : {}) }
  return { ...task, resources: { mode: 'single', candidates: [{ ...(task.resources.candidates[0] ?? {}), infra }] } }
}

/** The optimizer found nothing because the SSH / Kubernetes nodes that fit are in use (they free up). */
function liveBusy(err: { details?: Record<string, unknown>; message: string }): boolean {
  const rejected = (err.details?.rejected as { infra: string; reason: string }[] | undefined) ?? []
  if (/in use by (another )?cluster|claimed by (another )?cluster/.test(err.message)) return true
  if (rejected.some((r) => r.reason.includes('blocked'))) return false
  return rejected.some((r) => (r.infra === 'ssh' || r.infra === 'kubernetes') && !r.reason.startsWith('not enabled'))
}

/** Whether the task would fit this machine (or other live nodes) once what other clusters hold is free. */
async function fitsWhenFree(store: Store, task: Task, blocked: BlockedResource[] = []): Promise<boolean> {
  const ctx = await optimizerContext(store)
  try {
    optimize({ spec: task.resources, numNodes: task.numNodes, enabled: ctx.enabled, liveNodes: ctx.liveNodes.map(({ free: _free, ...n }) => n), blocked })
    return true
  } catch {
    return false
  }
}

/**
 * Make the task's cluster exist and be UP, as `sky launch` does (files synced, ports opened), with
 * the safety-net autodown armed; the job itself is submitted by submitTask.
 */
export async function ensureCluster(c: OpsCtx, o: EnsureOptions): Promise<EnsureResult> {
  const task = o.pinTo ? pinned(o.task, o.pinTo) : o.task
  try {
    await planFor(c.store, task)
  } catch (e) {
    const err = toSkyError(e)
    if (err.code !== 'RESOURCES_UNAVAILABLE' && err.code !== 'VALIDATION') throw err
    const later = err.code === 'RESOURCES_UNAVAILABLE' && (liveBusy(err) || (await fitsWhenFree(c.store, task)))
    return { ok: false, kind: later ? 'busy' : o.pinTo ? 'capacity' : 'precheck', message: err.message, blocked: o.blocked }
  }
  const { run: _run, setup: _setup, ...clusterOnly } = task
  // ensureCluster grows this list with every failed place (it is carried to the next attempt).
  const blocked = [...o.blocked]
  try {
    await launch(
      v2(c),
      {
        task: serializeDag({ tasks: [clusterOnly] }, { redactSecrets: false }),
        cluster_name: o.name,
        idle_minutes_to_autostop: o.autodownMinutes,
        autostop_down: true,
        command: 'sky jobs launch (managed job cluster)',
        ...(o.uploads ? { uploads: o.uploads } : {}),
      },
      { blocked },
    )
  } catch (e) {
    const err = toSkyError(e)
    // A typed provisioning failure (its details name the cause); anything else is not ours to judge.
    const f = typeof err.details?.kind === 'string' ? failureOf(e) : null
    if (f?.scope === 'stop') return { ok: false, kind: 'precheck', message: err.message, blocked }
    if (err.code !== 'RESOURCES_UNAVAILABLE' && !f) throw err
    // Busy when a place not blocked on the way in would fit once freed (a full machine, hosts in
    // use); when the blocks themselves left nothing, it is a capacity failure.
    const later = liveBusy(err) || (err.code === 'RESOURCES_UNAVAILABLE' && (await fitsWhenFree(c.store, task, o.blocked)))
    return { ok: false, kind: later ? 'busy' : 'capacity', message: err.message, blocked }
  }
  const rec = await c.store.clusters.get(o.name)
  if (!rec) throw new Error(`cluster '${o.name}' disappeared right after its launch`)
  return { ok: true, infra: { cloud: rec.infra.cloud, region: rec.infra.region ?? null, zone: rec.infra.zone ?? null } }
}

async function clusterOf(store: Store, name: string): Promise<{ rec: ClusterRecord; handle: ClusterHandle } | undefined> {
  const rec = await store.clusters.get(name)
  if (!rec?.handle) return undefined
  return { rec, handle: handleOf(rec) }
}

/**
 * Submit the task as a job on its cluster. `key` names this submission: the agent deduplicates
 * it, so a submission repeated after a crash returns the job the first one made.
 * `taskId` is SKYPILOT_TASK_ID (stable across restarts and recoveries).
 */
export async function submitTask(c: OpsCtx, o: { name: string; task: Task; key: string; taskId: string }): Promise<number> {
  const cl = await clusterOf(c.store, o.name)
  if (!cl) throw new Error(`cluster '${o.name}' is not up`)
  const request = onCluster(o.task.resources.candidates[0], cl.handle.capacity)
  const { jobId } = await submitJob(v2(c), cl.rec, o.task, { key: o.key, setup: true, request, taskId: o.taskId })
  return jobId
}

export interface AgentJobState {
  status: JobStatus | null
  exitCode: number | null
}

/** The job's status on its cluster; undefined when the cluster or its agent cannot be asked. */
export async function pollJob(store: Store, name: string, agentJobId: number): Promise<AgentJobState | undefined> {
  const cl = await clusterOf(store, name)
  if (!cl) return undefined
  try {
    const info = await jobInfo(cl.handle, agentJobId)
    return { status: info?.status ?? null, exitCode: info?.exitCode ?? null }
  } catch {
    return undefined
  }
}

/** Whether a polled status is final on the cluster. */
export const isFinalOnCluster = (s: JobStatus) => isTerminal(s)

/** Copy the job's log from byte `offset` on into `write`; returns how many bytes were copied. */
export async function copyLog(store: Store, name: string, agentJobId: number, offset: number, write: (chunk: Uint8Array) => void): Promise<number> {
  const cl = await clusterOf(store, name)
  if (!cl) return 0
  const path = layout(cl.handle.runtimeDir).runLog(agentJobId)
  // A local cluster's runtime directory is on this machine.
  if (cl.handle.infra === 'local') return copyLocal(path, offset, write)
  try {
    const runner = (await provisionerFor(cl.handle.infra)).runner(cl.handle, 0)
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
 * The provider's view of the cluster: `up` when every node runs, `gone` when it was torn down,
 * stopped or preempted (its record or nodes are missing), `unreachable` when the provider could
 * not say (a network blip: not a reason to relaunch yet).
 */
export async function clusterState(store: Store, name: string): Promise<'up' | 'gone' | 'unreachable'> {
  const rec = await store.clusters.get(name)
  if (!rec || rec.status === 'STOPPED') return 'gone'
  try {
    const nodes = await queryCluster(store, name)
    if (nodes.some((n) => n.state === 'terminated' || n.state === 'stopped' || n.state === 'stopping')) return 'gone'
    if (nodes.some((n) => n.state === 'unknown')) return 'unreachable'
    return 'up'
  } catch {
    return 'unreachable'
  }
}

/** Tear the task's cluster down (idempotent: a missing cluster is fine). */
export async function teardown(c: OpsCtx, name: string): Promise<void> {
  if (!(await c.store.clusters.get(name))) return
  await downCluster(v2({ ...c, actor: { ...c.actor, role: 'admin' } }), name, { purge: true })
}
