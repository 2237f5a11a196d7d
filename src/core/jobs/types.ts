import type { UploadRefs } from '../uploads/sources'

// Managed jobs: statuses, schedule states and the records the store keeps (SkyPilot's
// ManagedJobStatus and ManagedJobScheduleState, sky/jobs/state.py).

/** A managed job's (and each of its tasks') status, in lifecycle order. */
export const MANAGED_JOB_STATUSES = [
  'PENDING',
  'STARTING',
  'RUNNING',
  'RECOVERING',
  'CANCELLING',
  'SUCCEEDED',
  'CANCELLED',
  'FAILED',
  'FAILED_SETUP',
  'FAILED_PRECHECKS',
  'FAILED_NO_RESOURCE',
  'FAILED_CONTROLLER',
] as const
export type ManagedJobStatus = (typeof MANAGED_JOB_STATUSES)[number]

export const TERMINAL_JOB_STATUSES: ReadonlySet<ManagedJobStatus> = new Set([
  'SUCCEEDED',
  'CANCELLED',
  'FAILED',
  'FAILED_SETUP',
  'FAILED_PRECHECKS',
  'FAILED_NO_RESOURCE',
  'FAILED_CONTROLLER',
])

export const isTerminalJob = (s: ManagedJobStatus): boolean => TERMINAL_JOB_STATUSES.has(s)
export const isFailedJob = (s: ManagedJobStatus): boolean => s.startsWith('FAILED')

/** SkyPilot's JobExitCode for a managed job: 0 SUCCEEDED, 100 failed, 101 not finished, 103 CANCELLED. */
export function exitCodeFor(status: ManagedJobStatus): number {
  if (status === 'SUCCEEDED') return 0
  if (status === 'CANCELLED') return 103
  if (isTerminalJob(status)) return 100
  return 101
}

/**
 * Where a job is in the scheduler: WAITING for its first launch slot, LAUNCHING (holds a launch
 * slot), ALIVE (its task runs), ALIVE_WAITING (needs a launch slot again: next pipeline task or a
 * recovery), ALIVE_BACKOFF (a launch failed for lack of capacity; retries at `retry_at`), DONE.
 */
export const SCHEDULE_STATES = ['WAITING', 'LAUNCHING', 'ALIVE', 'ALIVE_WAITING', 'ALIVE_BACKOFF', 'DONE'] as const
export type ScheduleState = (typeof SCHEDULE_STATES)[number]

/** Finer steps of a task, so a restarted controller resumes exactly where it stopped. */
export type TaskPhase = 'pending' | 'launch' | 'submit' | 'monitor' | 'recover' | 'cleanup' | 'done'

export interface ManagedJobRecord {
  jobId: number
  name: string
  userId: string
  userName: string
  userRole: string | null
  workspace: string
  dagYaml: string
  numTasks: number
  priority: number
  status: ManagedJobStatus
  scheduleState: ScheduleState
  currentTask: number
  cancelRequested: boolean
  retryAt: number | null
  submittedAt: number
  startedAt: number | null
  endedAt: number | null
  updatedAt: number
  failureReason: string | null
  entrypoint: string | null
  /** The submitting client's config layers (SkyPilot's override_skypilot_config), applied to its launches. */
  config: Record<string, unknown> | null
  /** Per task: the workdir and file mounts the client uploaded (a deployed server syncs only these). */
  uploads: (UploadRefs | null)[] | null
}

export interface LaunchedInfra {
  cloud: string
  region?: string | null
  zone?: string | null
}

export interface ManagedTaskRecord {
  jobId: number
  taskId: number
  taskName: string | null
  /** The REQUESTED column, e.g. `1x[CPU:1+]` or `1x[L4:1][Spot]`. */
  resources: string
  status: ManagedJobStatus
  phase: TaskPhase
  clusterName: string | null
  /** The task's cluster may exist and must be torn down before the task is done. */
  clusterLive: boolean
  infra: LaunchedInfra | null
  /** Locations failover and recovery block, carried across launch attempts. */
  blocked: { infra: string; region?: string; zone?: string }[]
  submittedAt: number
  startAt: number | null
  endAt: number | null
  lastRecoveredAt: number | null
  recoveryCount: number
  restartCount: number
  launchAttempts: number
  /** Milliseconds the task ran in finished running periods (the current one not included). */
  jobDurationMs: number
  runStartedAt: number | null
  agentJobId: number | null
  submitSeq: number
  /** Offset in the task's log where the current cluster job's output starts. */
  logBase: number
  exitCode: number | null
  /** The task's final status, decided before its cluster is torn down (status follows after). */
  outcome: ManagedJobStatus | null
  /** Next launch: anywhere the optimizer allows, or first where it ran (FAILOVER's first step). */
  relaunch: 'any' | 'same'
  failureReason: string | null
}
