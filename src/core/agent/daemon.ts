// The long-running agent loop on the head node. It claims the single-instance daemon row, adopts
// the rank processes of jobs that were running when an earlier daemon died, and then reacts to
// events: SIGUSR1 from `submit`/`cancel`/`init` (so a job starts within milliseconds), a rank
// ending (its wrapper is our child, or an ssh log stream closes), and a slow tick (heartbeat,
// adopted ranks, autostop). Each reaction runs one synchronous `step`: reconcile running jobs with
// the DB, advance their phases, start pending jobs that fit, check autostop. It runs as its own
// process (remote heads) or as one of many instances inside the local agent host (host.ts).
// (A little over 400 lines: one state machine whose steps read best side by side.)
import type { Database } from 'bun:sqlite'
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { VERSION } from '../../version'
import { activeSshSessions, bootTime, fireAutostop, idleVerdict, lastActivity, minuteMs, readAutostop, resetAutostopTimer, setAutostop, touchActivity } from './autostop'
import { applyAlloc, freeCapacity, neverFitsReason, place } from './capacity'
import { readClusterSpec } from './cluster-spec'
import { isDaemonProcess } from './daemon-control'
import { openDb } from './db'
import { killJobProcs } from './job-kill'
import { countActive, getDaemonRow, getJob, heartbeat, jobsWithStatus, kvGet, runningIds, scrubSecrets, setDaemonRow, setProcs, transition, type JobRow } from './job-store'
import { layout, type Layout } from './layout'
import { jobBaseEnv } from '../sandbox/env'
import { launchPhase, pollAdoptedLocal, toProc, watchRemoteRank, type LaunchContext, type LiveRank } from './rank-launch'
import { RunnerPool, type RunnerFactory } from './remote'
import { groupExists } from './proc'
import type { ClusterSpec, JobStatus, RankAlloc } from './types'
import { localAwk } from './wrapper'
import { configureLog, logger } from '../log'

interface LiveJob {
  id: number
  phase: 'setup' | 'run'
  ranks: LiveRank[]
  /** What the job holds; free capacity = cluster capacity minus the allocs of live jobs. */
  alloc: RankAlloc[]
  abort: AbortController
}

const MAX_STARTS_PER_STEP = 32

export interface DaemonOptions {
  /** Tick period; default a quarter of the autostop minute, clamped to 50..2000 ms. */
  tickMs?: number
  log?: (msg: string) => void
  /**
   * Run as an instance inside the local agent host (its directory): no process signal handlers
   * or timer of its own (the host drives `tick` and `wake`), and it stops when asked through the
   * DB (`daemon_stop`) instead of by SIGTERM.
   */
  host?: string
  /** How to reach ssh workers (default SSH from cluster.json). */
  runners?: RunnerFactory
}

function agentFreeEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('SKY_AGENT_')) continue
    env[k] = v
  }
  return env
}

export class AgentDaemon {
  readonly L: Layout
  private db!: Database
  private spec: ClusterSpec | null = null
  private specMtime = 0
  private live = new Map<number, LiveJob>()
  private timer: ReturnType<typeof setInterval> | undefined
  private wakeQueued = false
  private stopped = false
  private lastTouch = 0
  private lastBeat = 0
  private killing = new Set<Promise<unknown>>()
  /** Last procs written per job, to skip identical writes. */
  private persisted = new Map<number, string>()
  private readonly baseEnv = agentFreeEnv()

  /**
   * What a job's processes start from. On the local infra the agent runs beside (or inside) the
   * API server, whose environment is never a job's: a clean one instead (src/core/sandbox/env.ts).
   * On a node of its own, the agent's login environment (the node's, not the server's).
   */
  private jobEnv(): Record<string, string> {
    if (this.spec?.cloud !== 'local') return this.baseEnv
    return jobBaseEnv(this.baseEnv, { fixedPath: !!this.spec.runAs })
  }
  private readonly awk = localAwk()
  private readonly log: (msg: string) => void
  private readonly tickOpt: number | undefined
  private readonly host: string | null
  private readonly runners: RunnerPool
  private resolveStopped!: () => void
  readonly stoppedPromise = new Promise<void>((r) => (this.resolveStopped = r))
  private readonly onSignal = () => this.wake()

  constructor(root: string, opts: DaemonOptions = {}) {
    this.L = layout(root)
    const who = opts.host ? `agent ${process.pid} ${root}` : `agent ${process.pid}`
    this.log = opts.log ?? ((m) => logger(who).info(m))
    this.tickOpt = opts.tickMs
    this.host = opts.host ?? null
    this.runners = new RunnerPool(opts.runners)
  }

  /** Tick period: a quarter of the cluster's autostop minute (from its spec), clamped to 50..2000 ms. */
  get tickMs(): number {
    return this.tickOpt ?? Math.min(2000, Math.max(50, Math.round(minuteMs(this.spec) / 4)))
  }

  get isStopped(): boolean {
    return this.stopped
  }

  /** Claim the daemon row and start; false when another live daemon owns this root. */
  async start(): Promise<boolean> {
    mkdirSync(this.L.logsDir, { recursive: true, mode: 0o700 })
    this.db = openDb(this.L.db)
    if (!this.claim()) {
      this.db.close()
      return false
    }
    writeFileSync(this.L.pidFile, `${process.pid}\n`)
    this.reloadSpec()
    if (!this.host) process.on('SIGUSR1', this.onSignal)
    this.checkReboot()
    touchActivity(this.db)
    this.adopt()
    if (!this.host) this.timer = setInterval(() => this.tick(), this.tickMs)
    this.log(`started (version ${VERSION}, root ${this.L.root}, ${this.live.size} running job(s) adopted)`)
    this.wake()
    return true
  }

  private claim(): boolean {
    return this.db.transaction(() => {
      const row = getDaemonRow(this.db)
      if (row && row.pid !== process.pid && isDaemonProcess(row.pid, this.L.root, row.host)) return false
      const now = Date.now()
      setDaemonRow(this.db, { pid: process.pid, version: VERSION, startedAt: now, heartbeatAt: now, host: this.host })
      return true
    }).immediate()
  }

  /** Stop watching (jobs keep running; a later daemon adopts them) and release the daemon row. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.timer)
    if (!this.host) process.off('SIGUSR1', this.onSignal)
    for (const job of this.live.values()) {
      job.abort.abort()
      setProcs(this.db, job.id, job.ranks.filter((r) => r.pgid > 0).map(toProc))
    }
    await Promise.allSettled([...this.killing])
    try {
      if (getDaemonRow(this.db)?.pid === process.pid) {
        setDaemonRow(this.db, null)
        rmSync(this.L.pidFile, { force: true })
      }
      this.db.close()
    } catch {}
    await this.runners.close()
    this.log('stopped')
    this.resolveStopped()
  }

  /** Run a step soon; many wake-ups before it runs make one step. */
  wake(): void {
    if (this.wakeQueued || this.stopped) return
    this.wakeQueued = true
    setTimeout(() => {
      this.wakeQueued = false
      if (this.stopped) return
      try {
        this.step()
      } catch (e) {
        this.log(`step failed: ${(e as Error).stack ?? e}`)
      }
    }, 0)
  }

  /** Heartbeat, then a step (the host calls this for its instances). */
  tick(): void {
    if (this.stopped) return
    try {
      if (getDaemonRow(this.db)?.pid !== process.pid) {
        this.log('another daemon took over; exiting')
        void this.stop()
        return
      }
      if (this.host && kvGet(this.db, 'daemon_stop')) {
        this.log('asked to stop')
        void this.stop()
        return
      }
      // A hosted instance is one of many in its process: its heartbeat need not be a write per tick.
      const now = Date.now()
      if (!this.host || now - this.lastBeat >= 10_000) {
        heartbeat(this.db, process.pid, now)
        this.lastBeat = now
      }
      for (const job of this.live.values()) {
        if (job.ranks.some((r) => r.remote)) setProcs(this.db, job.id, job.ranks.filter((r) => r.pgid > 0).map(toProc))
      }
    } catch (e) {
      this.log(`tick failed: ${(e as Error).message}`)
    }
    this.wake()
  }

  private reloadSpec(): void {
    try {
      const m = statSync(this.L.cluster).mtimeMs
      if (m === this.specMtime && this.spec) return
      this.spec = readClusterSpec(this.L.cluster)
      this.specMtime = m
    } catch {
      this.spec = null
    }
  }

  private ctx(job: LiveJob): LaunchContext {
    return { L: this.L, spec: this.spec!, baseEnv: this.jobEnv(), awk: this.awk, changed: () => this.wake(), signal: job.abort.signal, runners: this.runners, db: this.db }
  }

  /** Take over the ranks of jobs that were running when the previous daemon went away. */
  private adopt(): void {
    const now = Date.now()
    for (const job of jobsWithStatus(this.db, ['INIT'])) {
      if (now - job.submittedAt > 60_000) this.end(job.id, ['INIT'], 'FAILED_DRIVER', null, null, 'The job was never queued.')
    }
    for (const job of jobsWithStatus(this.db, ['SETTING_UP', 'RUNNING'])) {
      const procs = job.procs ?? []
      const phase = job.phase ?? (job.status === 'SETTING_UP' ? 'setup' : 'run')
      if (!this.spec || procs.length < job.numNodes) {
        this.end(job.id, ['SETTING_UP', 'RUNNING'], 'FAILED_DRIVER', null, null, 'The agent stopped while starting the job.')
        this.track(killJobProcs(this.runners, this.spec, this.L.root, job.id, procs))
        continue
      }
      const live: LiveJob = { id: job.id, phase, alloc: job.alloc ?? [], abort: new AbortController(), ranks: [] }
      live.ranks = procs.map((p) => ({ ...p, code: undefined, exitPath: this.L.exitFile(job.id, p.phase, p.rank) }))
      this.live.set(job.id, live)
      for (const r of live.ranks.filter((x) => x.remote)) {
        const node = this.spec.nodes[r.node]
        if (!node) {
          r.code = null
          continue
        }
        const ctx = this.ctx(live)
        void watchRemoteRank(ctx, job.id, node, r)
          .catch(() => {
            if (r.code === undefined && !ctx.signal.aborted) r.code = null
          })
          .finally(() => this.wake())
      }
    }
  }

  private checkReboot(): void {
    const cfg = readAutostop(this.L.autostop)
    if (!cfg || cfg.bootTime === null || Math.abs(cfg.bootTime - bootTime()) < 15_000) return
    if (cfg.idleMinutes >= 0) setAutostop(this.L, this.db, cfg.idleMinutes, cfg.down, cfg.waitFor, Date.now(), cfg.hooks)
    else resetAutostopTimer(this.db)
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e) => this.log(`kill failed: ${(e as Error).message}`)).finally(() => this.killing.delete(t))
    this.killing.add(t)
  }

  /** One reaction: reconcile, advance, schedule, autostop. Synchronous by design. */
  step(): void {
    if (this.host && kvGet(this.db, 'daemon_stop')) {
      void this.stop()
      return
    }
    this.reloadSpec()
    const running = this.live.size ? runningIds(this.db) : new Set<number>()
    for (const job of [...this.live.values()]) {
      if (!running.has(job.id)) {
        this.drop(job)
        continue
      }
      for (const r of job.ranks) pollAdoptedLocal(r)
      this.advance(job)
    }
    this.schedule()
    this.autostop()
  }

  /** Forget a job that ended elsewhere (cancel, stop-all), killing what is left of it. */
  private drop(job: LiveJob): void {
    job.abort.abort()
    this.live.delete(job.id)
    this.persisted.delete(job.id)
    const alive = job.ranks.filter((r) => r.code === undefined && r.pgid > 0)
    if (alive.length) this.track(killJobProcs(this.runners, this.spec, this.L.root, job.id, alive.map(toProc)))
  }

  private end(id: number, from: readonly JobStatus[], to: JobStatus, code: number | null, codes: (number | null)[] | null, failure: string | null): boolean {
    const now = Date.now()
    const ok = transition(this.db, id, from, to, { endedAt: now, exitCode: code, ...(codes ? { exitCodes: codes } : {}), failure })
    if (ok) {
      scrubSecrets(this.db, id)
      touchActivity(this.db, now) // the idle timer counts from the end of the last job
    }
    return ok
  }

  /**
   * Finish a live job: record the outcome, then kill whatever of it is still running: ranks that
   * have not ended (another rank failed) and leftovers in the groups of ranks that did.
   */
  private finish(job: LiveJob, to: JobStatus, code: number | null, failure: string | null = null): void {
    const codes = job.ranks.map((r) => (r.code === undefined ? null : r.code))
    this.end(job.id, ['SETTING_UP', 'RUNNING'], to, code, codes, failure)
    job.abort.abort()
    this.live.delete(job.id)
    this.persisted.delete(job.id)
    const running = job.ranks.filter((r) => r.pgid > 0 && r.code === undefined)
    const leftovers = job.ranks.filter((r) => r.pgid > 0 && r.code !== undefined && !r.remote && groupExists(r.pgid))
    if (running.length) this.track(killJobProcs(this.runners, this.spec, this.L.root, job.id, [...running, ...leftovers].map(toProc), 1000))
    else if (leftovers.length) this.track(killJobProcs(this.runners, this.spec, this.L.root, job.id, leftovers.map(toProc), 1000, false))
  }

  private advance(job: LiveJob): void {
    const failed = job.ranks.find((r) => r.code !== undefined && r.code !== 0)
    if (failed) {
      const code = failed.code ?? null
      if (code === null) this.finish(job, 'FAILED_DRIVER', null, `Rank ${failed.rank} ended without an exit code.`)
      else this.finish(job, job.phase === 'setup' ? 'FAILED_SETUP' : 'FAILED', code)
      return
    }
    if (!job.ranks.every((r) => r.code === 0)) {
      this.persistIfStarted(job)
      return
    }
    const row = job.phase === 'setup' ? getJob(this.db, job.id) : null
    if (job.phase === 'setup' && row?.commands.run) {
      if (!transition(this.db, job.id, ['SETTING_UP'], 'RUNNING', { phase: 'run', procs: [] })) return this.drop(job)
      this.launch(job, row, 'run')
      return
    }
    this.finish(job, 'SUCCEEDED', 0)
  }

  /** Record pgids once known (remote ranks get theirs asynchronously). */
  private persistIfStarted(job: LiveJob): void {
    const procs = job.ranks.filter((r) => r.pgid > 0).map(toProc)
    const key = `${job.phase}:${procs.map((p) => p.pgid).join(',')}`
    if (this.persisted.get(job.id) === key) return
    this.persisted.set(job.id, key)
    setProcs(this.db, job.id, procs)
  }

  private launch(job: LiveJob, row: JobRow, phase: 'setup' | 'run'): void {
    job.phase = phase
    job.ranks = launchPhase(this.ctx(job), row, phase)
    this.persistIfStarted(job)
    this.wake()
  }

  private schedule(): void {
    if (!this.spec) return
    const pending = jobsWithStatus(this.db, ['PENDING'], 1000)
    if (!pending.length) return
    const free = freeCapacity(this.spec, [...this.live.values()].map((j) => j.alloc))
    let started = 0
    for (const job of pending) {
      // Each start costs a process spawn or two; yield now and then so ranks that end get seen.
      if (started === MAX_STARTS_PER_STEP) {
        this.wake()
        break
      }
      const alloc = place(free, job.demand, job.numNodes)
      if (!alloc) {
        const reason = neverFitsReason(this.spec, job.demand, job.numNodes)
        if (reason) this.end(job.id, ['PENDING'], 'FAILED', null, null, reason)
        continue
      }
      applyAlloc(free, alloc)
      this.startJob(job, alloc)
      started++
    }
  }

  private startJob(job: JobRow, alloc: RankAlloc[]): void {
    const now = Date.now()
    mkdirSync(this.L.jobDir(job.id), { recursive: true })
    closeSync(openSync(this.L.runLog(job.id), 'a'))
    const { setup, run } = job.commands
    if (!setup && !run) {
      if (transition(this.db, job.id, ['PENDING'], 'SUCCEEDED', { startedAt: now, endedAt: now, exitCode: 0, exitCodes: [] })) {
        scrubSecrets(this.db, job.id)
        touchActivity(this.db, now)
      }
      return
    }
    const phase = setup ? 'setup' : 'run'
    const to = phase === 'setup' ? 'SETTING_UP' : 'RUNNING'
    if (!transition(this.db, job.id, ['PENDING'], to, { startedAt: now, alloc, phase, procs: [] })) return
    const live: LiveJob = { id: job.id, phase, alloc, ranks: [], abort: new AbortController() }
    this.live.set(job.id, live)
    this.launch(live, { ...job, status: to, alloc }, phase)
  }

  private autostop(): void {
    const cfg = readAutostop(this.L.autostop)
    if (!cfg || cfg.idleMinutes < 0 || !this.spec || kvGet(this.db, 'autostop_fired_at')) return
    const now = Date.now()
    const busyJobs = this.live.size > 0 || countActive(this.db) > 0
    const head = this.spec.nodes[0]
    const remoteHead = head !== undefined && head.kind === 'ssh'
    const verdict = idleVerdict({ cfg, now, lastActivityAt: lastActivity(this.db), busyJobs, sshSessions: () => (remoteHead ? activeSshSessions() : 0), minuteMs: minuteMs(this.spec) })
    if (verdict === 'busy') {
      if (now - this.lastTouch >= 1000) {
        touchActivity(this.db, now)
        this.lastTouch = now
      }
      return
    }
    if (verdict !== 'fire') return
    this.log(`autostop fired (idle ${cfg.idleMinutes} min, ${cfg.down ? 'down' : 'stop'})`)
    const hook = fireAutostop(this.L, this.db, this.spec, cfg, this.jobEnv())
    hook?.exited.then((rc) => {
      this.log(`autostop hook exited ${rc}`)
      if (rc !== 0 && !this.stopped) resetAutostopTimer(this.db)
    })
  }
}

/**
 * `daemon --root D`: run until SIGTERM/SIGINT, then exit the process (jobs keep running). Returns 0
 * at once if another daemon owns the root.
 */
export async function runDaemon(root: string, opts: DaemonOptions = {}): Promise<number> {
  // The daemon's stderr is its log file: timestamped, tagged lines.
  configureLog({ stderr: 'lines' })
  const d = new AgentDaemon(root, opts)
  if (!(await d.start())) {
    logger('agent').warn(`another daemon is running for ${root}`)
    return 0
  }
  const stop = () => void d.stop()
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('SIGHUP', () => {})
  await d.stoppedPromise
  // Rank wrappers are our children and would keep this process alive; they carry on without us.
  process.exit(0)
}

