// stop / start / down / autostop of a cluster, each under the cluster's lock and each idempotent:
// running it again after a crash converges on the same state. `down` kills and verifies every
// process (or instance) of the cluster before the record goes.
import { ConflictError, toSkyError } from '../errors'
import { descriptor, provisionerFor } from '../provision/registry'
import type { ClusterRecord } from '../state/clusters'
import { stopAllJobs, withAgent } from './agent'
import type { OpsContext } from './context'
import { startRecord } from './ensure'
import { withClusterLock } from './lock'
import { getOwnedCluster, handleOf, launchedOf, refOf } from './record'
import { removeSshConfig } from './ssh-config'
import { recordHooks, runHooks } from './hooks'

type Ctx = Pick<OpsContext, 'store' | 'actor' | 'owner' | 'log'> & { signal?: AbortSignal }

function locked<T>(ctx: Ctx, name: string, purpose: string, fn: () => Promise<T>): Promise<T> {
  return withClusterLock(ctx.store, name, { owner: ctx.owner, purpose, signal: ctx.signal, log: ctx.log }, fn) as Promise<T>
}

function capabilities(c: ClusterRecord) {
  return descriptor(launchedOf(c).infra)?.capabilities
}

export async function stopCluster(ctx: Ctx, name: string): Promise<void> {
  await locked(ctx, name, 'stop', async () => {
    const c = await getOwnedCluster(ctx.store, name, ctx.actor)
    if (c.status === 'STOPPED') {
      ctx.log(`Cluster '${name}' is already stopped.`)
      return
    }
    if (!capabilities(c)?.stop) {
      const shown = descriptor(launchedOf(c).infra)?.displayName ?? launchedOf(c).infra
      throw new ConflictError(`Cluster '${name}' runs on ${shown}, where clusters cannot be stopped, only taken down.`, { hint: `sky down ${name}` })
    }
    if (!c.handle) throw new ConflictError(`Cluster '${name}' was never fully launched; take it down instead: sky down ${name}`)
    // Checked before any job is touched: the cloud would refuse, after the jobs were gone.
    if (launchedOf(c).useSpot) throw new ConflictError(`Cluster '${name}' runs on spot instances, which cannot be stopped, only taken down.`, { hint: `sky down ${name}` })
    await runHooks(c, 'stop', ctx.log)
    await stopAllJobs(handleOf(c))
    const p = await provisionerFor(launchedOf(c).infra)
    await p.stop(refOf(c), { log: ctx.log })
    await ctx.store.clusters.setStatus(name, 'STOPPED')
    ctx.log(`✓ Cluster ${name} stopped.`)
  })
}

export interface StartOptions {
  /** Re-run runtime setup (reinstall the agent) even when the cluster is UP. */
  force?: boolean
  /** Keep retrying the restart (10 s apart) until it succeeds or the request is cancelled. */
  retryUntilUp?: boolean
}

export async function startCluster(ctx: OpsContext, name: string, o: StartOptions = {}): Promise<ClusterRecord> {
  return locked(ctx, name, 'start', async () => {
    const c = await getOwnedCluster(ctx.store, name, ctx.actor)
    if (c.status === 'UP' && !o.force) {
      ctx.log(`Cluster '${name}' is already up.`)
      return c
    }
    if (!c.handle && c.status !== 'INIT') throw new ConflictError(`Cluster '${name}' was never fully launched; launch it again: sky launch -c ${name}`)
    ctx.log(c.status === 'UP' ? `⚙︎ Re-running runtime setup on cluster '${name}' (--force).` : `⚙︎ Starting cluster '${name}'.`)
    let up: ClusterRecord
    for (;;) {
      try {
        up = await startRecord(ctx, c)
        break
      } catch (e) {
        if (!o.retryUntilUp || ctx.signal.aborted) throw e
        ctx.log(`↺ Starting '${name}' failed (${toSkyError(e).message}); retrying in 10 s (--retry-until-up).`)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 10_000)
          ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
        })
        if (ctx.signal.aborted) throw e
      }
    }
    if (c.autostopMinutes >= 0) await applyAutostop(ctx, up, c.autostopMinutes, c.autostopDown)
    ctx.log(`✓ Cluster ${name} ${c.status === 'UP' ? 'runtime set up again' : 'started'}.`)
    return up
  })
}

/**
 * Take the cluster down: stop its jobs, close its ports, terminate (the provisioner verifies that
 * nothing is left), then delete the record. If teardown fails the record stays (run it again), or
 * with `purge` goes anyway.
 */
export async function downCluster(ctx: Ctx, name: string, o: { purge?: boolean } = {}): Promise<void> {
  await locked(ctx, name, 'down', async () => {
    const c = await getOwnedCluster(ctx.store, name, ctx.actor)
    try {
      if (c.handle && c.status === 'UP') await runHooks(c, 'down', ctx.log)
      if (c.handle) await stopAllJobs(handleOf(c))
      const p = await provisionerFor(launchedOf(c).infra)
      const ref = refOf(c)
      if (ref.resources.ports.length && p.capabilities.ports) await p.cleanupPorts(ref, { log: ctx.log })
      await p.terminate(ref, { log: ctx.log })
    } catch (e) {
      if (!o.purge) throw e
      ctx.log(`Teardown failed (${toSkyError(e).message}); removing the record anyway (--purge).`)
    }
    await ctx.store.clusters.delete(name)
    removeSshConfig(name)
    ctx.log(`✓ Cluster ${name} terminated.`)
  })
}

/**
 * Set (minutes >= 0) or cancel (< 0) autostop on the cluster's agent. `waitFor` is kept on the
 * record (a restart sets it again); the record's lifecycle hooks go along, for the agent to run
 * before it stops or tears down the cluster.
 */
async function applyAutostop(ctx: Ctx, c: ClusterRecord, minutes: number, down: boolean, waitFor?: string): Promise<void> {
  if (minutes >= 0 && !down && !capabilities(c)?.stop) {
    const shown = descriptor(launchedOf(c).infra)?.displayName ?? launchedOf(c).infra
    throw new ConflictError(`Clusters on ${shown} cannot be stopped; autostop there needs --down.`, { hint: `sky autostop ${c.name} -i ${minutes} --down` })
  }
  if (minutes >= 0 && !down && launchedOf(c).useSpot) {
    throw new ConflictError(`Cluster '${c.name}' runs on spot instances, which cannot be stopped; autostop there needs --down.`, { hint: `sky autostop ${c.name} -i ${minutes} --down` })
  }
  const wait = waitFor ?? (c.resources.autostopWaitFor as string | undefined)
  const hooks = recordHooks(c)
  const args = minutes < 0 ? ['--cancel'] : ['--idle-minutes', String(minutes), ...(down ? ['--down'] : []), ...(wait ? ['--wait-for', wait] : []), ...(hooks.length ? ['--hooks'] : [])]
  await withAgent(handleOf(c), (a) => a.call('autostop', args, minutes >= 0 && hooks.length ? { hooks } : undefined, ctx.signal))
  await ctx.store.clusters.setAutostop(c.name, minutes < 0 ? -1 : minutes, minutes >= 0 && down)
  if (waitFor && waitFor !== c.resources.autostopWaitFor) {
    const fresh = await ctx.store.clusters.get(c.name)
    if (fresh) await ctx.store.clusters.upsert({ ...fresh, resources: { ...fresh.resources, autostopWaitFor: waitFor } })
  }
}

export async function setAutostop(ctx: Ctx, name: string, minutes: number, down: boolean, waitFor?: string): Promise<void> {
  await locked(ctx, name, 'autostop', async () => {
    const c = await getOwnedCluster(ctx.store, name, ctx.actor)
    if (c.status !== 'UP' || !c.handle) throw new ConflictError(`Cluster '${name}' is ${c.status}; autostop can only be set on an UP cluster.`, { hint: `sky start ${name}` })
    await applyAutostop(ctx, c, minutes, down, waitFor)
  })
}
