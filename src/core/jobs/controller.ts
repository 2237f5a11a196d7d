// The managed-jobs controller, hosted by the controller runtime (src/server/controllers): one
// object per job (key = job id) plus the `scheduler` singleton, which moves jobs to LAUNCHING
// within the `jobs.controller` limits. Each reconcile reads the job's recorded state and resumes
// the step it was in, so a restarted or replacement server continues every job where it stopped.
import type { ControllerKind, KindFactory, ReconcileContext, ReconcileResult } from '../../server/controllers/types'
import { withClientConfig } from '../config-scope'
import type { JobWithTasks } from '../state/managed-jobs'
import { forgetDag, JobRun, type JobDeps } from './job-run'
import { jobLogs } from './logs'
import { jobsSettings } from './settings'

// The steps pull in the cluster layer (provisioners, optimizer); loaded on the first job only.
let stepsModule: Promise<typeof import('./steps')> | undefined
const steps = () => (stepsModule ??= import('./steps'))

export const JOBS_KIND = 'jobs'
export const SCHEDULER_KEY = 'scheduler'

/** Wakes arriving within this long of a scheduler run fold into the next one (bursts of submits). */
const SCHEDULE_EVERY_MS = 25
let lastSchedule = 0

async function schedule(d: JobDeps, ctx: ReconcileContext): Promise<ReconcileResult> {
  const since = Date.now() - lastSchedule
  if (since < SCHEDULE_EVERY_MS) await Bun.sleep(SCHEDULE_EVERY_MS - since)
  lastSchedule = Date.now()
  const s = d.settings()
  const picked = await d.store.managedJobs.schedule(s.maxConcurrentLaunches, s.maxRunningJobs)
  for (const id of picked) ctx.wake(JOBS_KIND, String(id))
  // Events drive it; the timer is a safety net for a missed wake.
  return { requeueAfterMs: picked.length ? 0 : 5_000 }
}

async function reconcileJob(d: JobDeps, jobId: number, ctx: ReconcileContext): Promise<ReconcileResult> {
  const job = await d.store.managedJobs.getWithTasks(jobId)
  if (!job) return { done: true }
  // The submitting client's config layers apply to everything the job launches.
  if (job.config) return withClientConfig(job.config, () => stepJob(d, job, ctx))
  return stepJob(d, job, ctx)
}

async function stepJob(d: JobDeps, job: JobWithTasks, ctx: ReconcileContext): Promise<ReconcileResult> {
  const r = new JobRun(job, d, ctx.fence, ctx.signal)
  const { cancelStep, finishTask, launchStep, monitorStep, recoverCleanup, submitStep } = await steps()
  if (job.scheduleState === 'DONE') return cleanupLeftovers(r)
  if (job.scheduleState === 'WAITING') return { done: true }
  const t = r.task
  if (t.phase === 'cleanup') return finishTask(r)
  if (job.cancelRequested) return cancelStep(r)
  if (t.phase === 'recover') return recoverCleanup(r)
  switch (job.scheduleState) {
    case 'ALIVE_WAITING':
      return {}
    case 'ALIVE_BACKOFF': {
      const wait = (job.retryAt ?? 0) - Date.now()
      if (wait > 0) return { requeueAfterMs: wait }
      await r.patch({ scheduleState: 'ALIVE_WAITING', retryAt: null })
      r.wakeScheduler()
      return {}
    }
    case 'LAUNCHING':
      return launchStep(r)
    case 'ALIVE':
      return t.phase === 'submit' ? submitStep(r) : monitorStep(r)
  }
  return {}
}

/** A finished job whose cluster teardown did not complete (the server died in between). */
async function cleanupLeftovers(r: JobRun): Promise<ReconcileResult> {
  const { teardown } = await import('./cluster-ops')
  for (const t of r.job.tasks) {
    if (!t.clusterLive || !t.clusterName) continue
    await teardown(r.ops(), t.clusterName)
    await r.patch({}, { clusterLive: false }, t.taskId)
  }
  return { done: true }
}

/** Consecutive failed reconciles per job; at MAX_FAILURES (about 90 s of backoff) it is FAILED_CONTROLLER. */
const failures = new Map<number, number>()
const MAX_FAILURES = 8

/** The controller cannot make progress with this job: end it FAILED_CONTROLLER, cleaning up what it can. */
async function failController(d: JobDeps, jobId: number, ctx: ReconcileContext, reason: string): Promise<ReconcileResult> {
  const job = await d.store.managedJobs.getWithTasks(jobId)
  if (!job) return { done: true }
  const r = new JobRun(job, d, ctx.fence, ctx.signal)
  r.log(`✗ ${reason}`)
  await r.patch({}, { outcome: 'FAILED_CONTROLLER', phase: 'cleanup', failureReason: `FAILED_CONTROLLER: ${reason}` })
  try {
    return await (await steps()).finishTask(r)
  } catch (e) {
    // Teardown failed too: record the end now; the cluster stays marked live for a later cleanup.
    const now = Date.now()
    await d.store.managedJobs.patchRemainingTasks(jobId, 0, { status: 'FAILED_CONTROLLER', phase: 'done', endAt: now }, ctx.fence)
    await r.patch({ status: 'FAILED_CONTROLLER', scheduleState: 'DONE', endedAt: now, failureReason: reason })
    r.log(`✗ Cleanup failed: ${(e as Error).message}; it is retried in the background.`)
    d.wake(JOBS_KIND, SCHEDULER_KEY)
    return { requeueAfterMs: 60_000 }
  }
}

export const jobsController: KindFactory = async (deps) => {
  const d: JobDeps = { store: deps.store, logs: jobLogs(deps.store), settings: jobsSettings, wake: (kind, key) => deps.wake(kind, key) }
  const kind: ControllerKind = {
    kind: JOBS_KIND,
    singletons: [SCHEDULER_KEY],
    async activeKeys() {
      return (await deps.store.managedJobs.activeIds()).map(String)
    },
    async reconcile(key, ctx) {
      if (key === SCHEDULER_KEY) return schedule(d, ctx)
      const id = Number(key)
      try {
        const r = await reconcileJob(d, id, ctx)
        failures.delete(id)
        return r
      } catch (e) {
        if ((e as { leaseLost?: boolean }).leaseLost || ctx.signal.aborted) throw e
        const n = (failures.get(id) ?? 0) + 1
        failures.set(id, n)
        if (n < MAX_FAILURES) throw e
        failures.delete(id)
        return failController(d, id, ctx, `the controller failed ${n} times in a row; last: ${(e as Error).message}`)
      }
    },
    forget(key) {
      const id = Number(key)
      forgetDag(id)
      failures.delete(id)
      void stepsModule?.then((m) => m.forgetPolls(id))
    },
    async close() {
      await d.logs.store.flush()
    },
  }
  return kind
}
