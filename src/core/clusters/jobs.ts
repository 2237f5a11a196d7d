// The job queue of a cluster, through its agent: queue, cancel, logs, status, and `sky exec`.
import { ConflictError, NotFoundError, PermissionDeniedError } from '../errors'
import type { JobInfo, JobStatus } from '../agent/types'
import type { Store } from '../state/store'
import { getOwnedCluster, handleOf, isAdmin, type Actor } from './record'
import { withAgent } from './lifecycle'
import { misfit, onCluster } from './demand'
import { runJob, type JobOutcome, type RunCtx } from './run-job'
import { singleTask } from './launch'
import { provisionerFor } from './provisioners'
import { syncFiles } from './sync'
import { checkClusterCanRun } from '../infra/features'

async function upCluster(store: Store, name: string, actor: Actor) {
  const c = await getOwnedCluster(store, name, actor)
  if (c.status !== 'UP' || !c.handle) {
    throw new ConflictError(`Cluster '${name}' is ${c.status}; it must be UP.`, { hint: c.status === 'STOPPED' ? `Start it with: sky start ${name}` : `Launch it with: sky launch -c ${name}` })
  }
  return c
}

export async function queue(store: Store, name: string, actor: Actor, o: { allUsers?: boolean; skipFinished?: boolean }): Promise<JobInfo[]> {
  const c = await upCluster(store, name, actor)
  const args = o.allUsers ? ['--all-users'] : ['--user-hash', actor.id]
  if (o.skipFinished) args.push('--skip-finished')
  return withAgent(c, (a) => a.call<JobInfo[]>('queue', args))
}

/**
 * Cancel jobs: the given ids, or every job of the caller (`all`; everyone's with `allUsers`, for
 * admins), or — as SkyPilot does with neither — the caller's latest unfinished job. Ids the
 * cluster never had are an error (after the others are cancelled), as are other users' jobs.
 */
export async function cancelJobs(store: Store, name: string, actor: Actor, o: { jobIds?: number[]; all?: boolean; allUsers?: boolean }): Promise<number[]> {
  const c = await upCluster(store, name, actor)
  let ids = o.jobIds ?? []
  if (!ids.length && !o.all && !o.allUsers) {
    const mine = await withAgent(c, (a) => a.call<JobInfo[]>('queue', ['--user-hash', actor.id, '--skip-finished']))
    const latest = [...mine].sort((x, y) => y.id - x.id)[0]
    if (!latest) return []
    ids = [latest.id]
  }
  const args: string[] = []
  if (ids.length) args.push('--ids', ids.join(','))
  else args.push('--all')
  if (!(o.allUsers && isAdmin(actor)) && !(ids.length && isAdmin(actor))) args.push('--user-hash', actor.id)
  const r = await withAgent(c, (a) => a.call<{ cancelled: number[]; skipped?: { id: number; reason: string }[] } | number[]>('cancel', args))
  const cancelled = Array.isArray(r) ? r : (r.cancelled ?? [])
  const skipped = Array.isArray(r) ? [] : (r.skipped ?? [])
  const done = cancelled.length ? ` (cancelled: ${cancelled.join(', ')})` : ''
  const missing = skipped.filter((x) => x.reason === 'not found').map((x) => x.id)
  if (missing.length) {
    throw new NotFoundError(`Job${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not found on cluster '${name}'${done}.`, { hint: `See its jobs with: sky queue ${name}` })
  }
  const others = skipped.filter((x) => x.reason.startsWith('owned by another user'))
  if (others.length) {
    throw new PermissionDeniedError(`Not cancelling ${others.map((x) => `job ${x.id} (${x.reason})`).join(', ')}${done}.`)
  }
  return cancelled
}

export async function jobStatus(store: Store, name: string, actor: Actor, ids: number[]): Promise<Record<string, JobStatus | null>> {
  const c = await upCluster(store, name, actor)
  if (!ids.length) {
    const [latest] = (await withAgent(c, (a) => a.call<JobInfo[]>('queue', ['--all-users']))).sort((x, y) => y.id - x.id)
    // No jobs at all: an empty answer (the CLI reports it as job NOT_FOUND, exit 102).
    if (!latest) return {}
    ids = [latest.id]
  }
  return withAgent(c, (a) => a.call<Record<string, JobStatus | null>>('status', ['--ids', ids.join(',')]))
}

/** Stream a job's log into `write`; returns the agent's exit code (0/100/101/102/103). */
export async function tailLogs(
  store: Store,
  name: string,
  actor: Actor,
  o: { jobId?: number; follow: boolean; tail?: number; write: (s: string) => void; onStderr?: (s: string) => void; signal: AbortSignal },
): Promise<number> {
  const c = await upCluster(store, name, actor)
  return withAgent(c, (a) => a.logs({ job: o.jobId, follow: o.follow, tail: o.tail, onChunk: o.write, onStderr: o.onStderr, signal: o.signal }))
}

export interface ExecBody {
  task: string
  cluster_name: string
  detach_run?: boolean
}

export async function exec(ctx: RunCtx, body: ExecBody): Promise<JobOutcome & { cluster_name: string }> {
  const task = singleTask(body.task, 'sky exec')
  const c = await upCluster(ctx.store, body.cluster_name, ctx.actor)
  const handle = handleOf(c)
  checkClusterCanRun(task, task.resources.candidates[0], handle.cloud, c.name, { fileMounts: false })
  const request = onCluster(task.resources.candidates[0], handle.capacity)
  const why = misfit(task, request, handle.capacity, c.numNodes)
  if (why) throw new ConflictError(`The task does not fit cluster '${c.name}': ${why}.`, { hint: `Launch a bigger cluster: sky launch -c <new-name> ...` })
  const p = await provisionerFor(handle.cloud)
  await syncFiles(p, handle, task, ctx.log, { fileMounts: false })
  const out = await runJob(ctx, c.name, handle, task, request, { setup: false, detach: !!body.detach_run })
  return { cluster_name: c.name, ...out }
}
