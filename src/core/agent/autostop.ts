// Autostop (sky/skylet/autostop_lib.py): the config in autostop.json, the idle test, and firing
// the provisioner's `onAutostop` hook. Runtime state lives in the DB kv table:
// `last_activity_at` (ms; bumped by submit and by every busy daemon tick) and `autostop_fired_at`.
//
// One autostop "minute" lasts 60 s unless the cluster description says otherwise, which only a
// test server does (src/core/testing.ts), so `--idle-minutes 1` can fire within a second.
import { runAsPrefix } from './wrapper'
import type { Database } from 'bun:sqlite'
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs'
import { uptime, userInfo } from 'node:os'
import { writeFileAtomic } from './cluster-spec'
import { kvGet, kvSet } from './job-store'
import type { Layout } from './layout'
import type { AutostopConfig, ClusterSpec, LifecycleHook, WaitFor } from './types'

export const WAIT_FOR: readonly WaitFor[] = ['jobs_and_ssh', 'jobs', 'none']

export function minuteMs(spec: Pick<ClusterSpec, 'autostopMinuteMs'> | null | undefined): number {
  const v = spec?.autostopMinuteMs
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 60_000
}

/** Boot time of this machine (ms), to notice a restart. */
export function bootTime(): number {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))
    if (m) return Number(m[1]) * 1000
  } catch {}
  return Math.round((Date.now() - uptime() * 1000) / 10_000) * 10_000
}

export function readAutostop(path: string): AutostopConfig | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AutostopConfig
  } catch {
    return null
  }
}

export function setAutostop(L: Layout, db: Database, idleMinutes: number, down: boolean, waitFor: WaitFor, now = Date.now(), hooks?: LifecycleHook[]): AutostopConfig {
  const cfg: AutostopConfig = { idleMinutes, down, waitFor, setAt: now, bootTime: bootTime(), ...(hooks?.length ? { hooks } : {}) }
  writeFileAtomic(L.autostop, JSON.stringify(cfg, null, 2) + '\n', 0o644)
  resetAutostopTimer(db, now)
  return cfg
}

/** Start the idle timer over and forget an earlier firing (set, init, reboot). */
export function resetAutostopTimer(db: Database, now = Date.now()): void {
  kvSet(db, 'last_activity_at', String(now))
  kvSet(db, 'autostop_fired_at', null)
}

export function touchActivity(db: Database, now = Date.now()): void {
  kvSet(db, 'last_activity_at', String(now))
}

export function lastActivity(db: Database): number | null {
  const v = kvGet(db, 'last_activity_at')
  return v === null ? null : Number(v)
}

/** Interactive SSH sessions of this user (pts-backed `sshd: user@pts/N` processes). */
export function activeSshSessions(): number {
  const r = Bun.spawnSync(['ps', '-eo', 'args='], { stdout: 'pipe', stderr: 'ignore' })
  const me = userInfo().username
  return (r.stdout?.toString() ?? '').split('\n').filter((l) => l.startsWith(`sshd: ${me}@pts/`)).length
}

export interface IdleInput {
  cfg: AutostopConfig
  now: number
  lastActivityAt: number | null
  busyJobs: boolean
  sshSessions: () => number
  /** Length of one minute (minuteMs of the cluster's spec). */
  minuteMs: number
}

/** 'busy' (timer resets), 'wait' (idle, not long enough yet) or 'fire'. */
export function idleVerdict({ cfg, now, lastActivityAt, busyJobs, sshSessions, minuteMs }: IdleInput): 'busy' | 'wait' | 'fire' {
  if (cfg.waitFor !== 'none' && (busyJobs || (cfg.waitFor === 'jobs_and_ssh' && sshSessions() > 0))) return 'busy'
  const since = cfg.waitFor === 'none' ? cfg.setAt : Math.max(cfg.setAt, lastActivityAt ?? 0)
  return now - since >= cfg.idleMinutes * minuteMs ? 'fire' : 'wait'
}

export interface AutostopStatus {
  config: AutostopConfig | null
  firedAt: number | null
  hookExitCode: number | null
  lastActivityAt: number | null
}

export function autostopStatus(L: Layout, db: Database): AutostopStatus {
  const fired = kvGet(db, 'autostop_fired_at')
  let hookExitCode: number | null = null
  try {
    const t = readFileSync(`${L.autostopLog}.exit`, 'utf8').trim()
    if (t) hookExitCode = Number(t)
  } catch {}
  return { config: readAutostop(L.autostop), firedAt: fired ? Number(fired) : null, hookExitCode, lastActivityAt: lastActivity(db) }
}

/** Shell text running the lifecycle hooks for `event`, one after another, each within its timeout. */
export function hooksScript(hooks: LifecycleHook[] | undefined, event: 'stop' | 'down'): string {
  const mine = (hooks ?? []).filter((h) => h.events.includes(event))
  return mine
    .map((h, i) => {
      const q = `'${h.run.replaceAll("'", `'\\''`)}'`
      return `echo "lifecycle hook ${i + 1}/${mine.length} (${event})"; timeout ${Math.max(1, Math.floor(h.timeout))}s bash -c ${q} || echo "lifecycle hook ${i + 1} exited $?"`
    })
    .join('\n')
}

/**
 * Record the firing and run the hook detached (it usually ends this daemon, or the machine). The
 * task's lifecycle hooks for the event run first. The hook's exit code is written next to its log
 * by the shell itself, so it is kept even then.
 */
export function fireAutostop(L: Layout, db: Database, spec: ClusterSpec, cfg: AutostopConfig, baseEnv: Record<string, string>): ReturnType<typeof Bun.spawn> | null {
  const now = Date.now()
  kvSet(db, 'autostop_fired_at', String(now))
  const hook = spec.onAutostop
  const fd = openSync(L.autostopLog, 'a')
  try {
    const header = `${new Date(now).toISOString()} autostop${cfg.down ? ' (down)' : ''} fired after ${cfg.idleMinutes} idle minute(s)\n`
    writeSync(fd, header)
    if (!hook) return null
    const exitFile = `${L.autostopLog}.exit`
    const head = spec.nodes[0]
    // The task's hooks are user code: a sandboxed cluster's run as its account.
    const as = spec.runAs ? `${runAsPrefix(spec.runAs)} ` : ''
    return Bun.spawn(['bash', '-c', `${as}bash -c "$SKY_LIFECYCLE_HOOKS"; bash -c "$SKY_AUTOSTOP_HOOK"; rc=$?; echo "$rc" > "$SKY_AUTOSTOP_EXIT_FILE"; exit "$rc"`], {
      env: {
        ...baseEnv,
        ...(spec.runAs ? { USER: spec.runAs.user, LOGNAME: spec.runAs.user } : {}),
        SKY_LIFECYCLE_HOOKS: hooksScript(cfg.hooks, cfg.down ? 'down' : 'stop'),
        SKY_AUTOSTOP_HOOK: hook,
        SKY_AUTOSTOP_EXIT_FILE: exitFile,
        SKY_AUTOSTOP_DOWN: cfg.down ? '1' : '0',
        SKY_CLUSTER_NAME: spec.name,
        SKY_AGENT_ROOT: L.root,
        // The head node's home, as jobs see it (a hosted agent's own HOME is the server's).
        ...(head ? { HOME: head.home } : {}),
      },
      cwd: head && existsSync(head.home) ? head.home : '/',
      detached: true,
      stdio: ['ignore', fd, fd],
    })
  } finally {
    closeSync(fd)
  }
}
