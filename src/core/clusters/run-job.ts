// Submit a task to a cluster's agent and, unless detached, stream its log into the request log
// with SkyPilot's messages, ending with the job's status and the "Useful Commands" block.
import type { JobInfo, SubmitSpec } from '../agent/types'
import { provisionerFor } from './provisioners'
import type { ClusterHandle } from '../provision/legacy'
import type { Store } from '../state/store'
import type { Resources, Task } from '../task/types'
import { AgentClient } from './agent-client'
import { jobDemand } from './demand'
import type { Actor } from './record'
import { ValidationError } from '../errors'
import { unresolvedSecretRefs } from '../task/overrides'

export interface JobOutcome {
  job_id: number
  job_status: string | null
  /** The job's own exit code when it finished. */
  exit_code: number | null
}

export interface RunCtx {
  store: Store
  actor: Actor
  signal: AbortSignal
  log: (line: string) => void
  write: (text: string) => void
}

/**
 * SkyPilot's closing hints. `ssh <cluster>` is offered only where it resolves: clusters on SSH
 * machines get an ssh config entry; local clusters are directories on the API server's machine.
 */
export function usefulCommands(cluster: string, jobId: number, cloud: string): string {
  return [
    '📋 Useful Commands',
    `Job ID: ${jobId}`,
    `├── To cancel the job:          sky cancel ${cluster} ${jobId}`,
    `├── To stream job logs:         sky logs ${cluster} ${jobId}`,
    `└── To view job queue:          sky queue ${cluster}`,
    `Cluster name: ${cluster}`,
    ...(cloud === 'ssh' ? [`├── To log into the head VM:    ssh ${cluster}`] : []),
    `├── To submit a job:            sky exec ${cluster} yaml_file`,
    `├── To stop the cluster:        sky stop ${cluster}`,
    `└── To teardown the cluster:    sky down ${cluster}`,
  ].join('\n')
}

/** A secret the task names but nobody supplied must not turn into an unset variable. */
export function checkSecretsSupplied(task: Task): void {
  const missing = unresolvedSecretRefs(task)
  if (!missing.length) return
  throw new ValidationError(missing.map((n) => ({ path: `secrets:${n}`, message: `has no value (this build has no secret store); set it with --secret ${n}=VALUE` })))
}

export async function runJob(
  ctx: RunCtx,
  cluster: string,
  handle: ClusterHandle,
  task: Task,
  request: Resources | undefined,
  o: { setup: boolean; detach: boolean },
): Promise<JobOutcome> {
  checkSecretsSupplied(task)
  const p = await provisionerFor(handle.cloud)
  const runner = p.runner(handle, 0)
  const agent = new AgentClient(runner, handle)
  try {
    const envs = Object.fromEntries(Object.entries(task.envs).filter(([, v]) => v !== null)) as Record<string, string>
    const secrets = Object.fromEntries(Object.entries(task.secrets).filter(([, v]) => v !== null)) as Record<string, string>
    const spec: SubmitSpec = {
      name: task.name ?? null,
      user: ctx.actor.name,
      userHash: ctx.actor.id,
      numNodes: task.numNodes,
      demand: jobDemand(request),
      setup: o.setup ? (task.setup ?? null) : null,
      run: task.run ?? null,
      envs,
      secrets,
      // Relative to each node's home (the agent resolves it per node).
      workdir: task.workdir ? 'sky_workdir' : null,
      priority: request?.priority ?? 0,
      taskId: null,
    }
    const { jobId } = await agent.call<{ jobId: number }>('submit', [], spec, ctx.signal)
    await ctx.store.clusters.touch(cluster)
    ctx.log(`⚙︎ Job submitted, ID: ${jobId}`)
    if (o.detach) {
      ctx.log(usefulCommands(cluster, jobId, handle.cloud))
      return { job_id: jobId, job_status: 'PENDING', exit_code: null }
    }
    ctx.log(`├── Waiting for task resources on ${task.numNodes} node${task.numNodes === 1 ? '' : 's'}.`)
    ctx.log('└── Job started. Streaming logs... (Ctrl-C to exit log streaming; job will not be killed)')
    await agent.logs({ job: jobId, follow: true, onChunk: ctx.write, signal: ctx.signal })
    const [info] = (await agent.call<JobInfo[]>('queue', ['--all-users'])).filter((j) => j.id === jobId)
    const status = info?.status ?? null
    ctx.log(`${status === 'SUCCEEDED' ? '✓' : '✗'} Job finished (status: ${status ?? 'UNKNOWN'}).`)
    ctx.log('')
    ctx.log(usefulCommands(cluster, jobId, handle.cloud))
    return { job_id: jobId, job_status: status, exit_code: info?.exitCode ?? null }
  } finally {
    await runner.close()
  }
}
