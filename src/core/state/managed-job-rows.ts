// Row mapping of the managed_jobs and managed_job_tasks tables: raw rows to records, and record
// fields to columns for updates.
import type { LaunchedInfra, ManagedJobRecord, ManagedJobStatus, ManagedTaskRecord, ScheduleState, TaskPhase } from '../jobs/types'
import type { SqlValue } from './db'

export interface RawJob {
  job_id: number
  name: string
  user_id: string
  user_name: string
  user_role: string | null
  workspace: string
  dag_yaml: string
  num_tasks: number
  priority: number
  status: ManagedJobStatus
  schedule_state: ScheduleState
  current_task: number
  cancel_requested: number
  retry_at: number | null
  submitted_at: number
  started_at: number | null
  ended_at: number | null
  updated_at: number
  failure_reason: string | null
  entrypoint: string | null
  request_id?: string | null
  config?: string | null
  uploads?: string | null
}

export interface RawTask {
  job_id: number
  task_id: number
  task_name: string | null
  resources: string
  status: ManagedJobStatus
  phase: TaskPhase
  cluster_name: string | null
  cluster_live: number
  infra: string | null
  blocked: string | null
  submitted_at: number
  start_at: number | null
  end_at: number | null
  last_recovered_at: number | null
  recovery_count: number
  restart_count: number
  launch_attempts: number
  job_duration: number
  run_started_at: number | null
  agent_job_id: number | null
  submit_seq: number
  log_base: number
  exit_code: number | null
  outcome: ManagedJobStatus | null
  relaunch: 'any' | 'same' | null
  failure_reason: string | null
}

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

export function jobFromRow(r: RawJob): ManagedJobRecord {
  return {
    jobId: Number(r.job_id),
    name: r.name,
    userId: r.user_id,
    userName: r.user_name,
    userRole: r.user_role,
    workspace: r.workspace,
    dagYaml: r.dag_yaml,
    numTasks: Number(r.num_tasks),
    priority: Number(r.priority),
    status: r.status,
    scheduleState: r.schedule_state,
    currentTask: Number(r.current_task),
    cancelRequested: !!Number(r.cancel_requested),
    retryAt: n(r.retry_at),
    submittedAt: Number(r.submitted_at),
    startedAt: n(r.started_at),
    endedAt: n(r.ended_at),
    updatedAt: Number(r.updated_at),
    failureReason: r.failure_reason,
    entrypoint: r.entrypoint,
    config: r.config ? (JSON.parse(r.config) as Record<string, unknown>) : null,
    uploads: r.uploads ? JSON.parse(r.uploads) : null,
  }
}

export function taskFromRow(r: RawTask): ManagedTaskRecord {
  return {
    jobId: Number(r.job_id),
    taskId: Number(r.task_id),
    taskName: r.task_name,
    resources: r.resources,
    status: r.status,
    phase: r.phase,
    clusterName: r.cluster_name,
    clusterLive: !!Number(r.cluster_live),
    infra: r.infra ? (JSON.parse(r.infra) as LaunchedInfra) : null,
    blocked: r.blocked ? JSON.parse(r.blocked) : [],
    submittedAt: Number(r.submitted_at),
    startAt: n(r.start_at),
    endAt: n(r.end_at),
    lastRecoveredAt: n(r.last_recovered_at),
    recoveryCount: Number(r.recovery_count),
    restartCount: Number(r.restart_count),
    launchAttempts: Number(r.launch_attempts),
    jobDurationMs: Number(r.job_duration),
    runStartedAt: n(r.run_started_at),
    agentJobId: n(r.agent_job_id),
    submitSeq: Number(r.submit_seq),
    logBase: Number(r.log_base),
    exitCode: n(r.exit_code),
    outcome: r.outcome,
    relaunch: r.relaunch ?? 'any',
    failureReason: r.failure_reason,
  }
}

export const JOB_COLS: Record<string, string> = {
  name: 'name',
  status: 'status',
  scheduleState: 'schedule_state',
  currentTask: 'current_task',
  cancelRequested: 'cancel_requested',
  retryAt: 'retry_at',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  failureReason: 'failure_reason',
}

export const TASK_COLS: Record<string, string> = {
  status: 'status',
  phase: 'phase',
  clusterName: 'cluster_name',
  clusterLive: 'cluster_live',
  infra: 'infra',
  blocked: 'blocked',
  startAt: 'start_at',
  endAt: 'end_at',
  lastRecoveredAt: 'last_recovered_at',
  recoveryCount: 'recovery_count',
  restartCount: 'restart_count',
  launchAttempts: 'launch_attempts',
  jobDurationMs: 'job_duration',
  runStartedAt: 'run_started_at',
  agentJobId: 'agent_job_id',
  submitSeq: 'submit_seq',
  logBase: 'log_base',
  exitCode: 'exit_code',
  outcome: 'outcome',
  relaunch: 'relaunch',
  failureReason: 'failure_reason',
}

export function toSql(v: unknown): SqlValue {
  if (v === undefined) return null
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v !== null && typeof v === 'object') return JSON.stringify(v)
  return v as SqlValue
}

export function sets(patch: Record<string, unknown>, cols: Record<string, string>): { sql: string[]; params: SqlValue[] } {
  const sql: string[] = []
  const params: SqlValue[] = []
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue
    const col = cols[k]
    if (!col) throw new Error(`unknown managed job field '${k}'`)
    sql.push(`${col} = ?`)
    params.push(toSql(v))
  }
  return { sql, params }
}

