// Managed-jobs operations (run in worker threads): launch records the job and wakes the
// controller; queue lists; cancel checks rights on every target before changing any; logs streams.
import type { ManagedJobLogsResult, ManagedJobQueue, ManagedJobsCancelled, ManagedJobSubmitted } from '../../../api/wire'
import { checkActOnManagedJobs, checkCancelAllManagedJobs, managedJobListFilter } from '../../../core/access'
import { NotFoundError, UsageError } from '../../../core/errors'
import { jobLogs } from '../../../core/jobs/logs'
import { submitJob, type JobsLaunchBody } from '../../../core/jobs/submit'
import { tailJobLogs } from '../../../core/jobs/tail'
import { exitCodeFor, isTerminalJob, MANAGED_JOB_STATUSES, type ManagedJobRecord, type ManagedJobStatus } from '../../../core/jobs/types'
import { toWireManagedJob } from '../../present'
import type { OpContext } from '../types'

const JOBS = 'jobs'

export async function launch(c: OpContext, b: JobsLaunchBody): Promise<ManagedJobSubmitted> {
  const r = await submitJob(c.store, c.user, b, c.requestId)
  c.wakeController(JOBS, 'scheduler')
  return r
}

export async function queue(c: OpContext, b: { all_users?: boolean; skip_finished?: boolean; job_ids?: number[]; statuses?: string[]; limit?: number }): Promise<ManagedJobQueue> {
  const bad = (b.statuses ?? []).filter((s) => !(MANAGED_JOB_STATUSES as readonly string[]).includes(s.toUpperCase()))
  if (bad.length) throw new UsageError(`Unknown status ${bad.join(', ')}; use one of ${MANAGED_JOB_STATUSES.join(', ')}.`)
  const filter = {
    ...managedJobListFilter(c.user, { allUsers: b.all_users }),
    skipFinished: b.skip_finished,
    jobIds: b.job_ids,
    statuses: b.statuses?.map((s) => s.toUpperCase() as ManagedJobStatus),
  }
  const limit = b.limit ?? 50
  const [jobs, in_progress] = await Promise.all([c.store.managedJobs.list({ ...filter, limit }), c.store.managedJobs.inProgressCounts(filter.userId)])
  const total = limit > 0 && jobs.length === limit ? await c.store.managedJobs.count(filter) : jobs.length
  const now = Date.now()
  return { jobs: jobs.flatMap((j) => toWireManagedJob(j, now)), total, in_progress }
}

/** The jobs a cancel names, with rights checked on all of them before anything changes. */
async function targets(c: OpContext, b: { job_ids?: number[]; name?: string; all?: boolean; all_users?: boolean }): Promise<ManagedJobRecord[]> {
  const repo = c.store.managedJobs
  if (b.job_ids?.length) {
    const found = await repo.list({ jobIds: b.job_ids })
    const missing = b.job_ids.filter((id) => !found.some((j) => j.jobId === id))
    if (missing.length) throw new NotFoundError(`Managed job${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found.`, { hint: 'See your jobs with: sky jobs queue' })
    checkActOnManagedJobs(found, c.user)
    return found
  }
  if (b.name !== undefined) {
    const found = (await repo.list({ name: b.name, userId: b.all_users ? undefined : c.user.id })).filter((j) => !isTerminalJob(j.status))
    if (!found.length) throw new NotFoundError(`No unfinished managed job named '${b.name}'.`, { hint: 'See your jobs with: sky jobs queue' })
    if (found.length > 1) throw new UsageError(`Several unfinished managed jobs are named '${b.name}' (${found.map((j) => j.jobId).join(', ')}); cancel them by id.`)
    checkActOnManagedJobs(found, c.user)
    return found
  }
  if (b.all || b.all_users) {
    if (b.all_users) checkCancelAllManagedJobs(c.user)
    return repo.list({ userId: b.all_users ? undefined : c.user.id, skipFinished: true })
  }
  throw new UsageError('Give job ids, -n NAME, -a (all of yours) or -u (everyone\'s, admins).')
}

/** Still-queued requests that belong to these jobs: log followers, and (for -a/-u/-n) pending launches. */
async function jobRequests(c: OpContext, ids: Set<number>, b: { name?: string; all?: boolean; all_users?: boolean }): Promise<string[]> {
  const active = await c.store.requests.list({ statuses: ['PENDING', 'RUNNING'], includeBody: true })
  return active
    .filter((r) => r.requestId !== c.requestId)
    .filter((r) => {
      const body = (r.body ?? {}) as { job_id?: number; name?: string }
      if (r.name === 'sky.jobs.logs') return body.job_id !== undefined && ids.has(body.job_id)
      if (r.name !== 'sky.jobs.launch' || r.status !== 'PENDING') return false
      if (!b.all_users && r.userId !== c.user.id) return false
      return b.name !== undefined ? body.name === b.name : !!(b.all || b.all_users)
    })
    .map((r) => r.requestId)
}

export async function cancel(c: OpContext, b: { job_ids?: number[]; name?: string; all?: boolean; all_users?: boolean }): Promise<ManagedJobsCancelled> {
  const jobs = await targets(c, b)
  const live = jobs.filter((j) => !isTerminalJob(j.status))
  const requests = await c.cancelRequests(await jobRequests(c, new Set(jobs.map((j) => j.jobId)), b))
  for (const j of live) {
    if (await c.store.managedJobs.cancelWaiting(j.jobId, 'Cancelled before it started.')) continue
    if (await c.store.managedJobs.requestCancel(j.jobId)) c.wakeController(JOBS, String(j.jobId), { interrupt: true })
  }
  // Wait (a while) for the controller to finish cancelling, so the answer says what happened.
  const ids = live.map((j) => j.jobId)
  const deadline = Date.now() + 30_000
  let pending = ids
  while (pending.length && Date.now() < deadline && !c.signal.aborted) {
    const now = await c.store.managedJobs.list({ jobIds: pending })
    pending = now.filter((j) => !isTerminalJob(j.status)).map((j) => j.jobId)
    if (pending.length) await Bun.sleep(100)
  }
  const finished = jobs.filter((j) => isTerminalJob(j.status)).map((j) => j.jobId)
  if (live.length) c.log(`Cancelled managed job${live.length > 1 ? 's' : ''}: ${ids.join(', ')}${pending.length ? ` (still cancelling: ${pending.join(', ')})` : ''}`)
  if (finished.length) c.log(`Already finished: ${finished.join(', ')}`)
  if (requests.length) c.log(`Cancelled ${requests.length} queued request${requests.length > 1 ? 's' : ''} of ${live.length === 1 ? 'this job' : 'these jobs'}.`)
  return { cancelled: ids, still_cancelling: pending, already_finished: finished, requests_cancelled: requests }
}

export async function logs(c: OpContext, b: { job_id?: number; name?: string; follow?: boolean; controller?: boolean; tail?: number }): Promise<ManagedJobLogsResult> {
  const repo = c.store.managedJobs
  let job: ManagedJobRecord | undefined
  if (b.job_id !== undefined) {
    job = await repo.get(b.job_id)
    if (!job) throw new NotFoundError(`Managed job ${b.job_id} not found.`, { hint: 'See your jobs with: sky jobs queue' })
  } else {
    const byName = await repo.list({ name: b.name, userId: b.name === undefined ? c.user.id : undefined, limit: b.name === undefined ? 1 : 0 })
    if (!byName.length) throw new NotFoundError(b.name === undefined ? 'You have no managed jobs.' : `No managed job named '${b.name}'.`, { hint: 'See your jobs with: sky jobs queue' })
    if (b.name !== undefined && byName.filter((j) => !isTerminalJob(j.status)).length > 1) {
      throw new UsageError(`Several managed jobs are named '${b.name}'; give the job id.`)
    }
    job = byName[0]
  }
  checkActOnManagedJobs([job!], c.user)
  const status = await tailJobLogs(c.store, jobLogs(c.store), job!.jobId, {
    follow: b.follow !== false,
    controller: !!b.controller,
    tail: b.tail ?? 0,
    write: c.write,
    signal: c.signal,
  })
  return { job_id: job!.jobId, status, exit_code: exitCodeFor(status) }
}
