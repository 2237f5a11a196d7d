// sky cancel CLUSTER [JOB_IDS...]: cancel jobs on a cluster (their whole process trees).
import { defineCommand } from 'citty'
import { UsageError } from '../../core/errors'
import { cancel } from '../../sdk/ops'
import { allUsersArg, asyncArg, positionals, yesArg } from '../args'
import { finish, sky } from '../client'
import { out } from '../output'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({
  meta: { name: 'cancel', description: DESCRIPTIONS.cancel },
  args: {
    cluster: { type: 'positional', required: true, description: 'Cluster name.' },
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
    if (!ids.length && !args.all && !args['all-users']) throw new UsageError('Give job ids, or -a for all of your jobs on the cluster.')
    const id = await cancel(sky(), args.cluster, { jobIds: ids.length ? ids : undefined, all: !!args.all, allUsers: !!args['all-users'] })
    const done = await finish<number[]>(id, { async: !!args.async, name: 'sky.cancel' })
    if (done === undefined) return
    out(done.length ? `Cancelled job${done.length === 1 ? '' : 's'}: ${done.join(', ')}` : 'No jobs were cancelled (they may have finished already).')
  },
})
