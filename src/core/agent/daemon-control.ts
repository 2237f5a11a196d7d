// Starting, finding, waking and stopping the agent daemon from other agent processes. The
// daemon row in agent.db (pid, version, heartbeat) is the single-instance lock: a daemon claims
// it in a write transaction only when the recorded pid is not a live daemon for this root.
import type { Database } from 'bun:sqlite'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { InternalError } from '../errors'
import { VERSION } from '../../version'
import { getDaemonRow, type DaemonRow } from './job-store'
import type { Layout } from './layout'
import { pidAlive, processCommand } from './proc'
import { selfCommand } from '../../lib/self-exec'

/** Whether `pid` is a live agent daemon for `root` (guards against a reused pid). */
export function isDaemonProcess(pid: number, root: string): boolean {
  if (pid === process.pid) return true
  if (!pidAlive(pid)) return false
  const cmd = processCommand(pid)
  if (cmd === null) return true
  return cmd.includes(' daemon ') && `${cmd} `.includes(` --root ${root} `)
}

export interface DaemonState {
  alive: boolean
  pid: number | null
  version: string | null
  startedAt: number | null
  heartbeatAt: number | null
}

export function daemonState(db: Database, root: string): DaemonState {
  const row = getDaemonRow(db)
  if (!row) return { alive: false, pid: null, version: null, startedAt: null, heartbeatAt: null }
  return { alive: isDaemonProcess(row.pid, root), pid: row.pid, version: row.version, startedAt: row.startedAt, heartbeatAt: row.heartbeatAt }
}

function liveRow(db: Database, root: string): DaemonRow | null {
  const row = getDaemonRow(db)
  return row && isDaemonProcess(row.pid, root) ? row : null
}

/** Wake the daemon so it schedules now (SIGUSR1). Returns whether one was signalled. */
export function notifyDaemon(db: Database, root: string): boolean {
  const row = liveRow(db, root)
  if (!row) return false
  try {
    process.kill(row.pid, 'SIGUSR1')
    return true
  } catch {
    return false
  }
}

function tail(path: string, bytes = 2000): string {
  try {
    const t = readFileSync(path, 'utf8')
    return t.slice(-bytes).trim()
  } catch {
    return ''
  }
}

/**
 * Make sure a daemon of this build runs for `L.root`, starting one detached (own session, stdio to
 * agent.log) if needed; an older build's daemon is replaced (its jobs are adopted). Returns its pid.
 */
export async function ensureDaemon(db: Database, L: Layout, timeoutMs = 15_000): Promise<number> {
  const row = liveRow(db, L.root)
  if (row && row.version === VERSION) return row.pid
  if (row) await stopDaemon(db, L.root)
  const fd = openSync(L.daemonLog, 'a')
  try {
    const argv = selfCommand(['_agent', 'daemon', '--root', L.root])
    const child = Bun.spawn(argv, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env }, cwd: L.root })
    child.unref()
  } finally {
    closeSync(fd)
  }
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const r = liveRow(db, L.root)
    if (r && r.version === VERSION) return r.pid
    await Bun.sleep(15)
  }
  throw new InternalError(`The agent daemon did not start within ${timeoutMs / 1000}s.`, { details: { log: tail(L.daemonLog) } })
}

/** SIGTERM the daemon (SIGKILL after graceMs). Jobs keep running. Returns whether one was running. */
export async function stopDaemon(db: Database, root: string, graceMs = 3000): Promise<boolean> {
  const row = liveRow(db, root)
  if (!row || row.pid === process.pid) return false
  try {
    process.kill(row.pid, 'SIGTERM')
  } catch {}
  const deadline = Date.now() + graceMs
  while (pidAlive(row.pid) && Date.now() < deadline) await Bun.sleep(20)
  if (pidAlive(row.pid)) {
    try {
      process.kill(row.pid, 'SIGKILL')
    } catch {}
    const killDeadline = Date.now() + 2000
    while (pidAlive(row.pid) && Date.now() < killDeadline) await Bun.sleep(20)
  }
  return true
}
