// Start a local API server in the background when none answers. A lock file makes concurrent
// first commands start exactly one; the others wait for it to become healthy.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { ServerUnreachableError } from '../core/errors'
import { paths } from '../core/paths'
import { acquireLock } from '../lib/lock'
import { selfCommand } from '../lib/self-exec'
import type { Endpoint } from './endpoint'

function tailOf(file: string, lines = 15): string {
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}

export async function startLocalServer(ep: Endpoint, healthy: () => Promise<boolean>, opts: { deploy?: boolean; host?: string; quiet?: boolean } = {}): Promise<void> {
  const release = await acquireLock(paths.creationLock(), 30_000)
  if (!release) throw new ServerUnreachableError('Timed out waiting for another command to start the API server.', { hint: `See ${paths.serverLog()}` })
  try {
    if (await healthy()) return
    mkdirSync(paths.serverDir(), { recursive: true })
    const log = openSync(paths.serverLog(), 'a')
    const host = opts.host ?? (ep.host === 'localhost' ? '127.0.0.1' : ep.host)
    const args = ['api', 'start', '--foreground', '--host', host, '--port', String(ep.port)]
    if (opts.deploy) args.push('--deploy')
    const [cmd, ...rest] = selfCommand(args)
    const child = spawn(cmd!, rest, { detached: true, stdio: ['ignore', log, log], env: { ...process.env, SKY_IS_SERVER: '1' } })
    closeSync(log)
    let exited: number | null = null
    child.on('exit', (code) => (exited = code ?? 1))
    child.unref()
    if (!opts.quiet) process.stderr.write('Starting a local API server...\n')
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (await healthy()) return
      if (exited !== null) {
        throw new ServerUnreachableError(`The API server exited during start-up (code ${exited}).\n${tailOf(paths.serverLog())}`, {
          hint: `Full log: ${paths.serverLog()}`,
        })
      }
      await Bun.sleep(15)
    }
    throw new ServerUnreachableError('The API server did not become healthy within 30 s.', { hint: `See ${paths.serverLog()}` })
  } finally {
    release()
  }
}
