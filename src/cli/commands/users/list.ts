// sky users list: every user with id, role and whether they have a password.
import { defineCommand } from 'citty'
import { relativeTime } from '../../../lib/time'
import { renderTable } from '../../../lib/table'
import { listUsers } from '../../../api/ops/users'
import { outputArg, outputFormat } from '../../args'
import { out, printJson } from '../../output'

export default defineCommand({
  meta: { name: 'list', description: 'List users.' },
  args: { ...outputArg },
  async run({ args }) {
    const users = await listUsers()
    if (outputFormat(args.output) === 'json') return printJson(users)
    if (!users.length) return out('No users.')
    out(
      renderTable(
        ['NAME', 'ID', 'ROLE', 'PASSWORD', 'CREATED'],
        users.map((u) => [u.name, u.id, u.role, u.has_password ? 'yes' : 'no (tokens only)', relativeTime(u.created_at * 1000)]),
      ),
    )
  },
})
