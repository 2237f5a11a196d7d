// sky api start: start the API server in the background (or in this process with --foreground).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { SkyClient } from '../../../sdk/client'
import { startLocalServer } from '../../../sdk/autostart'
import { DEFAULT_PORT, parseEndpoint, resolveEndpoint } from '../../../sdk/endpoint'
import { isLoopbackHost } from '../../../lib/net'
import { info, out } from '../../output'

export default defineCommand({
  meta: { name: 'start', description: 'Start the API server.' },
  args: {
    deploy: { type: 'boolean', description: 'Deploy for a team: bind 0.0.0.0, require login, use all host resources.' },
    host: { type: 'string', description: 'Address to listen on: 127.0.0.1 (default); any other address needs --deploy (default then 0.0.0.0).' },
    port: { type: 'string', description: `Port to listen on (default ${DEFAULT_PORT}).` },
    foreground: { type: 'boolean', description: 'Run in this process instead of in the background.' },
  },
  async run({ args }) {
    // Without flags, start the server the client would talk to (SKYPILOT_API_SERVER_ENDPOINT or
    // config), when that endpoint is local.
    const configured = resolveEndpoint()
    const host = args.host ?? (args.deploy ? '0.0.0.0' : '127.0.0.1')
    if (!['localhost', '0.0.0.0', '::'].includes(host) && !/^[\d.]+$/.test(host) && !/^[0-9a-fA-F:]+$/.test(host)) {
      throw new UsageError(`--host: '${host}' is not an IP address; use 127.0.0.1, or an address of this machine with --deploy.`)
    }
    if (!args.deploy && !isLoopbackHost(host)) {
      throw new UsageError(`--host ${host} makes the API server reachable from other machines, which needs --deploy (users must log in).`, {
        hint: `Use: sky api start --deploy --host ${host}  (first admin: SKYPILOT_INITIAL_ADMIN=name:password)`,
      })
    }
    const port = args.port === undefined ? (configured.isLocal ? configured.port : DEFAULT_PORT) : Number(args.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: '${args.port}' is not a port number (0-65535).`)
    if (args.foreground) {
      const { runForeground } = await import('../../../server/foreground')
      await runForeground({ host, port, deploy: !!args.deploy })
      return
    }
    const ep = parseEndpoint(`http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`, 'default')
    const c = new SkyClient({ endpoint: ep, autoStart: false })
    if (await c.healthy()) {
      out(`API server is already running at ${ep.url}.`)
      return
    }
    await startLocalServer(ep, () => c.healthy(), { deploy: !!args.deploy, host, quiet: true })
    info(`✓ API server started at ${ep.url}. Dashboard: ${ep.url}/dashboard`)
  },
})
