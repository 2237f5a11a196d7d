// `sky api start --foreground`: run the server in this process until SIGTERM/SIGINT, then drain:
// stop accepting, let running requests finish (up to the grace period), and leave the rest to be
// recovered by the next start.
import { configGet } from '../core/config'
import { configureLog, logger } from '../core/log'
import { paths } from '../core/paths'
import { startServer } from './serve'

export async function runForeground(o: { host: string; port: number; deploy: boolean }): Promise<void> {
  // The server's log file; echoed to the terminal when there is one (a background server's
  // stderr already goes to that file).
  configureLog({ file: paths.serverLog(), stderr: process.stderr.isTTY ? 'lines' : 'none' })
  const log = logger('server')
  const srv = await startServer({ ...o, writePidFile: true })
  log.info(`API server listening on ${srv.url} (pid ${process.pid})`)
  const grace = Number(configGet('api_server.shutdown_grace_seconds', 30)) * 1000
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (sig: string) => {
      if (stopping) return
      stopping = true
      log.info(`Received ${sig}; draining requests (up to ${grace / 1000}s)...`)
      void srv.stop(grace).then(resolve, resolve)
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
  process.exit(0)
}
