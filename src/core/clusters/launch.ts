// `sky launch`: reuse, restart or create the cluster (optimizer + failover), install the agent,
// sync files, set autostop, submit the task as a job and stream it.
import { ConflictError, ResourcesUnavailableError, toSkyError, ValidationError } from '../errors'
import { optimize, renderPlan, nextCandidate, type BlockedResource, type Candidate, type Plan } from '../optimizer'
import { checkClusterCanRun, featureFilter } from '../infra/features'
import { infraDisplayName } from '../infra/types'
import type { ClusterHandle } from '../provision/legacy'
import type { Store } from '../state/store'
import { parseDag } from '../task/dag-parse'
import type { Resources, Task } from '../task/types'
import { AgentClient } from './agent-client'
import { capacityNeeded, misfit, onCluster } from './demand'
import { optimizerContext } from './enabled'
import { hasProvisioner, provisionerFor } from './provisioners'
import { checkOwner, handleOf, newRecord, type Actor } from './record'
import { checkSecretsSupplied, runJob, type JobOutcome, type RunCtx } from './run-job'
import { syncFiles } from './sync'
import { setAutostop } from './lifecycle'
import { writeSshConfig } from './ssh-config'
import { taskHooks } from './hooks'

export interface LaunchBody {
  task: string
  cluster_name: string
  retry_until_up?: boolean
  idle_minutes_to_autostop?: number | null
  autostop_down?: boolean
  down?: boolean
  no_setup?: boolean
  detach_run?: boolean
  /** Autostop activity rule: jobs_and_ssh, jobs or none (`--wait-for`). */
  wait_for?: string
  /** The client already printed the optimizer's plan (before its confirmation prompt). */
  quiet_optimizer?: boolean
  command?: string
}

/** What launch needs from its caller: the store, who acts, cancellation and the request log. */
export type LaunchContext = RunCtx

export interface LaunchResult extends Partial<Omit<JobOutcome, 'job_id'>> {
  cluster_name: string
  job_id: number | null
}

export function singleTask(yaml: string, what: string): Task {
  const dag = parseDag(yaml)
  if (dag.tasks.length !== 1) {
    throw new ValidationError([{ path: 'task', message: `${what} runs one task, and this YAML has ${dag.tasks.length}; use sky jobs launch for pipelines` }])
  }
  return dag.tasks[0]!
}

/** The optimizer's plan for a task (used by `--dryrun`, the confirmation prompt and launch). */
export async function planFor(store: Store, task: Task, blocked: BlockedResource[] = []): Promise<Plan> {
  const ctx = await optimizerContext(store)
  return optimize({ spec: task.resources, numNodes: task.numNodes, enabled: ctx.enabled, liveNodes: ctx.liveNodes, blocked, unsupported: featureFilter(task) })
}

function chosenResources(task: Task, c: Candidate | undefined): Resources | undefined {
  return c ? c.request : task.resources.candidates[0]
}

async function provisionNew(ctx: LaunchContext, body: LaunchBody, task: Task): Promise<{ handle: ClusterHandle; request: Resources | undefined }> {
  const blocked: BlockedResource[] = []
  let plan = await planFor(ctx.store, task)
  if (!body.quiet_optimizer) {
    ctx.log(renderPlan(plan))
    ctx.log('')
  }
  let candidate: Candidate | undefined = plan.chosen
  const failures: string[] = []
  const unsupported: BlockedResource[] = []
  const next = (): Candidate | undefined => {
    try {
      return nextCandidate(plan, blocked)
    } catch {
      return undefined
    }
  }
  for (;;) {
    if (ctx.signal.aborted) throw toSkyError(Object.assign(new Error('aborted'), { name: 'AbortError' }))
    if (!candidate) {
      if (body.retry_until_up) {
        ctx.log('↺ No candidate is available; retrying in 10 s (--retry-until-up).')
        await Bun.sleep(10_000)
        blocked.splice(0, blocked.length, ...unsupported)
        plan = await planFor(ctx.store, task, unsupported)
        candidate = plan.chosen
        continue
      }
      throw new ResourcesUnavailableError(`Failed to launch cluster '${body.cluster_name}' on every candidate:\n${failures.map((f) => `  - ${f}`).join('\n')}`, {
        hint: 'Try other resources or infra (sky gpus list, sky check), or add --retry-until-up.',
      })
    }
    if (!hasProvisioner(candidate.infra)) {
      // Planned (the optimizer knows its catalog) but not launchable here: skip the whole infra
      // at once rather than failing region by region, and never retry it.
      const name = infraDisplayName(candidate.infra)
      failures.push(`${name}: launching on ${name} is not supported by this build of sky yet`)
      ctx.log(`↺ Skipping ${name}: launching there is not supported by this build of sky yet.`)
      unsupported.push({ infra: candidate.infra })
      blocked.push({ infra: candidate.infra })
      candidate = next()
      continue
    }
    const where = candidate.infra === 'local' ? 'Local' : `${infraDisplayName(candidate.infra)} (${candidate.region})`
    ctx.log(`⚙︎ Launching on ${where}.`)
    try {
      const p = await provisionerFor(candidate.infra)
      const request = chosenResources(task, candidate)
      const handle = await p.provision({
        clusterName: body.cluster_name,
        numNodes: task.numNodes,
        region: candidate.region,
        zone: candidate.zones[0] ?? null,
        capacityNeeded: capacityNeeded(request),
        nodeNames: candidate.nodes,
        signal: ctx.signal,
        log: ctx.log,
      })
      return { handle, request }
    } catch (e) {
      const err = toSkyError(e)
      if (err.code === 'CANCELLED') throw err
      failures.push(`${where}: ${err.message}`)
      ctx.log(`↺ ${where} failed: ${err.message}`)
      blocked.push({ infra: candidate.infra, region: candidate.region })
      candidate = next()
    }
  }
}

/** Make sure the agent on the head runs with this cluster's description. */
export async function installAgent(name: string, handle: ClusterHandle, signal: AbortSignal): Promise<void> {
  const p = await provisionerFor(handle.cloud)
  const runner = p.runner(handle, 0)
  try {
    await new AgentClient(runner, handle).call('init', [], p.clusterSpec(name, handle), signal)
  } finally {
    await runner.close()
  }
}

export async function launch(ctx: LaunchContext, body: LaunchBody): Promise<LaunchResult> {
  const task = singleTask(body.task, 'sky launch')
  if (task.run || task.setup) checkSecretsSupplied(task)
  const name = body.cluster_name
  const existing = await ctx.store.clusters.get(name)
  let handle: ClusterHandle
  let request: Resources | undefined = task.resources.candidates[0]
  if (existing && existing.handle) {
    checkOwner(existing, ctx.actor)
    handle = handleOf(existing)
    checkClusterCanRun(task, request, handle.cloud, name, { fileMounts: true })
    request = onCluster(request, handle.capacity)
    const why = misfit(task, request, handle.capacity, existing.numNodes)
    if (why) {
      throw new ConflictError(`The task does not fit cluster '${name}': ${why}.`, {
        hint: `Launch it on a new cluster: sky launch -c <new-name> ...  (or take this one down: sky down ${name})`,
      })
    }
    if (existing.status !== 'UP') {
      ctx.log(`⚙︎ ${existing.status === 'STOPPED' ? 'Restarting' : 'Resuming'} cluster '${name}'.`)
      const p = await provisionerFor(handle.cloud)
      handle = await p.provision({
        clusterName: name,
        numNodes: existing.numNodes,
        region: handle.region,
        zone: handle.zone,
        capacityNeeded: capacityNeeded(request),
        existing: handle,
        signal: ctx.signal,
        log: ctx.log,
      })
    } else ctx.log(`Running on cluster: ${name}`)
  } else {
    if (existing) checkOwner(existing, ctx.actor)
    const made = await provisionNew(ctx, body, task)
    handle = made.handle
    request = made.request
  }
  const base = existing?.handle ? { ...existing, handle: handle as unknown as Record<string, unknown> } : newRecord(name, ctx.actor, handle, task.numNodes, body.command ?? null)
  // Ports the cluster exposes (`sky status --endpoints`): every launch on it adds its task's ports.
  const known = (base.resources.ports as string[] | undefined) ?? []
  const ports = [...new Set([...known, ...(request?.ports ?? [])])]
  // Lifecycle hooks of this task replace the cluster's (run before stop/down, and by autostop).
  const hooks = taskHooks(task, request)
  const rec = { ...base, resources: { ...base.resources, ...(ports.length ? { ports } : {}), ...(hooks.length ? { hooks } : {}) } }
  if (existing?.handle && existing.status === 'UP' && (ports.length !== known.length || hooks.length)) await ctx.store.clusters.upsert(rec)
  if (!existing?.handle || existing.status !== 'UP') {
    await ctx.store.clusters.upsert({ ...rec, status: 'INIT' })
    await installAgent(name, handle, ctx.signal)
    await ctx.store.clusters.upsert({ ...rec, status: 'UP', statusUpdatedAt: Date.now(), lastUse: Date.now() })
    writeSshConfig(name, handle)
    if (!existing || existing.status !== 'UP') ctx.log(`✓ Cluster launched: ${name}.`)
  }
  const p = await provisionerFor(handle.cloud)
  await syncFiles(p, handle, task, ctx.log, { fileMounts: true })

  const auto = body.idle_minutes_to_autostop ?? (request?.autostop?.enabled ? request.autostop.idleMinutes : null)
  const autoDown = body.down || !!body.autostop_down || !!request?.autostop?.down
  const waitFor = body.wait_for ?? request?.autostop?.waitFor
  if (auto !== null && auto !== undefined) await setAutostop(ctx.store, name, ctx.actor, auto, autoDown, ctx.signal, waitFor)
  else if (body.down) await setAutostop(ctx.store, name, ctx.actor, 0, true, ctx.signal, waitFor)

  if (!task.run && (!task.setup || body.no_setup)) return { cluster_name: name, job_id: null }
  const outcome = await runJob(
    { store: ctx.store, actor: ctx.actor, signal: ctx.signal, log: ctx.log, write: ctx.write },
    name,
    handle,
    task,
    request,
    { setup: !body.no_setup, detach: !!body.detach_run },
  )
  return { cluster_name: name, ...outcome }
}
