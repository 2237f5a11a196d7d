// sky users token revoke TOKEN_OR_ID
import { defineCommand } from 'citty'
import { revokeToken } from '../../../../api/ops/users'
import { out } from '../../../output'

export default defineCommand({
  meta: { name: 'revoke', description: 'Revoke a service-account token (by id, or the token itself).' },
  args: { token: { type: 'positional', required: true, description: 'Token id or sky_... token.' } },
  async run({ args }) {
    const t = await revokeToken(args.token.startsWith('sky_') ? { token: args.token } : { token_id: args.token })
    out(`✓ Revoked token ${t.token_id} (${t.token_name}) of ${t.user_name}.`)
  },
})
