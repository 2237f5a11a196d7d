// Start a local API server in the background when none answers. A lock file makes concurrent
// first commands start exactly one; the others wait for it to become healthy.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { ServerUnreachableError, UsageError } from '../core/errors'
import { configGet } from '../core/config'
import { logger } from '../core/log'
import { paths } from '../core/paths'
import { acquireLock } from '../lib/lock'
import { pidAlive } from '../lib/proc'
import { selfCommand } from '../lib/self-exec'
import { liveServerPid } from '../lib/server-record'
import type { Endpoint } from './endpoint'

function tailOf(file: string, lines = 15): string {
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}

export async function startLocalServer(ep: Endpoint, healthy: () => Promise<boolean>, opts: { deploy?: boolean; host?: string; quiet?: boolean } = {}): Promise<void> {
  // A server without --deploy on a team's PostgreSQL database would serve anyone as anyone.
  if (!opts.deploy && /^postgres(ql)?:\/\//.test(process.env.SKYPILOT_DB_CONNECTION_URI || configGet<string>('db') || '')) {
    throw new UsageError('SKYPILOT_DB_CONNECTION_URI (or db: in config) names a PostgreSQL database, which a team shares; no local server is started on it without authentication.', {
      hint: 'Point at the team API server (sky api login -e URL), start a deployed one (sky api start --deploy), or unset SKYPILOT_DB_CONNECTION_URI.',
    })
  }
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
    if (!opts.quiet) logger('sdk').info('Starting a local API server...')
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

/**
 * The local server this SKY_HOME started (its pid file names the endpoint's port), if it still
 * runs: only that one may be replaced by a client of another build.
 */
export function ownLocalServerPid(ep: Endpoint): number | undefined {
  return liveServerPid(ep.port)
}

/**
 * Stop the local server (SIGTERM: it drains its running requests, which the next server recovers)
 * and start this build in its place. Under the creation lock, so concurrent commands replace it
 * once; `stillStale` is asked again under the lock.
 */
export async function replaceLocalServer(ep: Endpoint, healthy: () => Promise<boolean>, stillStale: () => Promise<boolean>, why: string): Promise<void> {
  const release = await acquireLock(paths.creationLock(), 60_000)
  if (!release) throw new ServerUnreachableError('Timed out waiting for another command to restart the API server.', { hint: `See ${paths.serverLog()}` })
  try {
    if (!(await stillStale())) return
    const pid = ownLocalServerPid(ep)
    if (pid === undefined) return
    logger('sdk').info(`Restarting the local API server: ${why}.`)
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 45_000
    while (pidAlive(pid) && Date.now() < deadline) await Bun.sleep(20)
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL')
  } finally {
    release()
  }
  await startLocalServer(ep, healthy)
}
