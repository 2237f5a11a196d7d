// Where the agent keeps things inside its runtime dir (`--root`, e.g. `~/.sky-runtime`).
import { join } from 'node:path'

export interface Layout {
  root: string
  db: string
  cluster: string
  pidFile: string
  /** Touched to tell the agent host which cluster to look at (with SIGUSR1). */
  wakeFile: string
  /** Present while the cluster's agent is asked not to run (stop-all); the host skips it. */
  stopFile: string
  daemonLog: string
  autostop: string
  autostopLog: string
  logsDir: string
  jobDir(id: number): string
  runLog(id: number): string
  exitFile(id: number, phase: string, rank: number): string
}

export function layout(root: string): Layout {
  const logsDir = join(root, 'logs')
  return {
    root,
    db: join(root, 'agent.db'),
    cluster: join(root, 'cluster.json'),
    pidFile: join(root, 'agent.pid'),
    wakeFile: join(root, 'agent.wake'),
    stopFile: join(root, 'agent.stopped'),
    daemonLog: join(root, 'agent.log'),
    autostop: join(root, 'autostop.json'),
    autostopLog: join(logsDir, 'autostop.log'),
    logsDir,
    jobDir: (id) => join(logsDir, String(id)),
    runLog: (id) => join(logsDir, String(id), 'run.log'),
    exitFile: (id, phase, rank) => join(logsDir, String(id), `${phase}-${rank}.exit`),
  }
}
