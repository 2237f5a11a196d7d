// sky serve token create|list|revoke SERVICE [NAME]: bearer tokens for a service's endpoint
// (`service.auth`). A token is shown once, at creation; only its hash is kept.
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { tokenCreate, tokenList, tokenRevoke } from '../../../api/ops/serve'
import { outputArg, outputFormat, positionals } from '../../args'
import { finish, sky } from '../../client'
import { info, out, printJson } from '../../output'
import { renderTable } from '../../../lib/table'
import { relativeTime } from '../../../lib/time'

const create = defineCommand({
  meta: { name: 'create', description: 'Create a token for the service endpoint (printed once).' },
  args: {
    service: { type: 'positional', required: false, description: 'Service name.' },
    name: { type: 'string', alias: 'n', description: 'Token name (default: generated).', valueHint: 'name' },
    ...outputArg,
  },
  async run({ args }) {
    const [svc] = positionals(args)
    if (!svc) throw new UsageError('Usage: sky serve token create SERVICE_NAME [-n TOKEN_NAME]')
    const r = (await finish(await tokenCreate({ service_name: svc, name: args.name as string | undefined }, { client: sky() })))!
    if (outputFormat(args.output) === 'json') return printJson(r)
    info(`✓ Token '${r.name}' created for service '${svc}'. It is shown only now; send it as 'Authorization: Bearer <token>':`)
    out(r.token)
  },
})

const list = defineCommand({
  meta: { name: 'list', description: "List a service's tokens (names and hints, never the secrets)." },
  args: { service: { type: 'positional', required: false, description: 'Service name.' }, ...outputArg },
  async run({ args }) {
    const [svc] = positionals(args)
    if (!svc) throw new UsageError('Usage: sky serve token list SERVICE_NAME')
    const tokens = (await finish(await tokenList({ service_name: svc }, { client: sky() })))!
    if (outputFormat(args.output) === 'json') return printJson(tokens)
    if (!tokens.length) return out(`Service '${svc}' has no tokens.`)
    out(
      renderTable(
        ['NAME', 'TOKEN', 'CREATED_BY', 'CREATED', 'STATUS'],
        tokens.map((t) => [t.name, t.hint, t.created_by, relativeTime(t.created_at * 1000), t.revoked_at === null ? 'ACTIVE' : `REVOKED ${relativeTime(t.revoked_at * 1000)}`]),
      ),
    )
  },
})

const revoke = defineCommand({
  meta: { name: 'revoke', description: 'Revoke a token: the endpoint refuses it from now on.' },
  args: { service: { type: 'positional', required: false, description: 'Service name.' }, name: { type: 'positional', required: false, description: 'Token name.' } },
  async run({ args }) {
    const [svc, name] = positionals(args)
    if (!svc || !name) throw new UsageError('Usage: sky serve token revoke SERVICE_NAME TOKEN_NAME')
    await finish(await tokenRevoke({ service_name: svc, name }, { client: sky() }))
    out(`✓ Token '${name}' of service '${svc}' revoked.`)
  },
})

export default defineCommand({
  meta: { name: 'token', description: 'Bearer tokens for service endpoints with service.auth.' },
  subCommands: { create, list, revoke },
})
