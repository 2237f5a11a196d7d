// sky dashboard: print the web dashboard's URL for the API server in use (starting the local
// server if needed) and open it in a browser when this machine has a display. Never fails for
// want of a browser: the URL is the result. For a local server the URL carries a one-time code
// (valid two minutes) that the page trades for the owner's token.
import { spawn } from 'node:child_process'
import { defineCommand } from 'citty'
import { sky } from '../client'
import { info, out } from '../output'
import { DESCRIPTIONS } from './descriptions'

/** The command that opens a URL here, or undefined when there is no display to open it on. */
export function browserOpener(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string[] | undefined {
  if (env.BROWSER && env.BROWSER !== 'none') return [env.BROWSER]
  if (platform === 'darwin') return ['open']
  if (platform === 'win32') return ['cmd', '/c', 'start', '""']
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined
  const xdg = Bun.which('xdg-open')
  return xdg ? [xdg] : undefined
}

/** Start the opener detached; resolves false when it could not be started. */
function openUrl(cmd: string[], url: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const p = spawn(cmd[0]!, [...cmd.slice(1), url], { detached: true, stdio: 'ignore' })
      p.once('error', () => resolve(false))
      p.once('spawn', () => {
        p.unref()
        resolve(true)
      })
    } catch {
      resolve(false)
    }
  })
}

export default defineCommand({
  meta: { name: 'dashboard', description: DESCRIPTIONS.dashboard },
  args: {
    open: { type: 'boolean', default: true, description: 'Open a browser when there is a display (--no-open: only print the URL).' },
  },
  async run({ args }) {
    const c = sky()
    // Make sure the server answers (a local one is started) before handing out its URL.
    const h = await c.health()
    let url = `${c.endpoint.url}/dashboard`
    // A local server serves only its owner: the page gets a one-time code for the owner's token.
    if (h.auth_mode === 'local-token') {
      const res = await c.fetch('/api/dashboard/login-code', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      url += `/#code=${((await res.json()) as { code: string }).code}`
    }
    out(url)
    if (h.deploy) info('This API server is shared: log in on the page with your user name and password, or a service-account token.')
    if (args.open === false) return
    const opener = browserOpener()
    if (!opener) {
      info('No display found; open the URL above in a browser.')
      return
    }
    if (await openUrl(opener, url)) info('Opening the dashboard in your browser...')
    else info(`Could not start ${opener[0]}; open the URL above in a browser.`)
  },
})
