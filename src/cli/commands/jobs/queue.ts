// sky jobs queue: managed jobs in SkyPilot's table (yours; -u everyone's with a USER column).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { queue } from '../../../api/ops/managed-jobs'
import { allUsersArg, outputArg, outputFormat } from '../../args'
import { finish } from '../../client'
import { info, out, printJson } from '../../output'
import { inProgressLine, renderJobsTable } from '../../render/jobs'

export default defineCommand({
  meta: { name: 'queue', description: 'Show managed jobs (newest first).' },
  args: {
    ...allUsersArg,
    all: { type: 'boolean', alias: 'a', description: 'Every job, not only the latest --limit.' },
    limit: { type: 'string', alias: 'l', description: 'Show at most this many jobs (default 50).', valueHint: 'n' },
    'skip-finished': { type: 'boolean', description: 'Only jobs that have not finished.' },
    status: { type: 'string', alias: 's', description: 'Only jobs in these statuses, e.g. RUNNING,PENDING.', valueHint: 'S1,S2' },
    ...outputArg,
  },
  async run({ args }) {
    const fmt = outputFormat(args.output)
    let limit = 50
    if (args.limit !== undefined) {
      limit = Number(args.limit)
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: '${args.limit}' must be a positive integer.`)
    }
    if (args.all) limit = 0
    const statuses = args.status ? String(args.status).split(',').map((s) => s.trim().toUpperCase()).filter(Boolean) : undefined
    if (fmt === 'table') info('Fetching managed job statuses...')
    const allUsers = !!args['all-users']
    const r = (await finish(await queue({ all_users: allUsers, skip_finished: !!args['skip-finished'], statuses, limit })))!
    if (fmt === 'json') return printJson(r.jobs)
    out('Managed jobs')
    const progress = inProgressLine(r.in_progress)
    if (progress) out(progress)
    if (!r.jobs.length) return out('No in-progress managed jobs.')
    out(renderJobsTable(r.jobs, { allUsers }))
    const shown = new Set(r.jobs.map((j) => j.job_id)).size
    if (r.total > shown) info(`Showing the latest ${shown} of ${r.total} managed jobs; use --all to show all.`)
  },
})
