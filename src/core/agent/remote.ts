// Ranks on ssh worker nodes, reached through a CommandRunner: start a detached wrapper there,
// copy its log into the head's run.log, read its exit code, and kill its process group. Files
// live in the worker's runtime dir (`<home>/.sky-runtime` unless cluster.json says otherwise).
import type { CommandRunner } from '../runner/types'
import type { NodeSpec } from './types'
import { remoteWrapperScript, shQuote } from './wrapper'

/** How a runner for an ssh worker is made (default: SSH from cluster.json; tests pass local ones). */
export type RunnerFactory = (node: NodeSpec) => Promise<CommandRunner>

export async function sshRunnerFor(node: NodeSpec): Promise<CommandRunner> {
  if (!node.ssh) throw new Error(`node ${node.rank} has no ssh target in cluster.json`)
  const { SshRunner } = await import('../runner/ssh')
  const { host, port, user, keyPath, passwordPath, knownHosts } = node.ssh
  // The worker's host key was recorded by the API server and handed to the head: verified only.
  const trust = knownHosts ? { knownHosts, tofu: false } : {}
  if (!keyPath && passwordPath) {
    const { readFileSync } = await import('node:fs')
    return new SshRunner({ host, port, user, password: readFileSync(passwordPath, 'utf8'), ...trust })
  }
  return new SshRunner({ host, port, user, ...(keyPath ? { identityFile: keyPath } : {}), ...trust })
}

/** Runners for ssh workers, one per host, reused until closed. Owned by a daemon or a command. */
export class RunnerPool {
  private cache = new Map<string, Promise<CommandRunner>>()

  constructor(private make: RunnerFactory = sshRunnerFor) {}

  get(node: NodeSpec): Promise<CommandRunner> {
    const key = node.ssh ? `${node.ssh.user}@${node.ssh.host}:${node.ssh.port}` : `rank${node.rank}`
    let r = this.cache.get(key)
    if (!r) {
      r = this.make(node)
      r.catch(() => this.cache.delete(key))
      this.cache.set(key, r)
    }
    return r
  }

  async close(): Promise<void> {
    const all = [...this.cache.values()]
    this.cache.clear()
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close().catch(() => {})))
  }
}

export function remoteRuntimeDir(node: NodeSpec): string {
  return node.runtimeDir ?? `${node.home.replace(/\/+$/, '')}/.sky-runtime`
}

export interface RemoteRankPaths {
  dir: string
  log: string
  exit: string
  pid: string
  script: string
}

export function remoteRankPaths(node: NodeSpec, jobId: number, phase: string, rank: number): RemoteRankPaths {
  const dir = `${remoteRuntimeDir(node)}/logs/${jobId}`
  const base = `${dir}/${phase}-${rank}`
  return { dir, log: `${base}.log`, exit: `${base}.exit`, pid: `${base}.pid`, script: `${base}.sh` }
}

/** Start the wrapper detached on the worker; resolves to its process group id. */
export async function startRemoteRank(runner: CommandRunner, paths: RemoteRankPaths, env: Record<string, string>): Promise<number> {
  const q = shQuote
  const cmd = [
    `mkdir -p ${q(paths.dir)}`,
    `umask 077`,
    `rm -f ${q(paths.pid)} ${q(paths.exit)}`,
    `cat > ${q(paths.script)}`,
    `(setsid bash ${q(paths.script)} > /dev/null 2>&1 < /dev/null &)`,
    `for i in $(seq 1 200); do [ -s ${q(paths.pid)} ] && break; sleep 0.05; done`,
    `cat ${q(paths.pid)}`,
  ].join(' && ')
  const res = await runner.run(cmd, { stdin: remoteWrapperScript({ ...env, SKY_AGENT_PIDFILE: paths.pid, SKY_AGENT_LOG: paths.log, SKY_AGENT_EXIT: paths.exit }) })
  const pgid = Number(res.stdout.trim().split('\n').pop())
  if (res.code !== 0 || !(pgid > 0)) throw new Error(`could not start the job on ${runner.label}: ${res.stderr.trim() || `exit ${res.code}`}`)
  return pgid
}

/** Shell: `galive G` succeeds while a live (non-zombie) process is in group G. */
const GROUP_ALIVE_SH = `galive() {
  __g=$1
  if [ -d /proc/self ]; then
    for __f in /proc/[0-9]*/stat; do
      read -r __l 2>/dev/null < "$__f" || continue
      set -- \${__l##*") "}
      [ "$3" = "$__g" ] && [ "$1" != Z ] && return 0
    done
    return 1
  fi
  kill -0 -- -$__g 2>/dev/null
}`

/**
 * Copy the worker's rank log from byte `offset` until the rank ends: its exit file appears, or
 * its wrapper (the group leader) is gone or a zombie. `tail --pid` is not used because it counts
 * zombies as alive, and on nodes whose init reaps slowly (or never) it would follow forever.
 */
export async function followRemoteLog(
  runner: CommandRunner,
  paths: RemoteRankPaths,
  pgid: number,
  offset: number,
  onData: (chunk: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const script = `f=${shQuote(paths.log)}; x=${shQuote(paths.exit)}; g=${pgid}; off=${offset}
leader() {
  if [ -d /proc/self ]; then
    read -r __l 2>/dev/null < /proc/$g/stat || return 1
    set -- \${__l##*") "}
    [ "$1" != Z ]
  else
    kill -0 $g 2>/dev/null
  fi
}
size() { stat -c %s "$f" 2>/dev/null || wc -c < "$f" 2>/dev/null || echo 0; }
while :; do
  done=0
  if [ -e "$x" ] || ! leader; then done=1; fi
  n=$(size)
  if [ "$n" -gt "$off" ]; then tail -c +$((off + 1)) "$f" | head -c $((n - off)); off=$n; fi
  [ $done = 1 ] && break
  sleep 0.1
done`
  const res = await runner.run(script, { signal, onStdout: onData, onStderr: () => {} })
  if (res.code !== 0 && !signal?.aborted) throw new Error(`log copy on ${runner.label} exited ${res.code}`)
}

/** The rank's recorded exit code; null when it ended without one (killed) or is still running. */
export async function remoteExitCode(runner: CommandRunner, paths: RemoteRankPaths): Promise<number | null> {
  const res = await runner.run(`cat ${shQuote(paths.exit)} 2>/dev/null || true`)
  const text = res.stdout.trim()
  return text === '' ? null : Number(text)
}

export async function remoteGroupAlive(runner: CommandRunner, pgid: number): Promise<boolean> {
  const res = await runner.run(`${GROUP_ALIVE_SH}\ngalive ${pgid} && echo alive || echo gone`)
  return res.stdout.includes('alive')
}

/** TERM then KILL the groups and every process tagged with the job on the worker. */
export async function killRemote(runner: CommandRunner, pgids: number[], tag: string, graceSeconds = 3): Promise<void> {
  const groups = pgids.filter((g) => g > 0).join(' ')
  const script = `${GROUP_ALIVE_SH}
pg=${shQuote(groups)}; tag=${shQuote(tag)}
tagged() { grep -slzx "SKY_AGENT_JOB_TAG=$tag" /proc/[0-9]*/environ 2>/dev/null | sed 's#^/proc/\\([0-9]*\\)/environ$#\\1#'; }
sig() { for g in $pg; do kill -$1 -- -$g 2>/dev/null; done; for p in $(tagged); do kill -$1 $p 2>/dev/null; done; }
alive() { for g in $pg; do galive $g && return 0; done; [ -n "$(tagged)" ]; }
sig TERM
i=0; while alive && [ $i -lt ${graceSeconds * 20} ]; do sleep 0.05; i=$((i+1)); done
alive && sig KILL
true`
  await runner.run(script)
}
