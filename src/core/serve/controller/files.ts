// Where a service's files live on the server machine: $SKY_HOME/serve/<name>/ holds the load
// balancer's state, socket, pid and log (lb/state-file.ts), the controller log, and the Unix
// sockets of rootless replica networks. The per-service network tag (netns names are
// machine-wide) comes from SKY_HOME and the name, so two servers on one machine never collide.
import { createHash } from 'node:crypto'
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../../paths'

export const serveDir = () => join(paths.home(), 'serve')
export const serviceDir = (name: string) => join(serveDir(), name)
export const controllerLogPath = (name: string) => join(serviceDir(name), 'controller.log')
export const lbLogPath = (name: string) => join(serviceDir(name), 'lb.log')

/** 7 lower-case hex characters naming this service's replica networks. */
export function networkTag(name: string): string {
  return createHash('sha256').update(`${paths.home()}\u0000${name}`).digest('hex').slice(0, 7)
}

/** Append one timestamped line to the service's controller log (`sky serve logs --controller`). */
export function controllerLog(name: string, line: string): void {
  try {
    mkdirSync(serviceDir(name), { recursive: true, mode: 0o700 })
    const ts = new Date().toISOString().replace('T', ' ').slice(0, 19)
    appendFileSync(controllerLogPath(name), line.split('\n').map((l) => `${ts} ${l}`).join('\n') + '\n')
  } catch {}
}
