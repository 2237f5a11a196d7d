// `sky api start --foreground`: run the server in this process until SIGTERM/SIGINT, then drain:
// stop accepting, let running requests finish (up to the grace period), and leave the rest to be
// recovered by the next start.
import { configGet } from '../core/config'
import { startServer } from './serve'

export async function runForeground(o: { host: string; port: number; deploy: boolean }): Promise<void> {
  const srv = await startServer({ ...o, writePidFile: true })
  process.stderr.write(`API server listening on ${srv.url} (pid ${process.pid})\n`)
  const grace = Number(configGet('api_server.shutdown_grace_seconds', 30)) * 1000
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (sig: string) => {
      if (stopping) return
      stopping = true
      process.stderr.write(`Received ${sig}; draining requests (up to ${grace / 1000}s)...\n`)
      void srv.stop(grace).then(resolve, resolve)
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
  process.exit(0)
}
