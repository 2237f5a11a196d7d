// sky api stop: stop the local API server of the endpoint in use (SIGTERM, then SIGKILL after
// the grace period). Each local server records itself in $SKY_HOME/api_server/server-<port>.json
// with its pid and the kernel's start time of that pid; a process is signalled only while it is
// still that server (same start time and a `sky api start --foreground` command line on that
// port), so a stale record never kills whatever process has since taken the pid.
import { defineCommand } from 'citty'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { UsageError } from '../../../core/errors'
import { paths } from '../../../core/paths'
import { pidAlive } from '../../../lib/proc'
import { notTheServer, type ServerRecord } from '../../../lib/server-record'
import { resolveEndpoint } from '../../../sdk/endpoint'
import { info, out } from '../../output'

export default defineCommand({
  meta: { name: 'stop', description: 'Stop the local API server (of the endpoint in use).' },
  args: {},
  async run() {
    const ep = resolveEndpoint()
    if (!ep.isLocal) throw new UsageError(`The API server at ${ep.url} is remote; sky api stop only stops a local server.`)
    const file = paths.serverRecord(ep.port)
    if (!existsSync(file)) {
      out(`No local API server is running at ${ep.url}.`)
      return
    }
    let rec: ServerRecord
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as ServerRecord
    } catch {
      rmSync(file, { force: true })
      out(`No local API server is running at ${ep.url}.`)
      return
    }
    const why = notTheServer(rec)
    if (why) {
      rmSync(file, { force: true })
      out(`No local API server is running at ${ep.url} (its record was stale: ${why}; nothing was signalled).`)
      return
    }
    process.kill(rec.pid, 'SIGTERM')
    const deadline = Date.now() + 40_000
    while (pidAlive(rec.pid) && Date.now() < deadline) await Bun.sleep(20)
    if (pidAlive(rec.pid) && !notTheServer(rec)) {
      info('The API server did not stop in time; killing it.')
      process.kill(rec.pid, 'SIGKILL')
    }
    rmSync(file, { force: true })
    out(`✓ API server at ${ep.url} stopped.`)
  },
})
