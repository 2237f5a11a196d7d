// sky queue [CLUSTERS...]: the job queue of each cluster.
import { defineCommand } from 'citty'
import type { JobInfo } from '../../core/agent/types'
import type { ClusterRecord } from '../../core/state/clusters'
import { color } from '../../lib/colors'
import { renderTable } from '../../lib/table'
import { relativeTime, shortDuration } from '../../lib/time'
import { queue, status } from '../../sdk/ops'
import { allUsersArg, outputArg, outputFormat, positionals } from '../args'
import { finish, sky } from '../client'
import { info, out, printJson } from '../output'
import { DESCRIPTIONS } from './descriptions'

const jobColor: Record<string, (s: string) => string> = {
  SUCCEEDED: color.green,
  RUNNING: color.green,
  FAILED: color.red,
  FAILED_SETUP: color.red,
  FAILED_DRIVER: color.red,
  PENDING: color.blue,
  SETTING_UP: color.blue,
  CANCELLED: color.yellow,
}

export function renderQueue(jobs: JobInfo[]): string {
  return renderTable(
    ['ID', 'NAME', 'USER', 'SUBMITTED', 'STARTED', 'DURATION', 'RESOURCES', 'STATUS', 'LOG'],
    [...jobs]
      .sort((a, b) => b.id - a.id)
      .map((j) => [
        j.id,
        j.name ?? '-',
        j.user,
        relativeTime(j.submittedAt),
        relativeTime(j.startedAt),
        j.startedAt ? shortDuration((j.endedAt ?? Date.now()) - j.startedAt) : '-',
        j.resources,
        (jobColor[j.status] ?? ((s: string) => s))(j.status),
        j.logPath,
      ]),
  )
}

export default defineCommand({
  meta: { name: 'queue', description: DESCRIPTIONS.queue },
  args: {
    clusters: { type: 'positional', required: false, description: 'Cluster names (default: all of yours that are UP).' },
    'skip-finished': { type: 'boolean', alias: 's', description: 'Only jobs that have not finished.' },
    ...allUsersArg,
    ...outputArg,
  },
  async run({ args }) {
    const c = sky()
    let names = positionals(args)
    if (!names.length) {
      const all = (await finish<ClusterRecord[]>(await status(c, {}))) ?? []
      names = all.filter((x) => x.status === 'UP').map((x) => x.name)
    }
    const fmt = outputFormat(args.output)
    if (fmt === 'table') info('Fetching and parsing job queue...')
    const results: Record<string, JobInfo[]> = {}
    const ids = await Promise.all(names.map((n) => queue(c, n, { allUsers: !!args['all-users'], skipFinished: !!args['skip-finished'] })))
    let firstError: unknown
    for (const [i, id] of ids.entries()) {
      try {
        results[names[i]!] = (await finish<JobInfo[]>(id)) ?? []
      } catch (e) {
        firstError ??= e
        info(`Error: ${(e as Error).message}`)
      }
    }
    if (fmt === 'json') printJson(results)
    else {
      for (const [name, jobs] of Object.entries(results)) {
        out(`\nJob queue of ${args['all-users'] ? 'all users' : 'current user'} on cluster ${name}`)
        out(jobs.length ? renderQueue(jobs) : 'No jobs.')
      }
    }
    if (firstError) throw firstError
  },
})
