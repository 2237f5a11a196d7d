// sky logs CLUSTER [JOB_ID]: stream a job's logs (latest job by default), or --status.
import { defineCommand } from 'citty'
import { UsageError } from '../../core/errors'
import { jobStatus, tailLogs } from '../../sdk/ops'
import { positionals } from '../args'
import { finish, sky } from '../client'
import { out } from '../output'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({
  meta: { name: 'logs', description: DESCRIPTIONS.logs },
  args: {
    cluster: { type: 'positional', required: true, description: 'Cluster name.' },
    status: { type: 'boolean', description: 'Print the job status and exit 0 if it SUCCEEDED, 1 otherwise.' },
    follow: { type: 'boolean', default: true, description: 'Follow the log (--no-follow prints what exists).' },
    tail: { type: 'string', description: 'Only the last N lines (0 = all).' },
  },
  async run({ args }) {
    const ids = positionals(args).slice(1).map((s) => {
      const n = Number(s)
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`Job id '${s}' must be a positive integer.`)
      return n
    })
    const c = sky()
    if (args.status) {
      const st = (await finish<Record<string, string | null>>(await jobStatus(c, args.cluster, ids))) ?? {}
      let ok = true
      for (const [id, s] of Object.entries(st)) {
        out(`Job ${id}: ${s ?? 'NOT FOUND'}`)
        if (s !== 'SUCCEEDED') ok = false
      }
      if (!ok) process.exitCode = 1
      return
    }
    if (ids.length > 1) throw new UsageError('Give at most one job id to stream.')
    const tail = args.tail === undefined ? undefined : Number(args.tail)
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail: '${args.tail}' must be a non-negative integer.`)
    const id = await tailLogs(c, args.cluster, { jobId: ids[0], follow: args.follow !== false, tail })
    const r = await finish<{ exit_code: number }>(id, { stream: true })
    if (r && r.exit_code) process.exitCode = r.exit_code
  },
})
