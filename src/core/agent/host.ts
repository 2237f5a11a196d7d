// The local agent host: one resident process (`sky _agent host --dir D`) that runs the agent
// daemon of every local cluster registered in D/roots, instead of one daemon process per cluster,
// so hundreds of local clusters cost one process. Each cluster keeps its own agent.db, job
// processes and autostop; the host only drives their steps: SIGUSR1 + a cluster's wake file say
// which cluster to look at now, one timer ticks them all. It exits when it has served nothing
// for a while, and a later `init`/`submit` starts it again (adopting running jobs).
//
// One host per D: D/host.lock holds its pid (created exclusively; a dead owner's lock is taken
// over). SIGTERM stops watching (jobs keep running) and exits.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { configureLog, logger } from '../log'
import { AgentDaemon } from './daemon'
import { hostFiles, isHostCommand } from './daemon-control'
import { layout } from './layout'
import { pidAlive, processCommand } from './proc'

const IDLE_EXIT_MS = 30_000

function takeLock(path: string, dir: string): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    let owner = 0
    try {
      owner = Number(readFileSync(path, 'utf8'))
    } catch {}
    // Held only by a live host for this directory (a reused pid is not one).
    if (owner > 0 && owner !== process.pid && pidAlive(owner)) {
      const cmd = processCommand(owner)
      if (cmd === null || isHostCommand(cmd, dir)) return false
    }
    rmSync(path, { force: true })
  }
  return false
}

interface Served {
  daemon: AgentDaemon
  wakeMtime: number
  /** The job DB this daemon opened; a new file there means the cluster was made anew. */
  dbIno: number | null
}

export class AgentHost {
  private served = new Map<string, Served>()
  private starting = new Set<string>()
  private timer: ReturnType<typeof setInterval> | undefined
  private emptySince = Date.now()
  private stopped = false
  private resolveDone!: () => void
  readonly done = new Promise<void>((r) => (this.resolveDone = r))
  private readonly files: ReturnType<typeof hostFiles>
  /** The shortest tick its instances want (a quarter of their cluster's autostop minute). */
  private tickMs = 2000
  private scanQueued = false
  /** SIGUSR1: many in a burst make one scan. */
  private readonly onWake = () => {
    if (this.scanQueued) return
    this.scanQueued = true
    setTimeout(() => {
      this.scanQueued = false
      this.scan()
    }, 2)
  }

  constructor(readonly dir: string) {
    this.files = hostFiles(dir)
  }

  private log(msg: string): void {
    logger(`agent host ${process.pid}`).info(msg)
  }

  /** Tick as often as the most demanding served cluster needs (its autostop minute / 4). */
  private retune(): void {
    const want = Math.min(2000, ...[...this.served.values()].map((s) => s.daemon.tickMs))
    if (want === this.tickMs || !this.timer) return
    this.tickMs = want
    clearInterval(this.timer)
    this.timer = setInterval(() => this.tick(), this.tickMs)
  }

  /** False when another live host owns the directory. */
  start(): boolean {
    if (!takeLock(this.files.lock, this.dir)) return false
    process.on('SIGUSR1', this.onWake)
    this.timer = setInterval(() => this.tick(), this.tickMs)
    this.log(`serving ${this.dir}`)
    this.scan()
    return true
  }

  /** Registered roots: start the ones not served yet, wake the ones whose wake file moved. */
  scan(): void {
    if (this.stopped) return
    let names: string[] = []
    try {
      names = readdirSync(this.files.roots)
    } catch {}
    const seen = new Set<string>()
    for (const name of names) {
      if (name.endsWith('.tmp')) continue
      const file = join(this.files.roots, name)
      let root: string
      try {
        root = readFileSync(file, 'utf8').trim()
      } catch {
        continue
      }
      if (!root) continue
      seen.add(root)
      const L = layout(root)
      if (!existsSync(L.cluster)) {
        // The cluster is gone (down): forget it.
        if (!existsSync(root)) rmSync(file, { force: true })
        continue
      }
      const s = this.served.get(root)
      const ino = inodeOf(L.db)
      if (s && ino !== null && s.dbIno !== null && ino !== s.dbIno) {
        // The cluster's directory was removed behind our back (its nodes vanished) and the
        // cluster launched again: this daemon serves a deleted DB. Stop it; the next scan serves
        // the new one.
        this.log(`${root}: its job DB was replaced; restarting its agent`)
        void s.daemon.stop()
        continue
      }
      if (s) {
        const m = mtime(L.wakeFile)
        if (m !== s.wakeMtime) {
          s.wakeMtime = m
          s.daemon.wake()
        }
        continue
      }
      // Stopped clusters are skipped by their marker file, without opening their DB (a cluster
      // being torn down must not get files back while its directory is removed).
      if (!this.starting.has(root) && !existsSync(L.stopFile)) void this.serve(root)
    }
    for (const root of this.served.keys()) if (!seen.has(root)) void this.served.get(root)!.daemon.stop()
  }

  private async serve(root: string): Promise<void> {
    this.starting.add(root)
    try {
      const d = new AgentDaemon(root, { host: this.dir })
      if (!(await d.start())) return
      this.served.set(root, { daemon: d, wakeMtime: mtime(layout(root).wakeFile), dbIno: inodeOf(layout(root).db) })
      this.retune()
      void d.stoppedPromise.then(() => {
        if (this.served.get(root)?.daemon === d) this.served.delete(root)
        if (this.served.size === 0) this.emptySince = Date.now()
      })
    } catch (e) {
      this.log(`could not serve ${root}: ${(e as Error).message}`)
    } finally {
      this.starting.delete(root)
    }
  }

  private tick(): void {
    if (this.stopped) return
    for (const s of this.served.values()) s.daemon.tick()
    if (this.served.size === 0 && this.starting.size === 0) {
      this.scan()
      if (this.served.size === 0 && this.starting.size === 0 && Date.now() - this.emptySince > IDLE_EXIT_MS) {
        this.log('nothing to serve; exiting')
        void this.stop()
      }
    } else this.emptySince = Date.now()
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.timer)
    process.off('SIGUSR1', this.onWake)
    await Promise.allSettled([...this.served.values()].map((s) => s.daemon.stop()))
    try {
      if (Number(readFileSync(this.files.lock, 'utf8')) === process.pid) rmSync(this.files.lock, { force: true })
    } catch {}
    this.resolveDone()
  }
}

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino
  } catch {
    return null
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return 0
  }
}

/** `host --dir D`: serve until SIGTERM/SIGINT or idle; 0 at once if another host owns D. */
export async function runHost(dir: string): Promise<number> {
  // The host's stderr is its log file: timestamped, tagged lines.
  configureLog({ stderr: 'lines' })
  const h = new AgentHost(dir)
  if (!h.start()) {
    logger('agent host').warn(`another host serves ${dir}`)
    return 0
  }
  const stop = () => void h.stop()
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('SIGHUP', () => {})
  await h.done
  // Rank wrappers are children of this process and would keep it alive; they carry on without it.
  process.exit(0)
}
