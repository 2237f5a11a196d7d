// sky queue [CLUSTERS...]: the job queue of each cluster.
import { defineCommand } from 'citty'
import { status } from '../../api/ops/clusters'
import { queue } from '../../api/ops/jobs'
import type { ClusterJob } from '../../api/wire'
import { color } from '../../lib/colors'
import { renderTable } from '../../lib/table'
import { relativeTime, shortDuration } from '../../lib/time'
import { allUsersArg, outputArg, outputFormat, positionals } from '../args'
import { finish } from '../client'
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

const ms = (s: number | null) => (s === null ? null : s * 1000)

export function renderQueue(jobs: ClusterJob[]): string {
  return renderTable(
    ['ID', 'NAME', 'USER', 'SUBMITTED', 'STARTED', 'DURATION', 'RESOURCES', 'STATUS', 'LOG'],
    [...jobs]
      .sort((a, b) => b.job_id - a.job_id)
      .map((j) => [
        j.job_id,
        j.job_name ?? '-',
        j.username,
        relativeTime(ms(j.submitted_at)),
        relativeTime(ms(j.start_at)),
        j.start_at ? shortDuration(((j.end_at ?? Date.now() / 1000) - j.start_at) * 1000) : '-',
        j.resources,
        (jobColor[j.status] ?? ((s: string) => s))(j.status),
        j.log_path,
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
    let names = positionals(args)
    if (!names.length) {
      const all = (await finish(await status())) ?? []
      names = all.filter((x) => x.status === 'UP').map((x) => x.name)
    }
    const fmt = outputFormat(args.output)
    if (fmt === 'table') info('Fetching and parsing job queue...')
    const results: Record<string, ClusterJob[]> = {}
    const ids = await Promise.all(names.map((n) => queue({ cluster_name: n, all_users: !!args['all-users'], skip_finished: !!args['skip-finished'] })))
    let firstError: unknown
    for (const [i, id] of ids.entries()) {
      try {
        results[names[i]!] = (await finish(id)) ?? []
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
