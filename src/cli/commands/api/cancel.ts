// sky api cancel ID...: cancel requests (PENDING ones never start; RUNNING ones are aborted).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { allUsersArg, positionals, yesArg } from '../../args'
import { apiCancel } from '../../../api/ops/requests'
import { confirm } from '../../prompt'
import { out } from '../../output'

export default defineCommand({
  meta: { name: 'cancel', description: 'Cancel requests.' },
  args: {
    ids: { type: 'positional', required: false, description: 'Request ids (any unique prefixes).' },
    all: { type: 'boolean', alias: 'a', description: 'Cancel all your active requests.' },
    ...allUsersArg,
    ...yesArg,
  },
  async run({ args }) {
    const ids = positionals(args)
    if (!ids.length && !args.all && !args['all-users']) throw new UsageError('Give request ids, or -a for all your requests, or -u for everyone\'s.')
    if (args['all-users'] && !args.yes) {
      const ok = await confirm("This cancels every user's active requests. Type 'cancel all requests' to confirm", 'cancel all requests')
      if (!ok) throw new UsageError('Aborted.')
    }
    const { cancelled } = await apiCancel({ request_ids: ids.length ? ids : undefined, all: !!args.all, all_users: !!args['all-users'] })
    if (!cancelled.length) out('No requests were cancelled (they may have finished already).')
    else out(`Cancelled ${cancelled.length} request${cancelled.length === 1 ? '' : 's'}: ${cancelled.join(', ')}`)
  },
})
