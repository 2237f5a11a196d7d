// The sections `sky status` prints after its Clusters table, in SkyPilot's layout: Managed jobs
// (the latest in-progress ones) and Services, each with a hint pointing at the full command.
import type { ManagedJobQueue, Service } from '../../api/wire'
import { color } from '../../lib/colors'
import { inProgressLine, renderJobsTable } from './jobs'
import { renderServices } from './serve'

/** How many in-progress managed jobs `sky status` lists (SkyPilot shows the 5 latest). */
export const STATUS_MANAGED_JOBS = 5

export interface Section {
  text: string
  /** A `* ...` line for the hints printed after all sections, if any. */
  hint?: string
}

/** What a section shows when its query failed: the reason, in place of the table. */
export function failedSection(heading: string, what: string, e: unknown): Section {
  const msg = e instanceof Error ? e.message : String(e)
  return { text: `${color.cyan(heading)}\nFailed to fetch ${what}: ${msg}` }
}

/** `q` is a queue of unfinished jobs cut to the latest STATUS_MANAGED_JOBS; `total` counts them all. */
export function managedJobsSection(q: ManagedJobQueue, o: { allUsers: boolean; now?: number }): Section {
  const heading = color.cyan('Managed jobs')
  if (!q.jobs.length) return { text: `${heading}\nNo in-progress managed jobs.` }
  const lines = [heading]
  const progress = inProgressLine(q.in_progress)
  if (progress) lines.push(progress)
  lines.push(renderJobsTable(q.jobs, { allUsers: o.allUsers, now: o.now }))
  const n = q.total
  const shown = new Set(q.jobs.map((j) => j.job_id)).size
  const latest = n > shown ? ` (${shown} latest ones shown)` : ''
  const hint = `* ${n} managed job${n === 1 ? ' is' : 's are'} in progress${latest}. To see all managed jobs: ${color.bold('sky jobs queue')}`
  return { text: lines.join('\n'), hint }
}

export function servicesSection(services: Service[], o: { now?: number } = {}): Section {
  const heading = color.cyan('Services')
  if (!services.length) return { text: `${heading}\nNo live services.` }
  return {
    text: `${heading}\n${renderServices(services, { verbose: false, now: o.now })}`,
    hint: `* To see detailed service status: ${color.bold('sky serve status -v')}`,
  }
}
