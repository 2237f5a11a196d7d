// The managed-jobs controller, hosted by the controller runtime (src/server/controllers): one
// object per job (key = job id) plus the `scheduler` singleton, which moves jobs to LAUNCHING
// within the `jobs.controller` limits. Each reconcile reads the job's recorded state and resumes
// the step it was in, so a restarted or replacement server continues every job where it stopped.
import type { ControllerKind, KindFactory, ReconcileContext, ReconcileResult } from '../../server/controllers/types'
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

export const jobsController: KindFactory = async (deps) => {
  const d: JobDeps = { store: deps.store, logs: jobLogs(deps.store), settings: jobsSettings, wake: (kind, key) => deps.wake(kind, key) }
  const kind: ControllerKind = {
    kind: JOBS_KIND,
    singletons: [SCHEDULER_KEY],
    async activeKeys() {
      return (await deps.store.managedJobs.activeIds()).map(String)
    },
    reconcile(key, ctx) {
      if (key === SCHEDULER_KEY) return schedule(d, ctx)
      return reconcileJob(d, Number(key), ctx)
    },
    forget(key) {
      const id = Number(key)
      forgetDag(id)
      void stepsModule?.then((m) => m.forgetPolls(id))
    },
    async close() {
      await d.logs.store.flush()
    },
  }
  return kind
}
