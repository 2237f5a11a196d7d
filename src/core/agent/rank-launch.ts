// Starting the ranks of one phase of a job and learning when each ends: local ranks are spawned
// here (own session, so the pid is the group to kill); ssh worker ranks are started through their
// runner and their log is copied into the head's run.log until they end.
import type { Subprocess } from 'bun'
import { appendFileSync, readFileSync } from 'node:fs'
import type { Database } from 'bun:sqlite'
import { withSecrets, type JobRow } from './job-store'
import type { Layout } from './layout'
import { followRemoteLog, remoteExitCode, remoteGroupAlive, remoteRankPaths, startRemoteRank, type RunnerPool } from './remote'
import { logPrefix, rankCwd, rankEnv } from './task-env'
import type { ClusterSpec, NodeSpec, RankProc } from './types'
import { WRAPPER_SCRIPT, wrapperEnv } from './wrapper'
import { groupAlive } from './proc'
import { jobTag } from './job-kill'

/** A rank the daemon watches. `code`: undefined while running, null when it ended without one. */
export interface LiveRank extends RankProc {
  code: number | null | undefined
  child?: Subprocess
  exitPath: string
}

export interface LaunchContext {
  L: Layout
  spec: ClusterSpec
  /** The daemon's environment minus agent internals: the base of a local rank's environment. */
  baseEnv: Record<string, string>
  awk: string
  /** Called whenever a rank ends or a remote rank gets its pgid. */
  changed: () => void
  /** Aborted when the daemon stops watching the job (it ended, or the daemon stops). */
  signal: AbortSignal
  /** Runners for ssh workers. */
  runners: RunnerPool
  /** The agent's database (secret values are kept beside it). */
  db: Database
}

export function isLocalNode(node: NodeSpec): boolean {
  return node.rank === 0 || node.kind === 'local'
}

export function readExitFile(path: string): number | null {
  try {
    const t = readFileSync(path, 'utf8').trim()
    return t === '' ? null : Number(t)
  } catch {
    return null
  }
}

function note(L: Layout, id: number, line: string): void {
  try {
    appendFileSync(L.runLog(id), line.endsWith('\n') ? line : `${line}\n`)
  } catch {}
}

/** Start every rank of `phase`; remote ranks finish starting in the background. */
export function launchPhase(ctx: LaunchContext, stored: JobRow, phase: 'setup' | 'run'): LiveRank[] {
  const { L, spec } = ctx
  // Secret values come from their file (never from the database).
  const job = withSecrets(ctx.db, stored)
  const alloc = job.alloc!
  const command = (phase === 'setup' ? job.commands.setup : job.commands.run) ?? ''
  return alloc.map((a, rank) => {
    const node = spec.nodes[a.node]!
    const local = isLocalNode(node)
    const w = {
      command,
      logPath: L.runLog(job.id),
      exitPath: L.exitFile(job.id, phase, rank),
      prefix: logPrefix(job, rank, node.ip, phase),
      secretNames: Object.keys(job.commands.secrets),
      cwd: rankCwd(node, job.commands.workdir, local),
      tag: jobTag(L.root, job.id),
      clusterTag: spec.tag ?? null,
    }
    // A sandboxed local cluster's jobs run as its account (the wrapper switches to it).
    const sandbox = local && spec.runAs ? spec.runAs : null
    const env = { ...rankEnv({ spec, job, alloc, rank, phase }), HOME: node.home, ...(sandbox ? { USER: sandbox.user, LOGNAME: sandbox.user } : {}) }
    const live: LiveRank = { rank, node: node.rank, phase, pgid: 0, remote: !local, code: undefined, exitPath: w.exitPath }
    if (local) {
      try {
        const child = Bun.spawn(['bash', '-c', WRAPPER_SCRIPT, 'sky-job'], {
          env: { ...ctx.baseEnv, ...env, ...wrapperEnv({ ...w, awk: ctx.awk, runAs: sandbox }) },
          cwd: '/',
          detached: true,
          stdio: ['ignore', 'ignore', 'ignore'],
        })
        live.pgid = child.pid
        live.child = child
        child.exited.then((rc) => {
          live.child = undefined
          live.code = readExitFile(w.exitPath) ?? rc
          ctx.changed()
        })
      } catch (e) {
        note(L, job.id, `${w.prefix.replace('{pid}', '-')}failed to start: ${(e as Error).message}`)
        live.code = 127
      }
    } else {
      const paths = remoteRankPaths(node, job.id, phase, rank)
      void (async () => {
        try {
          const runner = await ctx.runners.get(node)
          live.pgid = await startRemoteRank(runner, paths, { ...env, ...wrapperEnv(w) })
          ctx.changed()
          await watchRemoteRank(ctx, job.id, node, live)
        } catch (e) {
          if (live.code === undefined && !ctx.signal.aborted) {
            note(L, job.id, `${w.prefix.replace('{pid}', '-')}failed to start on ${node.ssh?.host ?? node.ip}: ${(e as Error).message}`)
            live.code = 255
          }
        }
        ctx.changed()
      })()
    }
    return live
  })
}

/** Copy a remote rank's log into run.log until it ends, then fetch its exit code. */
export async function watchRemoteRank(ctx: LaunchContext, jobId: number, node: NodeSpec, live: LiveRank): Promise<void> {
  const runner = await ctx.runners.get(node)
  const paths = remoteRankPaths(node, jobId, live.phase, live.rank)
  const runLog = ctx.L.runLog(jobId)
  for (let failures = 0; !ctx.signal.aborted; ) {
    try {
      await followRemoteLog(
        runner,
        paths,
        live.pgid,
        live.offset ?? 0,
        (chunk) => {
          live.offset = (live.offset ?? 0) + Buffer.byteLength(chunk)
          appendFileSync(runLog, chunk)
        },
        ctx.signal,
      )
      break
    } catch (e) {
      if (ctx.signal.aborted) return
      if (++failures > 30) throw e
      await Bun.sleep(1000)
      if (!(await remoteGroupAlive(runner, live.pgid).catch(() => true))) failures = Math.max(failures, 29)
    }
  }
  if (ctx.signal.aborted) return
  live.code = await remoteExitCode(runner, paths)
}

/** For ranks adopted after a daemon restart (not our children): did it end, and how? */
export function pollAdoptedLocal(live: LiveRank): void {
  if (live.code !== undefined || live.child || live.remote || !(live.pgid > 0)) return
  const code = readExitFile(live.exitPath)
  if (code !== null) {
    live.code = code
    return
  }
  if (!groupAlive(live.pgid)) live.code = readExitFile(live.exitPath)
}

export function toProc(r: LiveRank): RankProc {
  const p: RankProc = { rank: r.rank, node: r.node, phase: r.phase, pgid: r.pgid, remote: r.remote }
  if (r.remote) p.offset = r.offset ?? 0
  return p
}
