// ensureCluster: make cluster `name` exist and be UP for a task, idempotently, under the
// cluster's lock. An UP cluster that fits is reused; a STOPPED one is started with exactly its
// launched resources; an INIT one left by a crashed launch is resumed; otherwise the optimizer's
// candidates are tried with failover by the cause of each failure:
//   capacity → the next zone of the region (a live-infra node: plan around that node),
//   quota → the next region, auth / config / unsupported → the next infra, fatal → stop.
// Every zone of a region is tried before the next region. Before each attempt the row (INIT +
// launched resources) is written; after a failed attempt its leftovers are terminated by tag.
import { CancelledError, ConflictError, ResourcesUnavailableError, toSkyError } from '../errors'
import { blockFor, renderPlan, type BlockedResource, type Candidate } from '../optimizer'
import { failureOf, type ProvisionFailureInfo } from '../provision/errors'
import { hasProvisioner } from '../provision/registry'
import { checkClusterCanRun } from '../infra/features'
import { pause } from '../pause'
import { infraDisplayName, infraLabel } from '../infra/types'
import type { ClusterRecord } from '../state/clusters'
import type { Resources, Task } from '../task/types'
import { bringUp, cleanupAttempt } from './bringup'
import type { OpsContext } from './context'
import { misfit, onCluster } from './demand'
import { withClusterLock } from './lock'
import { launchedFrom, planFor } from './plan'
import { checkOwner, handleOf, intentRecord, launchedOf } from './record'

export interface EnsureRequest {
  name: string
  task: Task
  /** Keep trying (with backoff) when every candidate failed, until cancelled. */
  retryUntilUp?: boolean
  /** In: resources not to try (e.g. where a managed job was preempted). Out: grown by every failure. */
  blocked?: BlockedResource[]
  /** Shown in `sky status -v`. */
  command?: string | null
  /** Lock purpose shown to waiters. */
  purpose?: string
  /** Backoff for retryUntilUp (default 30 s, doubling to 5 min). */
  retryBackoffMs?: number
  /** The caller already showed the optimizer's plan (the CLI, before its confirmation prompt). */
  quietPlan?: boolean
  /** Checks that depend on where the cluster is (e.g. file destinations), before it is made or used. */
  checkInfra?: (infra: string) => Promise<void>
}

export interface EnsureResult {
  cluster: ClusterRecord
  /** The resources of the request as they apply to this cluster (what jobs are scheduled with). */
  request: Resources | undefined
  /** Whether this call created (or re-created) it, started it, or found it up. */
  outcome: 'created' | 'started' | 'resumed' | 'existing'
  blocked: BlockedResource[]
}


function where(c: { infra: string; region: string }, zone: string | null): string {
  return infraLabel(c.infra, c.region, zone)
}

/** The block entry a failure earns, for a candidate tried in `zone`. */
export function blockOf(f: ProvisionFailureInfo, c: Candidate, zone: string | null): BlockedResource {
  if (f.node) return { infra: c.infra, region: c.region, node: f.node }
  if (f.scope === 'infra') return blockFor(c, 'infra')
  if (f.scope === 'zone' && zone) return blockFor(c, 'zone', zone)
  return blockFor(c, 'region')
}

export async function ensureCluster(ctx: OpsContext, req: EnsureRequest): Promise<EnsureResult> {
  const blocked = req.blocked ?? []
  const out = await withClusterLock(ctx.store, req.name, { owner: ctx.owner, purpose: req.purpose ?? 'launch', signal: ctx.signal, log: ctx.log }, async () => {
    const existing = await ctx.store.clusters.get(req.name)
    if (existing) checkOwner(existing, ctx.actor)
    if (existing && (existing.status !== 'INIT' || existing.statusReason !== 'provisioning')) return useExisting(ctx, existing, req)
    if (existing && existing.launched) {
      // A launch that died mid-way (server crash, replica lost): resume what it started.
      ctx.log(`⚙︎ Resuming the launch of cluster '${req.name}' on ${where(existing.launched, existing.launched.zone)}.`)
      try {
        const up = await bringUp(ctx, existing, { resume: !!existing.handle })
        return { cluster: up, request: onCluster(req.task.resources.candidates[0], handleOf(up).capacity), outcome: 'resumed' as const, blocked }
      } catch (e) {
        const f = failureOf(e)
        if (!f || f.scope === 'stop') throw e
        ctx.log(`↺ Resuming failed: ${toSkyError(e).message}`)
        if (!(await cleanupAttempt(ctx, existing))) throw e
        const l = existing.launched
        const c = { infra: l.infra, region: l.region, zones: l.zone ? [l.zone] : [], instanceType: l.instanceType ?? '', useSpot: l.useSpot } as Candidate
        blocked.push(blockOf(f, c, l.zone))
      }
    }
    return provisionNew(ctx, req, blocked, existing)
  })
  return out!
}

async function useExisting(ctx: OpsContext, c: ClusterRecord, req: EnsureRequest): Promise<EnsureResult> {
  const blocked = req.blocked ?? []
  if (!c.handle && c.status !== 'INIT') throw new ConflictError(`Cluster '${c.name}' has no handle; take it down: sky down ${c.name}`)
  const cap = c.handle ? handleOf(c).capacity : { cpus: launchedOf(c).cpus, memoryGb: launchedOf(c).memoryGb, gpus: launchedOf(c).accelerators }
  checkClusterCanRun(req.task, req.task.resources.candidates[0], launchedOf(c).infra, c.name, { fileMounts: true })
  await req.checkInfra?.(launchedOf(c).infra)
  const request = onCluster(req.task.resources.candidates[0], cap)
  const why = misfit(req.task, request, cap, c.numNodes)
  if (why) {
    throw new ConflictError(`The task does not fit cluster '${c.name}': ${why}.`, {
      hint: `Launch it on a new cluster: sky launch -c <new-name> ...  (or take this one down: sky down ${c.name})`,
    })
  }
  if (c.status === 'UP') {
    ctx.log(`Running on cluster: ${c.name}`)
    return { cluster: c, request, outcome: 'existing', blocked }
  }
  // STOPPED, or INIT after a failed health check / start: the same resources again, no failover.
  ctx.log(`⚙︎ ${c.status === 'STOPPED' ? 'Restarting' : 'Resuming'} cluster '${c.name}'.`)
  const up = await startRecord(ctx, c)
  return { cluster: up, request, outcome: 'started', blocked }
}

/** Start a STOPPED (or repair an INIT) cluster with exactly its launched resources. */
export async function startRecord(ctx: OpsContext, c: ClusterRecord): Promise<ClusterRecord> {
  const before = c.status
  const init: ClusterRecord = { ...c, status: 'INIT', statusReason: before === 'STOPPED' ? 'starting' : (c.statusReason ?? 'repairing'), statusUpdatedAt: Date.now() }
  await ctx.store.clusters.upsert(init)
  try {
    return await bringUp(ctx, init, { resume: true })
  } catch (e) {
    // Nothing was started (e.g. the machine is full): the cluster is still what it was.
    if (before === 'STOPPED') await ctx.store.clusters.setStatus(c.name, 'STOPPED', `start failed: ${toSkyError(e).message}`)
    throw e
  }
}

async function provisionNew(ctx: OpsContext, req: EnsureRequest, blocked: BlockedResource[], prev: ClusterRecord | undefined): Promise<EnsureResult> {
  const failures: string[] = []
  /** Infra-wide blocks (credentials, unsupported) survive --retry-until-up rounds. */
  const lasting: BlockedResource[] = blocked.filter((b) => b.region === undefined)
  let shown = false
  let backoff = req.retryBackoffMs ?? 30_000
  let last: ClusterRecord | undefined = prev
  for (;;) {
    if (ctx.signal.aborted) throw new CancelledError('Request was cancelled.')
    let plan
    try {
      plan = await planFor(ctx.store, req.task, blocked)
    } catch (e) {
      const err = toSkyError(e)
      if (err.code !== 'RESOURCES_UNAVAILABLE') throw e
      // Every attempt so far was cleaned up: no row stays behind for nothing.
      if (last) await ctx.store.clusters.delete(req.name)
      last = undefined
      if (!req.retryUntilUp) {
        if (!failures.length) throw e
        throw new ResourcesUnavailableError(`Failed to launch cluster '${req.name}' on every candidate:\n${failures.map((f) => `  - ${f}`).join('\n')}`, {
          hint: 'Try other resources or infra (sky gpus list, sky check), or add --retry-until-up.',
          details: { blocked: [...blocked] },
        })
      }
      ctx.log(`↺ Nothing is available now; retrying in ${Math.round(backoff / 1000)} s (--retry-until-up).`)
      await pause(backoff, ctx.signal)
      backoff = Math.min(backoff * 2, 300_000)
      blocked.splice(0, blocked.length, ...lasting)
      continue
    }
    if (!shown && !req.quietPlan) {
      ctx.log(renderPlan(plan))
      ctx.log('')
    }
    shown = true
    const c = plan.chosen
    if (!hasProvisioner(c.infra)) {
      const name = infraDisplayName(c.infra)
      failures.push(`${name}: launching on ${name} is not supported by this build of sky`)
      ctx.log(`↺ Skipping ${name}: launching there is not supported by this build of sky.`)
      blocked.push({ infra: c.infra })
      lasting.push({ infra: c.infra })
      continue
    }
    await req.checkInfra?.(c.infra)
    // Every zone of this region, in order, before the optimizer moves on.
    const zones: (string | null)[] = c.zones.length ? c.zones : [null]
    for (const zone of zones) {
      const launched = launchedFrom(c, req.task.numNodes, zone, req.task.config)
      const here = where(c, zone)
      ctx.log(`⚙︎ Launching on ${here}.`)
      const rec = intentRecord(req.name, ctx.actor, launched, req.command ?? null, last)
      await ctx.store.clusters.upsert(rec)
      last = rec
      try {
        const up = await bringUp(ctx, rec, { resume: false })
        ctx.log(`✓ Cluster launched: ${req.name}.`)
        return { cluster: up, request: onCluster(c.request, handleOf(up).capacity), outcome: 'created', blocked }
      } catch (e) {
        const f = failureOf(e)
        const cleaned = await cleanupAttempt(ctx, rec)
        if (!f) {
          // Cancelled: leave nothing behind (unless cleanup failed: the row says what may exist).
          if (cleaned) await ctx.store.clusters.delete(req.name)
          throw e
        }
        const msg = toSkyError(e).message
        failures.push(`${here}: ${msg}`)
        if (!cleaned) {
          await ctx.store.clusters.setStatus(req.name, 'INIT', `cleanup of a failed attempt failed; take it down: sky down ${req.name}`)
          throw e
        }
        if (f.scope === 'stop') {
          await ctx.store.clusters.delete(req.name)
          throw e
        }
        const b = blockOf(f, c, zone)
        blocked.push(b)
        if (b.region === undefined) lasting.push(b)
        ctx.log(`↺ ${here} failed (${f.kind}): ${msg}`)
        if (b.zone === undefined) break // region, infra or node: re-plan
      }
    }
  }
}
