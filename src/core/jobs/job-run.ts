// One reconcile of one managed job: its record, its current task, fenced writes that keep the
// in-memory copy in step with the store, the controller log, and the cluster adapter's context.
import type { Actor } from '../clusters/record'
import type { Fence } from '../state/leases'
import type { JobPatch, JobWithTasks, TaskPatch } from '../state/managed-jobs'
import type { Store } from '../state/store'
import { parseDag } from '../task/dag-parse'
import type { Dag, Task } from '../task/types'
import type { OpsCtx } from './cluster-ops'
import type { JobLogs } from './logs'
import type { JobsSettings } from './settings'
import type { ManagedTaskRecord } from './types'

export interface JobDeps {
  store: Store
  logs: JobLogs
  settings: () => JobsSettings
  wake(kind: string, key: string): void
}

/** Thrown when a fenced write finds that another replica owns the job now. */
export class LeaseLost extends Error {
  readonly leaseLost = true
  constructor(jobId: number) {
    super(`managed job ${jobId}: another replica owns it now`)
  }
}

const dags = new Map<number, Dag>()

/** Drop a job's cached DAG (the controller forgets the job). */
export function forgetDag(jobId: number): void {
  dags.delete(jobId)
}

export class JobRun {
  constructor(
    public job: JobWithTasks,
    readonly d: JobDeps,
    readonly fence: Fence,
    readonly signal: AbortSignal,
  ) {}

  get id(): number {
    return this.job.jobId
  }

  get task(): ManagedTaskRecord {
    return this.job.tasks[this.job.currentTask]!
  }

  /** The task spec of the current task (the DAG is parsed once per job). */
  spec(taskId = this.job.currentTask): Task {
    let dag = dags.get(this.id)
    if (!dag) dags.set(this.id, (dag = parseDag(this.job.dagYaml)))
    return dag.tasks[taskId]!
  }

  get actor(): Actor {
    return { id: this.job.userId, name: this.job.userName, role: this.job.userRole ?? 'user' }
  }

  ops(): OpsCtx {
    // The cluster lock's owner: the same for every attempt of this task, so a resumed controller
    // (after a crash, or on another replica) re-enters a lock its predecessor held.
    return { store: this.d.store, actor: this.actor, signal: this.signal, log: (l) => this.log(l), owner: `managed-job-${this.id}-${this.job.currentTask}` }
  }

  log(line: string): void {
    this.d.logs.controller(this.id, line)
  }

  /** Write the job (and the current task, or `taskId`), fenced; mirrors the change in memory. */
  async patch(job: JobPatch, task?: TaskPatch, taskId = this.job.currentTask): Promise<void> {
    const ok = await this.d.store.managedJobs.update(this.id, job, task ? { taskId, patch: task } : undefined, this.fence)
    if (!ok) throw new LeaseLost(this.id)
    Object.assign(this.job, job)
    if (task) Object.assign(this.job.tasks[taskId]!, task)
  }

  /** Milliseconds the current task has run, counting the running period in progress. */
  ranMs(now = Date.now()): number {
    const t = this.task
    return t.jobDurationMs + (t.runStartedAt ? now - t.runStartedAt : 0)
  }

  wakeScheduler(): void {
    this.d.wake('jobs', 'scheduler')
  }
}

/** The idempotency key of one submission of a task (a restart or relaunch submits anew). */
export function submitKey(jobId: number, taskId: number, seq: number): string {
  return `mj-${jobId}-${taskId}-${seq}`
}

/** SKYPILOT_TASK_ID of a managed task: stable across restarts and recoveries (checkpoints use it). */
export function taskKey(job: { jobId: number; name: string; submittedAt: number }, taskId: number): string {
  const d = new Date(job.submittedAt)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const ts = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}-${p(d.getUTCMilliseconds() * 1000, 6)}`
  return `sky-managed-${ts}_${job.name}_${job.jobId}-${taskId}`
}
