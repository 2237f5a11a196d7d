// sky users token create [NAME] [--expires-in DAYS] [--token-name LABEL]: prints the token once.
import { defineCommand } from 'citty'
import { UsageError } from '../../../../core/errors'
import { createToken } from '../../../../api/ops/users'
import { outputArg, outputFormat } from '../../../args'
import { info, out, printJson } from '../../../output'

export default defineCommand({
  meta: { name: 'create', description: 'Create a service-account token acting for NAME (default: you).' },
  args: {
    name: { type: 'positional', required: false, description: 'User the token acts for (admins: a new name creates a token-only account).' },
    'expires-in': { type: 'string', description: 'Days until the token expires (default: never).' },
    'token-name': { type: 'string', description: 'A label for the token.' },
    ...outputArg,
  },
  async run({ args }) {
    let days: number | undefined
    if (args['expires-in'] !== undefined) {
      days = Number(args['expires-in'])
      if (!Number.isFinite(days) || days <= 0) throw new UsageError(`--expires-in: '${args['expires-in']}' is not a positive number of days.`)
    }
    const t = await createToken({ name: args.name || undefined, token_name: args['token-name'], expires_in_days: days })
    if (outputFormat(args.output) === 'json') return printJson(t)
    info(`✓ Created token ${t.token_id} (${t.token_name}) for ${t.user_name}${t.expires_at ? `, expires ${new Date(t.expires_at * 1000).toISOString()}` : ''}.`)
    info('Copy it now; it is not shown again. Use it with: sky api login -e <endpoint> --token <token>')
    out(t.token)
  },
})
