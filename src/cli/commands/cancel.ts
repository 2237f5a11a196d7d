// sky cancel CLUSTER [JOB_IDS...]: cancel jobs on a cluster (their whole process trees). Without
// ids or -a it cancels your latest unfinished job, as SkyPilot does; CLUSTER may be a glob.
import { defineCommand } from 'citty'
import { UsageError } from '../../core/errors'
import { cancel } from '../../api/ops/jobs'
import { allUsersArg, asyncArg, positionals, yesArg } from '../args'
import { finish } from '../client'
import { resolveClusters } from '../cluster-targets'
import { alreadyReported, info, out } from '../output'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({
  meta: { name: 'cancel', description: DESCRIPTIONS.cancel },
  args: {
    cluster: { type: 'positional', required: true, description: 'Cluster name (or a glob pattern).' },
    job_ids: { type: 'positional', required: false, description: 'Job ids (default: your latest unfinished job).' },
    all: { type: 'boolean', alias: 'a', description: 'All of your jobs on the cluster.' },
    ...allUsersArg,
    ...yesArg,
    ...asyncArg,
  },
  async run({ args }) {
    const ids = positionals(args).slice(1).map((s) => {
      const n = Number(s)
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`Job id '${s}' must be a positive integer.`)
      return n
    })
    if (ids.length && (args.all || args['all-users'])) throw new UsageError('Give job ids or -a/-u, not both.')
    const clusters = await resolveClusters([args.cluster], { allUsers: !!args['all-users'] })
    const opts = { job_ids: ids.length ? ids : undefined, all: !!args.all, all_users: !!args['all-users'] }
    const reqs = await Promise.all(clusters.map((name) => cancel({ cluster_name: name, ...opts })))
    let failed: unknown
    for (const [i, id] of reqs.entries()) {
      const name = clusters[i]!
      try {
        const done = await finish(id, { async: !!args.async, name: 'sky.cancel' })
        if (done === undefined) continue
        const on = clusters.length > 1 ? ` on ${name}` : ''
        if (done.length) out(`Cancelled job${done.length === 1 ? '' : 's'}${on}: ${done.join(', ')}`)
        else if (ids.length) out(`No jobs were cancelled${on} (they have finished already).`)
        else out(`No unfinished job of yours to cancel on ${name}.`)
      } catch (e) {
        if ((e as { code?: string }).code === 'INTERRUPTED' || clusters.length === 1) throw e
        failed ??= e
        info(`Error: ${(e as Error).message}`)
      }
    }
    if (failed) throw alreadyReported(failed)
  },
})
