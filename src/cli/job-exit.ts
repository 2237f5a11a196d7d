// How a job's outcome becomes the CLI's exit code, as SkyPilot's JobExitCode has it: 0 SUCCEEDED,
// 100 FAILED (also FAILED_SETUP, FAILED_DRIVER), 101 NOT_FINISHED, 102 NOT_FOUND, 103 CANCELLED.
// Used by `sky logs` (with or without --status) and by launch/exec when they wait on the job. The
// job's own exit code goes into the message, never into the process exit code, so a job's `exit 3`
// cannot be mistaken for "no resources fit" (3).
import { JobFailedError } from '../core/errors'

export const JOB_EXIT = { SUCCEEDED: 0, FAILED: 100, NOT_FINISHED: 101, NOT_FOUND: 102, CANCELLED: 103 } as const

const FAILED = ['FAILED', 'FAILED_SETUP', 'FAILED_DRIVER']

export function exitForJobStatus(status: string | null | undefined): number {
  if (status === null || status === undefined) return JOB_EXIT.NOT_FOUND
  if (status === 'SUCCEEDED') return JOB_EXIT.SUCCEEDED
  if (status === 'CANCELLED') return JOB_EXIT.CANCELLED
  if (FAILED.includes(status)) return JOB_EXIT.FAILED
  return JOB_EXIT.NOT_FINISHED
}

export interface JobOutcome {
  job_id?: number | null
  job_status?: string | null
  /** The job's own exit code, when it ended. */
  exit_code?: number | null
}

/** The sentence naming what happened to a job that did not succeed. */
export function jobOutcomeMessage(cluster: string, o: JobOutcome): string {
  const job = o.job_id ? `Job ${o.job_id}` : 'The job'
  const where = ` on cluster '${cluster}'`
  switch (exitForJobStatus(o.job_status)) {
    case JOB_EXIT.NOT_FOUND:
      return o.job_id ? `Job ${o.job_id} not found${where}.` : `No job found${where}.`
    case JOB_EXIT.CANCELLED:
      return `${job}${where} was cancelled (status: CANCELLED).`
    case JOB_EXIT.NOT_FINISHED:
      return `${job}${where} has not finished (status: ${o.job_status}).`
    default: {
      const code = o.exit_code !== null && o.exit_code !== undefined ? `exit code ${o.exit_code}` : 'no exit code recorded'
      const phase = o.job_status === 'FAILED_SETUP' ? ' during setup' : ''
      return `${job}${where} failed${phase} with ${code} (status: ${o.job_status}).`
    }
  }
}

/**
 * After launch/exec waited on a job: throw the job outcome error unless it succeeded (or was only
 * submitted: detached runs end PENDING).
 */
export function throwUnlessSucceeded(cluster: string, o: JobOutcome | undefined | null): void {
  if (!o?.job_status || o.job_status === 'SUCCEEDED') return
  if (o.job_status === 'PENDING' && (o.exit_code === null || o.exit_code === undefined)) return
  throw new JobFailedError(jobOutcomeMessage(cluster, o), exitForJobStatus(o.job_status), {
    details: { job_id: o.job_id ?? null, job_status: o.job_status, job_exit_code: o.exit_code ?? null },
  })
}
