// Jobs on a cluster: exec, queue, cancel, logs, job_status.
import type { ClusterJob, JobStatus, JobSubmitted, LogsResult } from '../../../api/wire'
import { cancelJobs, exec as execJob, jobStatus as status, queue as listJobs, tailLogs, type ExecBody } from '../../../core/clusters/jobs'
import { toWireJob } from '../../present'
import type { OpContext } from '../types'
import { opsContext } from './clusters'

export const exec = (c: OpContext, body: ExecBody): Promise<JobSubmitted> => execJob(opsContext(c), body)

export const queue = async (c: OpContext, b: { cluster_name: string; all_users?: boolean; skip_finished?: boolean }): Promise<ClusterJob[]> =>
  (await listJobs(c.store, b.cluster_name, c.user, { allUsers: b.all_users, skipFinished: b.skip_finished })).map(toWireJob)

export const cancel = (c: OpContext, b: { cluster_name: string; job_ids?: number[]; all?: boolean; all_users?: boolean }): Promise<number[]> =>
  cancelJobs(c.store, b.cluster_name, c.user, { jobIds: b.job_ids, all: b.all, allUsers: b.all_users })

export const jobStatus = (c: OpContext, b: { cluster_name: string; job_ids?: number[] }): Promise<Record<string, JobStatus | null>> =>
  status(c.store, b.cluster_name, c.user, b.job_ids ?? [])

const NOT_FOUND = 102

export async function logs(c: OpContext, b: { cluster_name: string; job_id?: number; follow?: boolean; tail?: number }): Promise<LogsResult> {
  let stderr = ''
  const code = await tailLogs(c.store, b.cluster_name, c.user, {
    jobId: b.job_id,
    follow: b.follow !== false,
    tail: b.tail,
    write: c.write,
    onStderr: (s) => (stderr += s),
    signal: c.signal,
  })
  // "Job N not found." is the CLI's to say (on stderr, with exit 102); anything else goes to the log.
  if (stderr && code !== NOT_FOUND) c.write(stderr)
  if (code === 0 || code === NOT_FOUND) return { exit_code: code, job_id: b.job_id ?? null, job_status: code === 0 ? 'SUCCEEDED' : null, job_exit_code: code === 0 ? 0 : null }
  const jobs = await listJobs(c.store, b.cluster_name, c.user, { allUsers: true })
  const job = b.job_id !== undefined ? jobs.find((j) => j.id === b.job_id) : [...jobs].sort((x, y) => y.id - x.id)[0]
  return { exit_code: code, job_id: job?.id ?? b.job_id ?? null, job_status: job?.status ?? null, job_exit_code: job?.exitCode ?? null }
}
