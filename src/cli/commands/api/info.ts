// sky api info: which server, its health and versions, and who we are to it.
import { defineCommand } from 'citty'
import { COMMIT, VERSION } from '../../../version'
import { outputArg, outputFormat } from '../../args'
import { sky } from '../../client'
import { out, printJson } from '../../output'

export default defineCommand({
  meta: { name: 'info', description: 'Show the API server in use, its status and your user.' },
  args: { ...outputArg },
  async run({ args }) {
    const c = sky()
    const h = await c.health()
    const user = h.user ?? { name: '-', id: '-' }
    if (outputFormat(args.output) === 'json') {
      printJson({
        client: { version: VERSION, commit: COMMIT },
        server: { url: c.endpoint.url, status: h.status, version: h.version, commit: h.commit, api_version: h.api_version, deploy: !!h.deploy, auth_mode: authMode(h) },
        user,
      })
      return
    }
    out(`Using SkyPilot API server: ${c.endpoint.url} Dashboard: ${c.endpoint.url}/dashboard`)
    out(`├── Status: ${h.status}, commit: ${h.commit}, version: ${h.version}`)
    out(`├── Auth: ${AUTH_TEXT[authMode(h)] ?? authMode(h)}`)
    out(`└── User: ${user.name} (${user.id})`)
  },
})

const AUTH_TEXT: Record<string, string> = {
  'local-token': 'local token (this Unix user only; no login)',
  'password+token': 'login required (user password or service-account token)',
}

function authMode(h: { auth_mode?: string; deploy?: boolean }): string {
  return h.auth_mode ?? (h.deploy ? 'password+token' : 'none')
}
