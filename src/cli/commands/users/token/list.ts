// sky users token list [NAME]
import { defineCommand } from 'citty'
import { listTokens } from '../../../../api/ops/users'
import { relativeTime } from '../../../../lib/time'
import { renderTable } from '../../../../lib/table'
import { outputArg, outputFormat } from '../../../args'
import { out, printJson } from '../../../output'

export default defineCommand({
  meta: { name: 'list', description: "List service-account tokens (yours, or everyone's for admins)." },
  args: { name: { type: 'positional', required: false, description: 'Only this user’s tokens.' }, ...outputArg },
  async run({ args }) {
    const tokens = await listTokens({ name: args.name || undefined })
    if (outputFormat(args.output) === 'json') return printJson(tokens)
    if (!tokens.length) return out('No service-account tokens.')
    const when = (s: number | null) => (s === null ? '-' : s * 1000 > Date.now() ? new Date(s * 1000).toISOString().slice(0, 16).replace('T', ' ') : relativeTime(s * 1000))
    out(
      renderTable(
        ['ID', 'NAME', 'USER', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
        tokens.map((t) => [t.token_id, t.token_name, t.user_name, t.status, relativeTime(t.created_at * 1000), t.expires_at === null ? 'never' : when(t.expires_at), when(t.last_used_at)]),
      ),
    )
  },
})
