// The `sky jobs queue` table in SkyPilot's format (sky/jobs/utils.py::format_job_table): one row
// per single-task job; a pipeline gets a parent row (empty TASK) and a ` ↳` row per task.
import type { ManagedJob as ManagedJobWire, ManagedJobStatus } from '../../api/wire'
import { color } from '../../lib/colors'
import { renderTable, type Cell } from '../../lib/table'
import { relativeTime, shortDuration } from '../../lib/time'

const STATUS_COLOR: Partial<Record<ManagedJobStatus, (s: string) => string>> = {
  PENDING: color.cyan,
  STARTING: color.cyan,
  RUNNING: color.green,
  RECOVERING: color.cyan,
  CANCELLING: color.yellow,
  SUCCEEDED: color.green,
  CANCELLED: color.yellow,
  FAILED: color.red,
  FAILED_SETUP: color.red,
  FAILED_PRECHECKS: color.red,
  FAILED_NO_RESOURCE: color.red,
  FAILED_CONTROLLER: color.red,
}

const colored = (s: ManagedJobStatus) => (STATUS_COLOR[s] ?? ((x: string) => x))(s)

/** A pipeline's status: the first task that did not succeed decides; all succeeded → SUCCEEDED. */
export function pipelineStatus(tasks: ManagedJobWire[]): ManagedJobStatus {
  return tasks.find((t) => t.status !== 'SUCCEEDED')?.status ?? 'SUCCEEDED'
}

function durations(t: { submitted_at: number; end_at: number | null; job_duration: number; start_at: number | null }, now: number): [string, string] {
  const total = shortDuration(((t.end_at ?? now / 1000) - t.submitted_at) * 1000)
  const ran = t.job_duration > 0 || t.start_at ? shortDuration(t.job_duration * 1000) : '-'
  return [total, ran]
}

export function renderJobsTable(records: ManagedJobWire[], o: { allUsers: boolean; now?: number }): string {
  const now = o.now ?? Date.now()
  const byJob = new Map<number, ManagedJobWire[]>()
  for (const r of records) (byJob.get(r.job_id) ?? byJob.set(r.job_id, []).get(r.job_id)!).push(r)
  const headers = ['ID', 'TASK', 'NAME', ...(o.allUsers ? ['USER'] : []), 'REQUESTED', 'SUBMITTED', 'TOT. DURATION', 'JOB DURATION', '#RECOVERIES', 'STATUS']
  const rows: Cell[][] = []
  const user = (r: ManagedJobWire) => (o.allUsers ? [r.user_name] : [])
  for (const [id, tasks] of [...byJob].sort((a, b) => b[0] - a[0])) {
    tasks.sort((a, b) => a.task_id - b.task_id)
    const first = tasks[0]!
    if (tasks.length === 1) {
      const [total, ran] = durations(first, now)
      rows.push([id, '-', first.task_name ?? first.job_name, ...user(first), first.resources, relativeTime(first.submitted_at * 1000, now), total, ran, first.recovery_count, colored(first.status)])
      continue
    }
    const last = tasks[tasks.length - 1]!
    const ended = tasks.every((t) => t.end_at !== null) ? Math.max(...tasks.map((t) => t.end_at!)) : null
    const ran = tasks.reduce((a, t) => a + t.job_duration, 0)
    const [total, jobDur] = durations({ submitted_at: first.submitted_at, end_at: ended, job_duration: ran, start_at: first.start_at ?? last.start_at }, now)
    const recoveries = tasks.reduce((a, t) => a + t.recovery_count, 0)
    rows.push([id, '', first.job_name, ...user(first), '-', relativeTime(first.submitted_at * 1000, now), total, jobDur, recoveries, colored(pipelineStatus(tasks))])
    for (const t of tasks) {
      const [tTotal, tRan] = durations(t, now)
      rows.push([' ↳', t.task_id, t.task_name ?? '-', ...user(t), t.resources, relativeTime(t.submitted_at * 1000, now), tTotal, tRan, t.recovery_count, colored(t.status)])
    }
  }
  return renderTable(headers, rows)
}

/** `In progress tasks: 1 STARTING, 2 RUNNING` (SkyPilot orders by status). */
export function inProgressLine(counts: Record<string, number>): string | undefined {
  const order: ManagedJobStatus[] = ['PENDING', 'STARTING', 'RUNNING', 'RECOVERING', 'CANCELLING']
  const parts = order.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`)
  return parts.length ? `In progress tasks: ${parts.join(', ')}` : undefined
}

export function usefulJobCommands(jobId: number): string {
  return [
    '📋 Useful Commands',
    `Managed Job ID: ${jobId}`,
    `├── To cancel the job:              sky jobs cancel ${jobId}`,
    `├── To stream job logs:             sky jobs logs ${jobId}`,
    `├── To stream controller logs:      sky jobs logs --controller ${jobId}`,
    `└── To view all managed jobs:       sky jobs queue`,
  ].join('\n')
}
