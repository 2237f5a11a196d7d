// Killing everything a job started, on every node: local ranks by process group plus the job
// tag (catches processes that left the group), ssh worker ranks over their runner.
import { killTree } from './proc'
import { killRemote, type RunnerPool } from './remote'
import type { ClusterSpec, RankProc } from './types'
import { logger } from '../log'

/** Tag put in the environment of every process of job `id` under agent root `root`. */
export function jobTag(root: string, id: number): string {
  return `${Bun.hash(root).toString(36)}-${id}`
}

/**
 * Kill what job `id` still runs. `scanTag` (default) also hunts processes that left their group
 * by the job tag, which reads every process environment under /proc: skip it on the hot path.
 */
export async function killJobProcs(runners: RunnerPool, spec: ClusterSpec | null, root: string, id: number, procs: RankProc[], graceMs = 3000, scanTag = true): Promise<void> {
  const tag = jobTag(root, id)
  const local = procs.filter((p) => !p.remote).map((p) => p.pgid)
  const remote = new Map<number, number[]>()
  for (const p of procs.filter((x) => x.remote)) remote.set(p.node, [...(remote.get(p.node) ?? []), p.pgid])
  const tasks: Promise<unknown>[] = [killTree(local, scanTag ? tag : null, graceMs)]
  for (const [nodeRank, pgids] of remote) {
    const node = spec?.nodes[nodeRank]
    if (!node) continue
    tasks.push(
      runners
        .get(node)
        .then((r) => killRemote(r, pgids, tag, Math.ceil(graceMs / 1000)))
        .catch((e) => logger('agent').error(`could not kill job ${id} on node ${nodeRank}:`, e)),
    )
  }
  await Promise.all(tasks)
}
