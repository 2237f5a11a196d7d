// `jobs.controller.*` settings of the API server's config, with their defaults.
import { configGet } from '../config'

export interface JobsSettings {
  /** Task clusters being launched at once (SkyPilot: 8 per controller worker). */
  maxConcurrentLaunches: number
  /** Jobs past WAITING at once: launching, running or recovering (SkyPilot's ceiling is 2,000). */
  maxRunningJobs: number
  /** Poll of a remote cluster's job (SkyPilot: 15 s); local clusters are read in-process. */
  statusCheckMs: number
  localStatusCheckMs: number
  /** Gap between relaunch rounds when no location has capacity (SkyPilot: 60 s). */
  retryGapMs: number
  /** First launches that fail for lack of capacity are retried this many times, then FAILED_NO_RESOURCE. */
  launchRetries: number
  /** Safety net on each task cluster: it tears itself down after this many idle minutes. */
  autodownMinutes: number
}

function num(path: string, fallback: number, min: number): number {
  const v = Number(configGet(path, fallback))
  return Number.isFinite(v) && v >= min ? v : fallback
}

export function jobsSettings(): JobsSettings {
  return {
    maxConcurrentLaunches: Math.floor(num('jobs.controller.max_concurrent_launches', 8, 1)),
    maxRunningJobs: Math.floor(num('jobs.controller.max_running_jobs', 2000, 1)),
    statusCheckMs: num('jobs.controller.status_check_seconds', 15, 0.05) * 1000,
    localStatusCheckMs: num('jobs.controller.local_status_check_seconds', 1, 0.05) * 1000,
    retryGapMs: num('jobs.controller.recovery_retry_gap_seconds', 60, 0) * 1000,
    launchRetries: Math.floor(num('jobs.controller.launch_retries', 3, 0)),
    autodownMinutes: Math.floor(num('jobs.controller.task_autodown_minutes', 10, 1)),
  }
}
