// Cluster job-queue operations: queue, cancel, logs, job_status.
import { cancelJobs, jobStatus as status, queue as listJobs, tailLogs } from '../../../core/clusters/jobs'
import type { OpContext } from '../types'

export const queue = (c: OpContext, b: { cluster_name: string; all_users?: boolean; skip_finished?: boolean }) =>
  listJobs(c.store, b.cluster_name, c.user, { allUsers: b.all_users, skipFinished: b.skip_finished })

export const cancel = (c: OpContext, b: { cluster_name: string; job_ids?: number[]; all?: boolean; all_users?: boolean }) =>
  cancelJobs(c.store, b.cluster_name, c.user, { jobIds: b.job_ids, all: b.all, allUsers: b.all_users })

export const jobStatus = (c: OpContext, b: { cluster_name: string; job_ids?: number[] }) => status(c.store, b.cluster_name, c.user, b.job_ids ?? [])

export async function logs(c: OpContext, b: { cluster_name: string; job_id?: number; follow?: boolean; tail?: number }) {
  const code = await tailLogs(c.store, b.cluster_name, c.user, { jobId: b.job_id, follow: b.follow !== false, tail: b.tail, write: c.write, signal: c.signal })
  return { exit_code: code }
}
