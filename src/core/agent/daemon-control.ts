// Starting, finding, waking and stopping a cluster's agent daemon from other agent processes. The
// daemon row in agent.db (pid, version, heartbeat, host) is the single-instance lock: a daemon
// claims it in a write transaction only when the recorded pid is not a live daemon for this root.
//
// Two shapes: a per-cluster `sky _agent daemon --root R` (remote heads), or an instance inside the
// local agent host `sky _agent host --dir D` (cluster.json's `agentHost`), one resident process
// serving every local cluster. The host learns of a root through a file in D/roots and a SIGUSR1.
import type { Database } from 'bun:sqlite'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InternalError } from '../errors'
import { VERSION } from '../../version'
import { getDaemonRow, kvSet, type DaemonRow } from './job-store'
import type { Layout } from './layout'
import { pidAlive, processCommand } from './proc'
import { selfCommand } from '../../lib/self-exec'

/** Whether `pid` is a live agent daemon for `root` (or the agent host `host`); guards against reused pids. */
export function isDaemonProcess(pid: number, root: string, host: string | null = null): boolean {
  if (pid === process.pid) return true
  if (!pidAlive(pid)) return false
  const cmd = processCommand(pid)
  if (cmd === null) return true
  if (host) return isHostCommand(cmd, host)
  return cmd.includes(' daemon ') && `${cmd} `.includes(` --root ${root} `)
}

export function isHostCommand(cmd: string, dir: string): boolean {
  return cmd.includes(' host ') && `${cmd} `.includes(` --dir ${dir} `)
}

export interface DaemonState {
  alive: boolean
  pid: number | null
  version: string | null
  startedAt: number | null
  heartbeatAt: number | null
  host: string | null
}

export function daemonState(db: Database, root: string): DaemonState {
  const row = getDaemonRow(db)
  if (!row) return { alive: false, pid: null, version: null, startedAt: null, heartbeatAt: null, host: null }
  return { alive: isDaemonProcess(row.pid, root, row.host), pid: row.pid, version: row.version, startedAt: row.startedAt, heartbeatAt: row.heartbeatAt, host: row.host }
}

function liveRow(db: Database, root: string): DaemonRow | null {
  const row = getDaemonRow(db)
  return row && isDaemonProcess(row.pid, root, row.host) ? row : null
}

// ── The local agent host's directory ────────────────────────────────────────────────────────

export const hostFiles = (dir: string) => ({
  roots: join(dir, 'roots'),
  lock: join(dir, 'host.lock'),
  log: join(dir, 'host.log'),
})

function rootKey(root: string): string {
  return Bun.hash(root).toString(36)
}

/** Tell the host at `dir` to serve `root` (idempotent). */
export function registerRoot(dir: string, root: string): void {
  const { roots } = hostFiles(dir)
  mkdirSync(roots, { recursive: true, mode: 0o700 })
  const f = join(roots, rootKey(root))
  if (existsSync(f)) return
  // Atomically: the host may list the directory at any moment and must never read half a path.
  const tmp = `${f}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, root)
  renameSync(tmp, f)
}

export function unregisterRoot(dir: string, root: string): void {
  rmSync(join(hostFiles(dir).roots, rootKey(root)), { force: true })
}

/** Pid of the live agent host serving `dir`, if any. */
export function livePid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(hostFiles(dir).lock, 'utf8').trim())
    if (!(pid > 0) || !pidAlive(pid)) return null
    const cmd = processCommand(pid)
    return cmd === null || isHostCommand(cmd, dir) ? pid : null
  } catch {
    return null
  }
}

function touch(path: string): void {
  const now = new Date()
  try {
    utimesSync(path, now, now)
  } catch {
    try {
      writeFileSync(path, '')
    } catch {}
  }
}

/** Wake the daemon so it schedules now (SIGUSR1; the host also looks at the wake file). */
export function notifyDaemon(db: Database, L: Layout): boolean {
  const row = liveRow(db, L.root)
  if (!row) return false
  if (row.host) touch(L.wakeFile)
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

function spawnDetached(argv: string[], logPath: string, cwd: string): void {
  const fd = openSync(logPath, 'a')
  try {
    const child = Bun.spawn(argv, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env }, cwd })
    child.unref()
  } finally {
    closeSync(fd)
  }
}

/**
 * Make sure a daemon of this build runs for `L.root` and returns its pid: the per-cluster daemon,
 * or (with `host`) an instance in the local agent host, started when none runs. An older build's
 * daemon or host is replaced; its jobs are adopted.
 */
export async function ensureDaemon(db: Database, L: Layout, host: string | null = null, timeoutMs = 15_000): Promise<number> {
  if (host) return ensureHosted(db, L, host, timeoutMs)
  const row = liveRow(db, L.root)
  if (row && row.version === VERSION && !row.host) return row.pid
  if (row) await stopDaemon(db, L)
  spawnDetached(selfCommand(['_agent', 'daemon', '--root', L.root]), L.daemonLog, L.root)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const r = liveRow(db, L.root)
    if (r && r.version === VERSION) return r.pid
    await Bun.sleep(15)
  }
  throw new InternalError(`The agent daemon did not start within ${timeoutMs / 1000}s.`, { details: { log: tail(L.daemonLog) } })
}

async function ensureHosted(db: Database, L: Layout, dir: string, timeoutMs: number): Promise<number> {
  kvSet(db, 'daemon_stop', null)
  rmSync(L.stopFile, { force: true })
  registerRoot(dir, L.root)
  const row = liveRow(db, L.root)
  if (row && row.version === VERSION && row.host === dir) return row.pid
  if (row && row.host !== dir) await stopDaemon(db, L)
  if (row && row.host === dir && row.version !== VERSION) {
    // An older host: it stops (its jobs keep running) and the new one adopts every cluster.
    await stopProcess(row.pid)
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const deadline = Date.now() + timeoutMs
  let started = 0
  let signalled = 0
  while (Date.now() < deadline) {
    const r = liveRow(db, L.root)
    if (r && r.version === VERSION && r.host === dir) return r.pid
    registerRoot(dir, L.root)
    const pid = livePid(dir)
    if (pid) {
      // One nudge, repeated only now and then: a storm of signals would only slow the host down.
      if (Date.now() - signalled > 1000) {
        signalled = Date.now()
        touch(L.wakeFile)
        try {
          process.kill(pid, 'SIGUSR1')
        } catch {}
      }
    } else if (Date.now() - started > 2000) {
      // None (or it just exited idle): start one. Two racing starts are fine: one gets the lock.
      started = Date.now()
      signalled = Date.now()
      spawnDetached(selfCommand(['_agent', 'host', '--dir', dir]), hostFiles(dir).log, dir)
    }
    await Bun.sleep(15)
  }
  throw new InternalError(`The local agent host did not take cluster ${L.root} within ${timeoutMs / 1000}s.`, { details: { log: tail(hostFiles(dir).log) } })
}

async function stopProcess(pid: number, graceMs = 3000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM')
  } catch {}
  const deadline = Date.now() + graceMs
  while (pidAlive(pid) && Date.now() < deadline) await Bun.sleep(20)
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
    const killDeadline = Date.now() + 2000
    while (pidAlive(pid) && Date.now() < killDeadline) await Bun.sleep(20)
  }
}

/**
 * Stop this cluster's daemon (jobs keep running). A per-cluster daemon gets SIGTERM (SIGKILL after
 * graceMs); an instance in the agent host is asked to stop through the DB and waited for, since
 * the host serves other clusters too. Returns whether one was running.
 */
export async function stopDaemon(db: Database, L: Layout, graceMs = 3000): Promise<boolean> {
  const row = liveRow(db, L.root)
  if (!row || (row.pid === process.pid && !row.host)) return false
  if (!row.host) {
    await stopProcess(row.pid, graceMs)
    return true
  }
  kvSet(db, 'daemon_stop', '1')
  try {
    writeFileSync(L.stopFile, '')
  } catch {}
  if (row.pid === process.pid) return true
  touch(L.wakeFile)
  try {
    process.kill(row.pid, 'SIGUSR1')
  } catch {}
  const deadline = Date.now() + graceMs + 2000
  while (Date.now() < deadline) {
    const r = getDaemonRow(db)
    if (!r || r.pid !== row.pid || !pidAlive(row.pid)) return true
    await Bun.sleep(20)
  }
  throw new InternalError(`The agent host (pid ${row.pid}) did not stop the agent of ${L.root}.`)
}
