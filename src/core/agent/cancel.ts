// `cancel` and `stop-all`: mark jobs ended first (so the daemon never overwrites the outcome and
// never starts them), then kill everything they started, on every node.
import type { Database } from 'bun:sqlite'
import { existsSync } from 'node:fs'
import { readClusterSpec } from './cluster-spec'
import { notifyDaemon, stopDaemon } from './daemon-control'
import { killJobProcs } from './job-kill'
import { getJob, jobByKey, jobsWithStatus, scrubSecrets, transition } from './job-store'
import type { Layout } from './layout'
import { ACTIVE_STATUSES, isTerminal, type ClusterSpec, type JobStatus } from './types'
import { RunnerPool, type RunnerFactory } from './remote'

export interface CancelRequest {
  ids?: number[]
  all?: boolean
  /** The job submitted with this idempotency key. */
  key?: string
  /** Only this user's jobs (others are skipped). */
  userHash?: string
}

export interface CancelResult {
  cancelled: number[]
  skipped: { id: number; reason: string }[]
}

function spec(L: Layout): ClusterSpec | null {
  return existsSync(L.cluster) ? readClusterSpec(L.cluster) : null
}

/** End jobs `ids` with `to`, then kill their processes; returns the ids that were ended. */
async function endAndKill(db: Database, L: Layout, ids: number[], to: JobStatus, failure: string | null, runnerFactory?: RunnerFactory): Promise<number[]> {
  const ended: number[] = []
  for (const id of ids) {
    if (transition(db, id, ACTIVE_STATUSES, to, { endedAt: Date.now(), failure })) {
      scrubSecrets(db, id)
      ended.push(id)
    }
  }
  const cluster = spec(L)
  const runners = new RunnerPool(runnerFactory)
  try {
    await Promise.all(ended.map((id) => killJobProcs(runners, cluster, L.root, id, getJob(db, id)?.procs ?? [])))
  } finally {
    await runners.close()
  }
  return ended
}

export async function cancelJobs(db: Database, L: Layout, req: CancelRequest, runners?: RunnerFactory): Promise<CancelResult> {
  const skipped: CancelResult['skipped'] = []
  let targets: number[] = []
  if (req.all) {
    targets = jobsWithStatus(db, ACTIVE_STATUSES)
      .filter((j) => !req.userHash || j.userHash === req.userHash)
      .map((j) => j.id)
  } else {
    const byKey = req.key ? jobByKey(db, req.key) : null
    for (const id of [...(req.ids ?? []), ...(byKey ? [byKey.id] : [])]) {
      const job = getJob(db, id)
      if (!job) skipped.push({ id, reason: 'not found' })
      else if (req.userHash && job.userHash !== req.userHash) skipped.push({ id, reason: `owned by another user (${job.user})` })
      else if (isTerminal(job.status)) skipped.push({ id, reason: `already ${job.status}` })
      else targets.push(id)
    }
  }
  const cancelled = await endAndKill(db, L, targets, 'CANCELLED', null, runners)
  for (const id of targets) if (!cancelled.includes(id)) skipped.push({ id, reason: `already ${getJob(db, id)?.status ?? 'gone'}` })
  notifyDaemon(db, L)
  return { cancelled: cancelled.sort((a, b) => a - b), skipped }
}

/** Before stop/down: stop the daemon, fail every unfinished job (FAILED_DRIVER, as SkyPilot does), kill them. */
export async function stopAll(db: Database, L: Layout, runners?: RunnerFactory): Promise<{ daemonStopped: boolean; failedJobs: number[] }> {
  const daemonStopped = await stopDaemon(db, L)
  const ids = jobsWithStatus(db, ACTIVE_STATUSES).map((j) => j.id)
  const failedJobs = await endAndKill(db, L, ids, 'FAILED_DRIVER', 'The cluster was stopped.', runners)
  return { daemonStopped, failedJobs: failedJobs.sort((a, b) => a - b) }
}
