// The steps of a managed task, each resumable from what the store recorded: launch its cluster,
// submit it, monitor it (copying its log), recover it after a lost cluster or a user failure,
// and finish it (tear the cluster down, then record the outcome and move the pipeline on).
import { isTerminal as agentTerminal, type JobStatus } from '../agent/types'
import { clusterState, copyLog, ensureCluster, pollJob, submitTask, teardown } from './cluster-ops'
import { submitKey, taskKey, type JobRun } from './job-run'
import { taskClusterName } from './naming'
import { planRecovery, recoveryPolicy, restartDecision } from './recovery'
import type { ManagedJobStatus } from './types'

export interface StepResult {
  requeueAfterMs?: number
  done?: boolean
}

/** Consecutive polls of a cluster that did not answer, per job (in memory: a restart starts over). */
const unanswered = new Map<number, number>()
const UNANSWERED_LIMIT = 3
/** How often a job waiting for busy nodes (SSH pools, Kubernetes) looks again. */
const BUSY_RETRY_MS = 3_000

/** When a job last said it waits for busy nodes (the controller log says so once a minute). */
const busySaid = new Map<number, number>()

export function forgetPolls(jobId: number): void {
  unanswered.delete(jobId)
  busySaid.delete(jobId)
}

function pollDelay(r: JobRun): number {
  const s = r.d.settings()
  return r.task.infra?.cloud === 'local' ? s.localStatusCheckMs : s.statusCheckMs
}

/** LAUNCHING: make the task's cluster exist (the launch slot is held meanwhile). */
export async function launchStep(r: JobRun): Promise<StepResult> {
  const t = r.task
  const spec = r.spec()
  const s = r.d.settings()
  const name = t.clusterName ?? taskClusterName(spec.name, r.id)
  const status: ManagedJobStatus = t.status === 'RECOVERING' ? 'RECOVERING' : 'STARTING'
  await r.patch({ status }, { status, phase: 'launch', clusterName: name, clusterLive: true, launchAttempts: t.launchAttempts + 1 })
  if (!busySaid.has(r.id)) r.log(`⚙︎ Launching task ${t.taskId}${spec.name ? ` (${spec.name})` : ''} on cluster ${name}${t.launchAttempts > 1 ? ` (attempt ${t.launchAttempts})` : ''}.`)
  const res = await ensureCluster(r.ops(), {
    name,
    task: spec,
    blocked: t.blocked,
    pinTo: t.relaunch === 'same' ? t.infra : null,
    autodownMinutes: s.autodownMinutes,
    uploads: r.job.uploads?.[t.taskId] ?? null,
  })
  if (res.ok || res.kind !== 'busy') busySaid.delete(r.id)
  if (res.ok) {
    await r.patch({ scheduleState: 'ALIVE' }, { phase: 'submit', infra: res.infra, relaunch: 'any', blocked: [], agentJobId: null, submitSeq: t.submitSeq + 1 })
    r.wakeScheduler()
    return submitStep(r)
  }
  if (res.kind === 'precheck') {
    r.log(`✗ ${res.message}`)
    return outcome(r, 'FAILED_PRECHECKS', `No resources fit the task: ${res.message}`, null)
  }
  const recovering = t.status === 'RECOVERING'
  if (res.kind === 'busy') {
    // Nodes that fit are in use: wait for them without using up the launch retries.
    const gap = Math.min(s.retryGapMs, BUSY_RETRY_MS)
    if (Date.now() - (busySaid.get(r.id) ?? 0) > 60_000) {
      busySaid.set(r.id, Date.now())
      r.log(`⚙︎ Waiting for nodes to free up:\n${res.message}`)
    }
    await r.patch({ scheduleState: 'ALIVE_BACKOFF', retryAt: Date.now() + gap, status: recovering ? 'RECOVERING' : 'PENDING' }, { status: recovering ? 'RECOVERING' : 'PENDING', launchAttempts: t.launchAttempts - 1 })
    r.wakeScheduler()
    return { requeueAfterMs: gap }
  }
  r.log(`↺ ${res.message}`)
  if (t.relaunch === 'same') {
    // FAILOVER: its first try (where the task ran) failed; tear down, then anywhere.
    await r.patch({}, { relaunch: 'any', phase: 'recover' })
    return recoverCleanup(r)
  }
  if (t.blocked.length) {
    // Blocked locations had no capacity left elsewhere: try the whole search space at once.
    await r.patch({}, { blocked: [] })
    return { requeueAfterMs: 0 }
  }
  if (!recovering && t.launchAttempts > s.launchRetries) {
    return outcome(r, 'FAILED_NO_RESOURCE', `Failed to launch after ${t.launchAttempts} attempts: ${res.message}`, null)
  }
  const retryAt = Date.now() + s.retryGapMs
  r.log(`↺ No capacity now; retrying in ${Math.round(s.retryGapMs / 1000)} s.`)
  await r.patch({ scheduleState: 'ALIVE_BACKOFF', retryAt, status: recovering ? 'RECOVERING' : 'PENDING' }, { status: recovering ? 'RECOVERING' : 'PENDING' })
  r.wakeScheduler()
  return { requeueAfterMs: s.retryGapMs }
}

/** Submit the task to its cluster (a repeat after a crash finds the first submission). */
export async function submitStep(r: JobRun): Promise<StepResult> {
  const t = r.task
  const name = t.clusterName!
  let agentJobId: number
  try {
    agentJobId = await submitTask(r.ops(), { name, task: r.spec(), key: submitKey(r.id, t.taskId, t.submitSeq), taskId: taskKey(r.job, t.taskId) })
  } catch (e) {
    if ((await clusterState(r.d.store, name)) !== 'up') return lost(r, 'the cluster went away before the task was submitted')
    throw e
  }
  const key = r.d.logs.taskKey(r.id, t.taskId)
  await r.d.logs.store.flush(key)
  const logBase = await r.d.logs.store.size(key)
  const now = Date.now()
  await r.patch(
    { status: 'RUNNING', startedAt: r.job.startedAt ?? now },
    { status: 'RUNNING', phase: 'monitor', agentJobId, logBase, startAt: t.startAt ?? now, runStartedAt: now },
  )
  r.log(`✓ Task ${t.taskId} submitted to cluster ${name} (its job ${agentJobId}).`)
  return { requeueAfterMs: Math.min(250, pollDelay(r)) }
}

/** Copy what the task printed since the last copy; the log's size is the durable offset. */
async function copyNewLog(r: JobRun): Promise<void> {
  const t = r.task
  if (t.agentJobId === null || !t.clusterName) return
  const key = r.d.logs.taskKey(r.id, t.taskId)
  await r.d.logs.store.flush(key)
  const offset = (await r.d.logs.store.size(key)) - t.logBase
  if (offset < 0) return
  await copyLog(r.d.store, t.clusterName, t.agentJobId, offset, (chunk) => r.d.logs.store.append(key, new TextDecoder().decode(chunk)))
  await r.d.logs.store.flush(key)
}

/** ALIVE: poll the task's job; decide on success, user failure or a lost cluster. */
export async function monitorStep(r: JobRun): Promise<StepResult> {
  const t = r.task
  const name = t.clusterName!
  await copyNewLog(r)
  const st = await pollJob(r.d.store, name, t.agentJobId!)
  if (st?.status && !agentTerminal(st.status)) {
    unanswered.delete(r.id)
    if (r.spec().numNodes > 1 && (await clusterState(r.d.store, name)) === 'gone') return lost(r, 'a node of the cluster is gone')
    return { requeueAfterMs: pollDelay(r) }
  }
  if (st?.status === 'SUCCEEDED') {
    unanswered.delete(r.id)
    await copyNewLog(r)
    return outcome(r, 'SUCCEEDED', null, st.exitCode)
  }
  const cs = await clusterState(r.d.store, name)
  if (!st) {
    if (cs === 'gone') return lost(r, 'its cluster was preempted or torn down')
    const n = (unanswered.get(r.id) ?? 0) + 1
    unanswered.set(r.id, n)
    if (n >= UNANSWERED_LIMIT) return lost(r, `its cluster did not answer ${n} times`)
    return { requeueAfterMs: pollDelay(r) }
  }
  unanswered.delete(r.id)
  if (cs !== 'up' || st.status === null || st.status === 'FAILED_DRIVER') {
    return lost(r, st.status === 'FAILED_DRIVER' ? 'its cluster was stopped or torn down' : 'its cluster was preempted or lost')
  }
  await copyNewLog(r)
  if (st.status === 'CANCELLED') return outcome(r, 'CANCELLED', 'The job was cancelled on its cluster.', st.exitCode)
  return userFailure(r, st.status, st.exitCode)
}

async function userFailure(r: JobRun, status: JobStatus, exitCode: number | null): Promise<StepResult> {
  const t = r.task
  const policy = recoveryPolicy(r.spec())
  const decision = restartDecision(policy, t.restartCount, exitCode)
  const what = status === 'FAILED_SETUP' ? 'setup' : 'run'
  if (decision === 'no') {
    const final: ManagedJobStatus = status === 'FAILED_SETUP' ? 'FAILED_SETUP' : 'FAILED'
    return outcome(r, final, `Task ${t.taskId} ${what} failed${exitCode !== null ? ` with exit code ${exitCode}` : ''}.`, exitCode)
  }
  const why = decision === 'free' ? `exit code ${exitCode} is in recover_on_exit_codes` : `restart ${t.restartCount + 1} of max_restarts_on_errors ${policy.maxRestartsOnErrors}`
  r.log(`↺ Task ${t.taskId} ${what} failed (exit code ${exitCode ?? '?'}); restarting it (${why}).`)
  const now = Date.now()
  await r.patch(
    { status: 'RECOVERING' },
    {
      status: 'RECOVERING',
      phase: 'submit',
      submitSeq: t.submitSeq + 1,
      restartCount: t.restartCount + (decision === 'counted' ? 1 : 0),
      recoveryCount: t.recoveryCount + 1,
      lastRecoveredAt: now,
      jobDurationMs: r.ranMs(now),
      runStartedAt: null,
      exitCode,
    },
  )
  return submitStep(r)
}

/** The cluster is lost: count a recovery, plan it by strategy, clean up, queue a relaunch. */
async function lost(r: JobRun, why: string): Promise<StepResult> {
  const t = r.task
  const policy = recoveryPolicy(r.spec())
  const plan = planRecovery(policy, r.spec(), t.infra)
  r.log(`⚠ Task ${t.taskId}: ${why}; recovering (strategy ${policy.strategy}${plan.blocked.length ? `, avoiding ${plan.blocked.map((b) => [b.infra, b.region].filter(Boolean).join('/')).join(', ')}` : ''}).`)
  const now = Date.now()
  await r.patch(
    { status: 'RECOVERING' },
    {
      status: 'RECOVERING',
      phase: 'recover',
      recoveryCount: t.recoveryCount + 1,
      lastRecoveredAt: now,
      jobDurationMs: r.ranMs(now),
      runStartedAt: null,
      blocked: plan.blocked,
      relaunch: plan.relaunch,
    },
  )
  return recoverCleanup(r)
}

/** phase recover: tear the old cluster down (unless FAILOVER tries it in place), then wait for a launch slot. */
export async function recoverCleanup(r: JobRun): Promise<StepResult> {
  const t = r.task
  if (t.relaunch !== 'same' && t.clusterName) await teardown(r.ops(), t.clusterName)
  await r.patch({ scheduleState: 'ALIVE_WAITING' }, { phase: 'launch', clusterLive: t.relaunch === 'same', agentJobId: null })
  r.wakeScheduler()
  return {}
}

/** Record how the task ended, then finish it (teardown first, so "final" means "cleaned up"). */
async function outcome(r: JobRun, status: ManagedJobStatus, reason: string | null, exitCode: number | null): Promise<StepResult> {
  const now = Date.now()
  await r.patch({}, { outcome: status, phase: 'cleanup', failureReason: reason, exitCode, jobDurationMs: r.ranMs(now), runStartedAt: null })
  return finishTask(r)
}

/** phase cleanup: copy the last output, tear down, record the status; next task or job done. */
export async function finishTask(r: JobRun): Promise<StepResult> {
  const t = r.task
  const status = t.outcome ?? 'FAILED_CONTROLLER'
  await copyNewLog(r).catch(() => {})
  if (t.clusterLive && t.clusterName) {
    r.log(`⚙︎ Tearing down cluster ${t.clusterName}.`)
    await teardown(r.ops(), t.clusterName)
  }
  const now = Date.now()
  await r.patch({}, { status, phase: 'done', endAt: now, clusterLive: false })
  r.log(`${status === 'SUCCEEDED' ? '✓' : '✗'} Task ${t.taskId} ${status}${t.failureReason ? `: ${t.failureReason}` : '.'}`)
  if (status === 'SUCCEEDED' && r.job.currentTask + 1 < r.job.numTasks) {
    await r.patch({ currentTask: r.job.currentTask + 1, scheduleState: 'ALIVE_WAITING', status: 'PENDING' })
    r.wakeScheduler()
    return {}
  }
  if (status !== 'SUCCEEDED') {
    await r.d.store.managedJobs.patchRemainingTasks(r.id, t.taskId + 1, { status: 'CANCELLED', phase: 'done', endAt: now, failureReason: `Skipped: task ${t.taskId} ended ${status}.` }, r.fence)
  }
  await r.patch({ status, scheduleState: 'DONE', endedAt: now, failureReason: t.failureReason })
  r.log(`${status === 'SUCCEEDED' ? '✓' : '✗'} Managed job ${r.id} ${status}.`)
  r.wakeScheduler()
  return { done: true }
}

/** cancel_requested: CANCELLING, tear the cluster down, CANCELLED (with every later task). */
export async function cancelStep(r: JobRun): Promise<StepResult> {
  const t = r.task
  const live = t.status !== 'CANCELLED' && t.phase !== 'done'
  await r.patch({ status: 'CANCELLING' }, live ? { status: 'CANCELLING' } : undefined)
  r.log(`⚙︎ Cancelling managed job ${r.id}.`)
  if (t.clusterLive && t.clusterName) {
    await copyNewLog(r).catch(() => {})
    await teardown(r.ops(), t.clusterName)
  }
  const now = Date.now()
  if (live) await r.patch({}, { status: 'CANCELLED', phase: 'done', endAt: now, clusterLive: false, jobDurationMs: r.ranMs(now), runStartedAt: null })
  await r.d.store.managedJobs.patchRemainingTasks(r.id, t.taskId + 1, { status: 'CANCELLED', phase: 'done', endAt: now }, r.fence)
  await r.patch({ status: 'CANCELLED', scheduleState: 'DONE', endedAt: now })
  r.log(`✓ Managed job ${r.id} CANCELLED.`)
  r.wakeScheduler()
  return { done: true }
}
