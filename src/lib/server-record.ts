// The record a local API server keeps of itself ($SKY_HOME/api_server/server-<port>.json): its pid
// and the kernel's start time of that pid, so a process is signalled only while it is still that
// server (same start time, a `sky api start --foreground` command line on that port). A stale
// record never leads to killing whatever process has since taken the pid.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../core/paths'
import { pidAlive, procArgv, procStartTime } from './proc'

export interface ServerRecord {
  pid: number
  port: number
  procStart?: string | null
}

function readRecord(file: string): ServerRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as ServerRecord
    return Number.isInteger(r.pid) && r.pid > 0 ? r : undefined
  } catch {
    return undefined
  }
}

/** The record of the server on `port` (or, from builds before per-port records, server.json). */
export function readServerRecord(port: number): ServerRecord | undefined {
  const legacy = readRecord(join(paths.serverDir(), 'server.json'))
  return readRecord(paths.serverRecord(port)) ?? (legacy?.port === port ? legacy : undefined)
}

/** Why `rec.pid` is not the server the record describes, or undefined when it is. */
export function notTheServer(rec: ServerRecord): string | undefined {
  if (!pidAlive(rec.pid)) return 'it is no longer running'
  const start = procStartTime(rec.pid)
  if (rec.procStart && start !== null && start !== rec.procStart) return `pid ${rec.pid} now belongs to another process`
  const argv = procArgv(rec.pid)
  if (argv) {
    const at = argv.indexOf('start')
    const portAt = argv.indexOf('--port')
    const port = portAt >= 0 ? Number(argv[portAt + 1]) : undefined
    if (at < 1 || argv[at - 1] !== 'api' || !argv.includes('--foreground') || (port !== undefined && port !== rec.port && port !== 0)) {
      return `pid ${rec.pid} is not a sky API server (${argv.slice(0, 4).join(' ')})`
    }
  }
  return undefined
}

/** The pid of the live local server on `port` this SKY_HOME started, if there is one. */
export function liveServerPid(port: number): number | undefined {
  const rec = readServerRecord(port)
  return rec && !notTheServer(rec) ? rec.pid : undefined
}
