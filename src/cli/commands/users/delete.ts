// sky users delete NAME: remove a user and every token acting for them.
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { deleteUser } from '../../../api/ops/users'
import { yesArg } from '../../args'
import { confirm } from '../../prompt'
import { out } from '../../output'

export default defineCommand({
  meta: { name: 'delete', description: 'Delete a user and revoke their tokens.' },
  args: { name: { type: 'positional', required: true, description: 'User name.' }, ...yesArg },
  async run({ args }) {
    if (!args.yes && !(await confirm(`Delete user '${args.name}' and their tokens?`))) throw new UsageError('Aborted.')
    await deleteUser({ name: args.name })
    out(`✓ Deleted user ${args.name}.`)
  },
})
