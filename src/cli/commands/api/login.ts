// sky api login -e URL: save the endpoint (and a service-account token) to ~/.sky/config.yaml.
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { SkyClient } from '../../../sdk/client'
import { parseEndpoint } from '../../../sdk/endpoint'
import { saveApiServerConfig } from '../../../core/config-write'
import { out } from '../../output'

export default defineCommand({
  meta: { name: 'login', description: 'Connect to an API server.' },
  args: {
    endpoint: { type: 'string', alias: 'e', description: 'API server URL, e.g. http://user:pass@host:30050' },
    token: { type: 'string', alias: ['t', 'service-account-token'], description: 'Service-account token (sky_...).' },
    relogin: { type: 'boolean', description: 'Log in again even if already logged in.' },
    'no-browser': { type: 'boolean', description: 'Do not open a browser.' },
  },
  async run({ args }) {
    if (process.env.SKYPILOT_API_SERVER_ENDPOINT) {
      throw new UsageError('SKYPILOT_API_SERVER_ENDPOINT is set and overrides the saved endpoint; unset it before sky api login.')
    }
    let raw = args.endpoint
    if (!raw) {
      if (!process.stdin.isTTY) throw new UsageError('Give the endpoint with -e URL.')
      const { createInterface } = await import('node:readline')
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      raw = await new Promise<string>((resolve) => rl.question('Enter your SkyPilot API server endpoint: ', resolve))
      rl.close()
    }
    const ep = parseEndpoint(raw!, 'config')
    const token = args.token
    if (token !== undefined && !token.startsWith('sky_')) throw new UsageError("--token: service-account tokens start with 'sky_'.")
    const c = new SkyClient({ endpoint: ep, autoStart: ep.isLocal, token })
    const h = await c.health()
    saveApiServerConfig(raw!.trim().replace(/\/+$/, ''), token)
    out(`✓ Logged into SkyPilot API server at: ${ep.url}`)
    if (h.user) out(`└── User: ${h.user.name} (${h.user.id})`)
  },
})
