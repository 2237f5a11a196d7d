// sky api stop: stop the local API server (SIGTERM, then SIGKILL after the grace period).
import { defineCommand } from 'citty'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { UsageError } from '../../../core/errors'
import { paths } from '../../../core/paths'
import { resolveEndpoint } from '../../../sdk/endpoint'
import { pidAlive } from '../../../lib/proc'
import { info, out } from '../../output'


export default defineCommand({
  meta: { name: 'stop', description: 'Stop the local API server.' },
  args: {},
  async run() {
    const ep = resolveEndpoint()
    if (!ep.isLocal) throw new UsageError(`The API server at ${ep.url} is remote; sky api stop only stops a local server.`)
    const file = paths.serverPidFile()
    if (!existsSync(file)) {
      out('No local API server is running.')
      return
    }
    const { pid } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number }
    if (!pidAlive(pid)) {
      rmSync(file, { force: true })
      out('No local API server is running.')
      return
    }
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 40_000
    while (pidAlive(pid) && Date.now() < deadline) await Bun.sleep(20)
    if (pidAlive(pid)) {
      info('The API server did not stop in time; killing it.')
      process.kill(pid, 'SIGKILL')
    }
    rmSync(file, { force: true })
    out('✓ API server stopped.')
  },
})
