// Managed jobs as clients get them: one record per task (SkyPilot's managed-job record names,
// snake_case, times in seconds), plus the exit code `sky jobs logs` returns for a status.
import type { JobWithTasks } from '../state/managed-jobs'
import { isTerminalJob, type ManagedJobStatus, type ManagedJobWire } from './types'

const sec = (ms: number | null): number | null => (ms === null ? null : ms / 1000)

export function jobToWire(j: JobWithTasks, now = Date.now()): ManagedJobWire[] {
  return j.tasks.map((t) => ({
    job_id: j.jobId,
    task_id: t.taskId,
    job_name: j.name,
    task_name: t.taskName,
    user_name: j.userName,
    user_hash: j.userId,
    workspace: j.workspace,
    resources: t.resources,
    status: t.status,
    schedule_state: j.scheduleState,
    submitted_at: t.submittedAt / 1000,
    start_at: sec(t.startAt),
    end_at: sec(t.endAt),
    last_recovered_at: sec(t.lastRecoveredAt),
    recovery_count: t.recoveryCount,
    job_duration: (t.jobDurationMs + (t.runStartedAt ? now - t.runStartedAt : 0)) / 1000,
    failure_reason: t.failureReason,
    cluster_name: t.clusterName,
    cloud: t.infra?.cloud ?? null,
    region: t.infra?.region ?? null,
    zone: t.infra?.zone ?? null,
    priority: j.priority,
    num_tasks: j.numTasks,
  }))
}

/** SkyPilot's JobExitCode for a managed job: 0 SUCCEEDED, 100 failed, 101 not finished, 103 CANCELLED. */
export function exitCodeFor(status: ManagedJobStatus): number {
  if (status === 'SUCCEEDED') return 0
  if (status === 'CANCELLED') return 103
  if (isTerminalJob(status)) return 100
  return 101
}
