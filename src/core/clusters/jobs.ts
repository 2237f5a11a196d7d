// Jobs on a cluster, through its agent: submit (with an idempotency key the agent deduplicates),
// follow, status, queue, cancel, logs, and `sky exec`. A request that submitted a job and is then
// cancelled cancels that job too.
import { CancelledError, ConflictError, NotFoundError, PermissionDeniedError, ValidationError } from '../errors'
import type { JobInfo, JobStatus, SubmitSpec } from '../agent/types'
import type { ClusterHandle } from '../provision/types'
import type { ClusterRecord } from '../state/clusters'
import type { Store } from '../state/store'
import type { Resources, Task } from '../task/types'
import { withAgent } from './agent'
import type { OpsContext } from './context'
import { jobDemand, misfit, onCluster } from './demand'
import { singleTask } from './plan'
import { getOwnedCluster, handleOf, isAdmin, type Actor } from './record'
import { checkSyncable, syncFiles } from './sync'
import type { UploadRefs } from '../uploads/sources'
import { checkClusterCanRun } from '../infra/features'
import { descriptor } from '../provision/registry'
import { unresolvedSecretRefs } from '../task/overrides'

export interface JobOutcome {
  job_id: number
  job_status: string | null
  /** The job's own exit code when it finished. */
  exit_code: number | null
}

export async function upCluster(store: Store, name: string, actor: Actor): Promise<ClusterRecord> {
  const c = await getOwnedCluster(store, name, actor)
  if (c.status !== 'UP' || !c.handle) {
    throw new ConflictError(`Cluster '${name}' is ${c.status}; it must be UP.`, { hint: c.status === 'STOPPED' ? `Start it with: sky start ${name}` : `Launch it with: sky launch -c ${name}` })
  }
  return c
}

/** What `logs --follow` exit codes say about the job (SkyPilot's JobExitCode). */
const STATUS_BY_LOGS_CODE: Record<number, string> = { 0: 'SUCCEEDED', 100: 'FAILED', 103: 'CANCELLED' }

/**
 * SkyPilot's closing hints. `ssh <cluster>` is offered only where it resolves: infra whose
 * descriptor writes an SSH config entry (local clusters are directories on the server's machine);
 * `sky stop` only where clusters can be stopped.
 */
export function usefulCommands(cluster: string, jobId: number, infra: string): string {
  return [
    '📋 Useful Commands',
    `Job ID: ${jobId}`,
    `├── To cancel the job:          sky cancel ${cluster} ${jobId}`,
    `├── To stream job logs:         sky logs ${cluster} ${jobId}`,
    `└── To view job queue:          sky queue ${cluster}`,
    `Cluster name: ${cluster}`,
    ...(descriptor(infra)?.sshConfig ? [`├── To log into the head VM:    ssh ${cluster}`] : []),
    `├── To submit a job:            sky exec ${cluster} yaml_file`,
    // Pods and SSH hosts cannot be stopped, only taken down.
    ...(descriptor(infra)?.capabilities.stop === false ? [] : [`├── To stop the cluster:        sky stop ${cluster}`]),
    `└── To teardown the cluster:    sky down ${cluster}`,
  ].join('\n')
}

/** A secret the task names but nobody supplied must not turn into an unset variable. */
export function checkSecretsSupplied(task: Task): void {
  const missing = unresolvedSecretRefs(task)
  if (!missing.length) return
  throw new ValidationError(missing.map((n) => ({ path: `secrets:${n}`, message: `has no value (this build has no secret store); set it with --secret ${n}=VALUE` })))
}

export interface SubmitOptions {
  /** The idempotency key: the same key submitted again returns the first job. Default ctx.owner. */
  key?: string
  /** Run the task's setup before run. */
  setup: boolean
  /** The task's resources as they apply to this cluster. */
  request?: Resources
  /** SKYPILOT_TASK_ID (managed jobs set their own). */
  taskId?: string | null
}

/** The job this key already submitted, if any (a resumed request finds its job here). */
export async function jobByKey(handle: ClusterHandle, key: string): Promise<{ jobId: number | null; status: JobStatus | null }> {
  return withAgent(handle, (a) => a.call('lookup', ['--key', key]))
}

/** Submit the task as a job; returns its id and whether the key had been used already. */
export async function submitJob(ctx: OpsContext, c: ClusterRecord, task: Task, o: SubmitOptions): Promise<{ jobId: number; existing: boolean }> {
  const handle = handleOf(c)
  const envs = Object.fromEntries(Object.entries(task.envs).filter(([, v]) => v !== null)) as Record<string, string>
  const secrets = Object.fromEntries(Object.entries(task.secrets).filter(([, v]) => v !== null)) as Record<string, string>
  const spec: SubmitSpec = {
    name: task.name ?? null,
    user: ctx.actor.name,
    userHash: ctx.actor.id,
    numNodes: task.numNodes,
    demand: jobDemand(o.request, handle.capacity),
    setup: o.setup ? (task.setup ?? null) : null,
    run: task.run ?? null,
    envs,
    secrets,
    // Relative to each node's home (the agent resolves it per node).
    workdir: task.workdir ? 'sky_workdir' : null,
    priority: o.request?.priority ?? 0,
    taskId: o.taskId ?? null,
    idempotencyKey: o.key ?? ctx.owner,
  }
  const r = await withAgent(handle, (a) => a.call<{ jobId: number; existing?: boolean }>('submit', [], spec))
  await ctx.store.clusters.touch(c.name)
  return { jobId: r.jobId, existing: !!r.existing }
}

/** Cancel the job submitted with `key` (used when the submitting request is cancelled). */
export async function cancelByKey(handle: ClusterHandle, key: string): Promise<number[]> {
  const r = await withAgent(handle, (a) => a.call<{ cancelled: number[] }>('cancel', ['--key', key]))
  return r.cancelled ?? []
}

export async function jobInfo(handle: ClusterHandle, jobId: number): Promise<JobInfo | undefined> {
  const list = await withAgent(handle, (a) => a.call<JobInfo[]>('queue', ['--all-users']))
  return list.find((j) => j.id === jobId)
}

/**
 * Submit and (unless detached) stream the job to its end, with SkyPilot's messages. If the
 * request is cancelled after the job was submitted, the job is cancelled too.
 */
export async function runJob(ctx: OpsContext, c: ClusterRecord, task: Task, o: SubmitOptions & { detach: boolean; afterSubmit?: (jobId: number) => Promise<void> }): Promise<JobOutcome> {
  checkSecretsSupplied(task)
  const handle = handleOf(c)
  const key = o.key ?? ctx.owner
  let submitted = false
  const onAbort = () => {
    if (submitted) void cancelByKey(handle, key).catch(() => {})
  }
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  try {
    const { jobId, existing } = await submitJob(ctx, c, task, { ...o, key })
    submitted = true
    if (ctx.signal.aborted) {
      await cancelByKey(handle, key).catch(() => {})
      throw new CancelledError('Request was cancelled.')
    }
    ctx.log(existing ? `⚙︎ Job already submitted by this request, ID: ${jobId}` : `⚙︎ Job submitted, ID: ${jobId}`)
    await o.afterSubmit?.(jobId)
    if (o.detach) {
      ctx.log(usefulCommands(c.name, jobId, handle.infra))
      return { job_id: jobId, job_status: 'PENDING', exit_code: null }
    }
    ctx.log(`├── Waiting for task resources on ${task.numNodes} node${task.numNodes === 1 ? '' : 's'}.`)
    ctx.log('└── Job started. Streaming logs... (Ctrl-C to exit log streaming; job will not be killed)')
    const code = await withAgent(handle, (a) => a.logs({ job: jobId, follow: true, onChunk: ctx.write, signal: ctx.signal }))
    // The agent may be gone by now (autodown right after the job): then the log's exit code says.
    const info = await jobInfo(handle, jobId).catch(() => undefined)
    const status = info?.status ?? STATUS_BY_LOGS_CODE[code] ?? null
    ctx.log(`${status === 'SUCCEEDED' ? '✓' : '✗'} Job finished (status: ${status ?? 'UNKNOWN'}).`)
    ctx.log('')
    ctx.log(usefulCommands(c.name, jobId, handle.infra))
    return { job_id: jobId, job_status: status, exit_code: info?.exitCode ?? null }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort)
  }
}

export async function queue(store: Store, name: string, actor: Actor, o: { allUsers?: boolean; skipFinished?: boolean }): Promise<JobInfo[]> {
  const c = await upCluster(store, name, actor)
  const args = o.allUsers ? ['--all-users'] : ['--user-hash', actor.id]
  if (o.skipFinished) args.push('--skip-finished')
  return withAgent(handleOf(c), (a) => a.call<JobInfo[]>('queue', args))
}

/**
 * Cancel jobs: the given ids, or every job of the caller (`all`; everyone's with `allUsers`, for
 * admins), or — as SkyPilot does with neither — the caller's latest unfinished job. Ids the
 * cluster never had are an error (after the others are cancelled), as are other users' jobs.
 */
export async function cancelJobs(store: Store, name: string, actor: Actor, o: { jobIds?: number[]; all?: boolean; allUsers?: boolean }): Promise<number[]> {
  const c = await upCluster(store, name, actor)
  const handle = handleOf(c)
  let ids = o.jobIds ?? []
  if (!ids.length && !o.all && !o.allUsers) {
    const mine = await withAgent(handle, (a) => a.call<JobInfo[]>('queue', ['--user-hash', actor.id, '--skip-finished']))
    const latest = [...mine].sort((x, y) => y.id - x.id)[0]
    if (!latest) return []
    ids = [latest.id]
  }
  const args: string[] = []
  if (ids.length) args.push('--ids', ids.join(','))
  else args.push('--all')
  if (!(o.allUsers && isAdmin(actor)) && !(ids.length && isAdmin(actor))) args.push('--user-hash', actor.id)
  const r = await withAgent(handle, (a) => a.call<{ cancelled: number[]; skipped?: { id: number; reason: string }[] } | number[]>('cancel', args))
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
  const handle = handleOf(c)
  if (!ids.length) {
    const [latest] = (await withAgent(handle, (a) => a.call<JobInfo[]>('queue', ['--all-users']))).sort((x, y) => y.id - x.id)
    // No jobs at all: an empty answer (the CLI reports it as job NOT_FOUND, exit 102).
    if (!latest) return {}
    ids = [latest.id]
  }
  return withAgent(handle, (a) => a.call<Record<string, JobStatus | null>>('status', ['--ids', ids.join(',')]))
}

/** Stream a job's log into `write`; returns the agent's exit code (0/100/101/102/103). */
export async function tailLogs(
  store: Store,
  name: string,
  actor: Actor,
  o: { jobId?: number; follow: boolean; tail?: number; write: (s: string) => void; onStderr?: (s: string) => void; signal: AbortSignal },
): Promise<number> {
  const c = await upCluster(store, name, actor)
  return withAgent(handleOf(c), (a) => a.logs({ job: o.jobId, follow: o.follow, tail: o.tail, onChunk: o.write, onStderr: o.onStderr, signal: o.signal }))
}

export interface ExecBody {
  task: string
  cluster_name: string
  detach_run?: boolean
  /** The uploaded workdir (a deployed server syncs only uploads). */
  uploads?: UploadRefs
}

/** `sky exec`: queue a task on an UP cluster (workdir synced, no setup); safe to repeat (keyed by the request). */
export async function exec(ctx: OpsContext, body: ExecBody): Promise<JobOutcome & { cluster_name: string }> {
  const task = singleTask(body.task, 'sky exec')
  const c = await upCluster(ctx.store, body.cluster_name, ctx.actor)
  const handle = handleOf(c)
  checkClusterCanRun(task, task.resources.candidates[0], handle.infra, c.name, { fileMounts: false })
  const files = { fileMounts: false, uploads: body.uploads, userId: ctx.actor.id }
  await checkSyncable(task, { ...files, infra: handle.infra })
  const request = onCluster(task.resources.candidates[0], handle.capacity)
  const why = misfit(task, request, handle.capacity, c.numNodes)
  if (why) throw new ConflictError(`The task does not fit cluster '${c.name}': ${why}.`, { hint: `Launch a bigger cluster: sky launch -c <new-name> ...` })
  // A re-run after a crash finds its job and does not sync again under it.
  const prior = await jobByKey(handle, ctx.owner)
  if (prior.jobId === null) await syncFiles(handle, task, ctx.log, files)
  const out = await runJob(ctx, c, task, { setup: false, detach: !!body.detach_run, request })
  return { cluster_name: c.name, ...out }
}
