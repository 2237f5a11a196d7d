// The controller's side of a load balancer process (`sky _serve-lb`): start it detached (it
// outlives the API server), change its state, read its request counts, stop it. Everything goes
// through the service's directory: lb.json (state), lb.sock (control), lb.pid, lb.log.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { pidAlive } from '../../../lib/proc'
import { selfCommand } from '../../../lib/self-exec'
import { LB_PORT_START } from '../constants'
import type { LbEvent, ReplicaStats, RequestSample } from './balancer'
import { CONTROL_SOCKET, LOG_FILE, PID_FILE, readLbState, stateDigest, writeLbState, type LbState } from './state-file'

export interface LbHealth {
  pid: number
  port: number
  service: string
  /** Digest of the state the process applied last (stateDigest). */
  applied?: string
}

export interface LbStats {
  requests: RequestSample[]
  replicas: ReplicaStats[]
  events: (LbEvent & { at: number })[]
}

async function control<T>(dir: string, path: string, timeoutMs = 2_000): Promise<T | null> {
  const sock = join(dir, CONTROL_SOCKET)
  if (!existsSync(sock)) return null
  try {
    const res = await fetch(`http://lb${path}`, { unix: sock, signal: AbortSignal.timeout(timeoutMs) } as RequestInit)
    return res.ok ? ((await res.json()) as T) : null
  } catch {
    return null
  }
}

export const lbHealth = (dir: string) => control<LbHealth>(dir, '/health')
/** Request counts since `sinceMs`, replica stats, and ejection events (null when it is not running). */
export const lbStats = (dir: string, sinceMs = 0) => control<LbStats>(dir, `/stats?since=${sinceMs}`)

function tail(file: string, lines = 10): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : ''
}

/**
 * Write `state` and make sure a load balancer process serves it; returns its pid and port. An
 * already running one just picks up the new state.
 */
export async function ensureLbProcess(
  dir: string,
  state: LbState,
  /** `command`: the sky program to run as the load balancer (default this one: src/lib/self-exec.ts). */
  opts: { env?: Record<string, string>; timeoutMs?: number; command?: string[] } = {},
): Promise<LbHealth> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeLbState(dir, state)
  const running = await lbHealth(dir)
  if (running) return running
  const logPath = join(dir, LOG_FILE)
  const log = openSync(logPath, 'a')
  const [cmd, ...args] = opts.command ? [...opts.command, '_serve-lb', '--dir', dir] : selfCommand(['_serve-lb', '--dir', dir])
  const child = spawn(cmd!, args, { detached: true, stdio: ['ignore', log, log], env: { ...process.env, ...opts.env } })
  closeSync(log)
  let exited: number | null = null
  child.on('exit', (code) => (exited = code ?? 1))
  child.unref()
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000)
  while (Date.now() < deadline) {
    const h = await lbHealth(dir)
    if (h && h.pid === child.pid) return h
    if (exited !== null) throw new Error(`load balancer for ${state.service} exited during start-up (code ${exited}):\n${tail(logPath)}`)
    await Bun.sleep(10)
  }
  throw new Error(`load balancer for ${state.service} did not answer within ${opts.timeoutMs ?? 15_000} ms; see ${logPath}`)
}

/**
 * Wait until the running process has applied what `<dir>/lb.json` holds now (it follows the file
 * through inotify, within milliseconds). False when it did not within `timeoutMs` or is not running.
 */
export async function waitLbApplied(dir: string, timeoutMs = 2_000): Promise<boolean> {
  const cur = readLbState(dir)
  if (typeof cur === 'string') return false
  const want = stateDigest(cur)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const h = await lbHealth(dir)
    if (h?.applied === want) return true
    if (!h || Date.now() > deadline) return false
    await Bun.sleep(5)
  }
}

/** Change part of the state (replicas, tokens, policy...); the process applies it at once. */
export function updateLbState(dir: string, patch: Partial<LbState>): LbState {
  const cur = readLbState(dir)
  if (typeof cur === 'string') throw new Error(cur)
  const next = { ...cur, ...patch }
  writeLbState(dir, next)
  return next
}

export function lbPid(dir: string): number | null {
  const f = join(dir, PID_FILE)
  if (!existsSync(f)) return null
  const pid = Number(readFileSync(f, 'utf8').trim())
  return pid > 1 && pidAlive(pid) ? pid : null
}

/** SIGTERM (drains in-flight requests), then SIGKILL after `graceMs`. */
export async function stopLbProcess(dir: string, graceMs = 12_000): Promise<void> {
  const pid = lbPid(dir)
  if (!pid) return
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      break
    }
    await Bun.sleep(20)
  }
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

/** The first port from 30001 up (as SkyPilot) that is neither taken nor listed in `reserved`. */
export async function findLbPort(reserved: ReadonlySet<number> = new Set(), host = '0.0.0.0', start = LB_PORT_START): Promise<number> {
  for (let p = start; p < start + 1000; p++) {
    if (reserved.has(p)) continue
    if (await portFree(p, host)) return p
  }
  throw new Error(`no free load balancer port in ${start}-${start + 999}`)
}
