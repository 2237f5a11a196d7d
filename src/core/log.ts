// The logger: one consola instance; modules take a tagged child (`logger('server:queue')`). Where
// lines go is set once per process by configureLog:
//  - CLI and SDK (default): warnings and errors as plain text on stderr, info too, debug only with
//    SKY_DEBUG=1. The CLI's results and progress lines still go through src/cli/output.ts.
//  - API server: `ISO-time LEVEL [tag] message` lines appended to its log file
//    ($SKY_HOME/api_server/server.log, what `sky api logs --server-logs` shows), echoed to stderr
//    when that is a terminal (`sky api start --foreground`).
//  - Node agent daemon: the same lines on stderr, which the agent points at its own log file.
// Nothing happens at import: the instance is made on first use.
import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { createConsola, type ConsolaInstance, type LogObject } from 'consola/core'

export type Logger = ConsolaInstance

export interface LogTarget {
  /** Append timestamped lines to this file. */
  file?: string
  /** stderr: `plain` messages (CLI), timestamped `lines`, or `none`. */
  stderr?: 'plain' | 'lines' | 'none'
  /** Log debug messages too (default: SKY_DEBUG is set). */
  debug?: boolean
}

const LEVEL_INFO = 3
const LEVEL_DEBUG = 4

let target: LogTarget = { stderr: 'plain' }
let root: ConsolaInstance | undefined
const children = new Map<string, ConsolaInstance>()

function text(args: unknown[]): string {
  return args
    .map((a) => (a instanceof Error ? (process.env.SKY_DEBUG ? (a.stack ?? a.message) : a.message) : typeof a === 'string' ? a : JSON.stringify(a)))
    .join(' ')
}

function line(o: LogObject): string {
  return `${o.date.toISOString()} ${o.type.toUpperCase()} ${o.tag ? `[${o.tag}] ` : ''}${text(o.args)}\n`
}

function plain(o: LogObject): string {
  const msg = text(o.args)
  const prefix = o.type === 'warn' ? 'Warning: ' : o.type === 'error' || o.type === 'fatal' ? 'Error: ' : ''
  return `${prefix}${msg}\n`
}

function report(o: LogObject): void {
  if (target.file) {
    try {
      appendFileSync(target.file, line(o))
    } catch {
      // The log file is best effort; a full disk must not fail the request that logged.
    }
  }
  if (target.stderr === 'lines') process.stderr.write(line(o))
  else if (target.stderr === 'plain') process.stderr.write(plain(o))
}

function rootLogger(): ConsolaInstance {
  root ??= createConsola({
    level: target.debug || process.env.SKY_DEBUG ? LEVEL_DEBUG : LEVEL_INFO,
    reporters: [{ log: report }],
  })
  return root
}

/** Where this process's log lines go (call once, early: server start, agent daemon start). */
export function configureLog(t: LogTarget): void {
  target = { stderr: 'plain', ...t }
  if (t.file) mkdirSync(dirname(t.file), { recursive: true })
  const level = target.debug || process.env.SKY_DEBUG ? LEVEL_DEBUG : LEVEL_INFO
  if (root) root.level = level
  for (const l of children.values()) l.level = level
}

/** The logger of one module, tagged (`server`, `server:queue`, `agent`, `sdk` ...). */
export function logger(tag: string): Logger {
  let l = children.get(tag)
  if (!l) children.set(tag, (l = rootLogger().withTag(tag)))
  return l
}
