// Managed jobs in the SDK (SkyPilot's sky.jobs.*). Each call returns a request id; finish it with
// client.get (launch → {job_id, name}; queue → {jobs, total, in_progress}; cancel → {cancelled,
// ...}) or client.streamAndGet (logs streams the job's output → {job_id, status, exit_code}).
import type { ManagedJobStatus, ManagedJobWire } from '../core/jobs/types'
import type { SkyClient } from './client'
import type { UploadRefs } from './uploads'

export type { ManagedJobStatus, ManagedJobWire }

export interface JobsLaunchOptions {
  /** Job name (for a single task, also its name). */
  name?: string
  entrypoint?: string
  /** Per task, what uploadTaskFiles returned (needed by a deployed server for workdirs and file mounts). */
  uploads?: (UploadRefs | null)[]
}

/** `task` is SkyPilot-format task YAML: one task, or a pipeline (several documents). */
export const launch = (c: SkyClient, task: string, o: JobsLaunchOptions = {}) =>
  c.submit('/jobs/launch', { task, name: o.name, entrypoint: o.entrypoint, uploads: o.uploads })

export interface JobsQueueOptions {
  allUsers?: boolean
  skipFinished?: boolean
  jobIds?: number[]
  statuses?: ManagedJobStatus[]
  /** Newest first, at most this many jobs (0 = all; default 50). */
  limit?: number
}

export interface JobsQueueResult {
  jobs: ManagedJobWire[]
  total: number
  in_progress: Record<string, number>
}

export const queue = (c: SkyClient, o: JobsQueueOptions = {}) =>
  c.submit('/jobs/queue', { all_users: o.allUsers, skip_finished: o.skipFinished, job_ids: o.jobIds, statuses: o.statuses, limit: o.limit })

export interface JobsCancelOptions {
  jobIds?: number[]
  name?: string
  all?: boolean
  allUsers?: boolean
}

export const cancel = (c: SkyClient, o: JobsCancelOptions) => c.submit('/jobs/cancel', { job_ids: o.jobIds, name: o.name, all: o.all, all_users: o.allUsers })

export interface JobsLogsOptions {
  jobId?: number
  name?: string
  follow?: boolean
  controller?: boolean
  tail?: number
}

export const tailLogs = (c: SkyClient, o: JobsLogsOptions = {}) =>
  c.submit('/jobs/logs', { job_id: o.jobId, name: o.name, follow: o.follow, controller: o.controller, tail: o.tail })
