// sky users token list [NAME]
import { defineCommand } from 'citty'
import { listTokens } from '../../../../sdk/users'
import { relativeTime } from '../../../../lib/time'
import { renderTable } from '../../../../lib/table'
import { outputArg, outputFormat } from '../../../args'
import { sky } from '../../../client'
import { out, printJson } from '../../../output'

export default defineCommand({
  meta: { name: 'list', description: "List service-account tokens (yours, or everyone's for admins)." },
  args: { name: { type: 'positional', required: false, description: 'Only this user’s tokens.' }, ...outputArg },
  async run({ args }) {
    const tokens = await listTokens(sky(), args.name || undefined)
    if (outputFormat(args.output) === 'json') return printJson(tokens)
    if (!tokens.length) return out('No service-account tokens.')
    const when = (t: number | null) => (t === null ? '-' : t > Date.now() ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : relativeTime(t))
    out(
      renderTable(
        ['ID', 'NAME', 'USER', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
        tokens.map((t) => [t.token_id, t.token_name, t.user_name, t.status, relativeTime(t.created_at), t.expires_at === null ? 'never' : when(t.expires_at), when(t.last_used_at)]),
      ),
    )
  },
})
