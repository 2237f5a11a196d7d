// sky jobs cancel [IDS...] | -n NAME | -a [-u]: cancel managed jobs (and their queued requests).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { cancel } from '../../../api/ops/managed-jobs'
import { allUsersArg, positionals, yesArg } from '../../args'
import { finish } from '../../client'
import { confirm } from '../../prompt'

export default defineCommand({
  meta: { name: 'cancel', description: 'Cancel managed jobs: their clusters are torn down.' },
  args: {
    jobs: { type: 'positional', required: false, description: 'Managed job ids.' },
    name: { type: 'string', alias: 'n', description: 'Cancel the unfinished job with this name.', valueHint: 'name' },
    all: { type: 'boolean', alias: 'a', description: 'All of your unfinished jobs.' },
    ...allUsersArg,
    ...yesArg,
  },
  async run({ args }) {
    const ids = positionals(args).map((s) => {
      const n = Number(s)
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`Job id '${s}' must be a positive integer.`)
      return n
    })
    const name = args.name as string | undefined
    const all = !!args.all
    const allUsers = !!args['all-users']
    const modes = [ids.length > 0, name !== undefined, all || allUsers].filter(Boolean).length
    if (modes === 0) throw new UsageError('Give job ids, -n NAME, -a (all of yours) or -u (everyone\'s).')
    if (modes > 1) throw new UsageError('Give only one of: job ids, -n NAME, -a/-u.')
    if (!args.yes) {
      const what = ids.length ? `managed job${ids.length > 1 ? 's' : ''} ${ids.join(', ')}` : name !== undefined ? `the managed job named '${name}'` : allUsers ? "every user's unfinished managed jobs" : 'all of your unfinished managed jobs'
      const q = `Cancelling ${what}. Proceed?`
      if (!process.stdin.isTTY) throw new UsageError(`${q} — no terminal to ask on; pass -y to confirm.`)
      if (!(await confirm(q))) throw new UsageError('Aborted.')
    }
    const r = await finish(await cancel({ job_ids: ids.length ? ids : undefined, name, all, all_users: allUsers }), { stream: true })
    if (r && !r.cancelled.length && !r.already_finished.length) process.stdout.write('No unfinished managed jobs to cancel.\n')
  },
})
