// stop / start / down / autostop of a cluster. Each is idempotent: running it again after a
// crash converges on the same state.
import { ConflictError } from '../errors'
import type { Store } from '../state/store'
import { AgentClient } from './agent-client'
import { provisionerFor } from './provisioners'
import { getOwnedCluster, handleOf, type Actor } from './record'
import { installAgent } from './launch'
import { removeLocalCluster } from '../provision/local'
import { removeSshConfig } from './ssh-config'
import { recordHooks, runHooks } from './hooks'
import type { ClusterRecord } from '../state/clusters'

async function withAgent<T>(c: ClusterRecord, fn: (a: AgentClient) => Promise<T>): Promise<T> {
  const handle = handleOf(c)
  const p = await provisionerFor(handle.cloud)
  const runner = p.runner(handle, 0)
  try {
    return await fn(new AgentClient(runner, handle))
  } finally {
    await runner.close()
  }
}

export async function stopCluster(store: Store, name: string, actor: Actor, log: (l: string) => void): Promise<void> {
  const c = await getOwnedCluster(store, name, actor)
  if (c.status === 'STOPPED') {
    log(`Cluster '${name}' is already stopped.`)
    return
  }
  if (!c.handle) throw new ConflictError(`Cluster '${name}' was never fully launched; take it down instead: sky down ${name}`)
  const p = await provisionerFor(handleOf(c).cloud)
  if (!p.canStop) {
    throw new ConflictError(`Cluster '${name}' runs on ${handleOf(c).cloud} machines, which cannot be stopped, only taken down.`, { hint: `sky down ${name}` })
  }
  await runHooks(c, 'stop', log)
  await withAgent(c, (a) => a.call('stop-all')).catch(() => undefined)
  await p.stop(handleOf(c))
  await store.clusters.setStatus(name, 'STOPPED')
  log(`✓ Cluster ${name} stopped.`)
}

export interface StartOptions {
  /** Re-run runtime setup (reinstall the agent) even when the cluster is UP. */
  force?: boolean
  /** Keep retrying the restart every 10 s until it succeeds (or the request is cancelled). */
  retryUntilUp?: boolean
}

export async function startCluster(store: Store, name: string, actor: Actor, signal: AbortSignal, log: (l: string) => void, o: StartOptions = {}): Promise<void> {
  const c = await getOwnedCluster(store, name, actor)
  if (!c.handle) throw new ConflictError(`Cluster '${name}' was never fully launched; launch it again: sky launch -c ${name}`)
  if (c.status === 'UP' && !o.force) {
    log(`Cluster '${name}' is already up.`)
    return
  }
  const p = await provisionerFor(handleOf(c).cloud)
  log(c.status === 'UP' ? `⚙︎ Re-running runtime setup on cluster '${name}' (--force).` : `⚙︎ Starting cluster '${name}'.`)
  if (c.status !== 'UP') await store.clusters.setStatus(name, 'INIT')
  const provision = () =>
    p.provision({
      clusterName: name,
      numNodes: c.numNodes,
      region: handleOf(c).region,
      zone: handleOf(c).zone,
      capacityNeeded: { cpus: 0, memoryGb: 0, gpus: null },
      existing: handleOf(c),
      signal,
      log,
    })
  let handle
  for (;;) {
    try {
      handle = await provision()
      break
    } catch (e) {
      if (!o.retryUntilUp || signal.aborted) throw e
      log(`↺ Starting '${name}' failed (${(e as Error).message}); retrying in 10 s (--retry-until-up).`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 10_000)
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
      })
      if (signal.aborted) throw e
    }
  }
  await installAgent(name, handle, signal)
  await store.clusters.upsert({ ...c, handle: handle as never, status: 'UP', statusUpdatedAt: Date.now(), lastUse: Date.now() })
  if (c.autostopMinutes >= 0) await setAutostop(store, name, actor, c.autostopMinutes, c.autostopDown, signal)
  log(`✓ Cluster ${name} ${c.status === 'UP' ? 'runtime set up again' : 'started'}.`)
}

export async function downCluster(store: Store, name: string, actor: Actor, log: (l: string) => void, purge = false): Promise<void> {
  const c = await getOwnedCluster(store, name, actor)
  try {
    if (c.handle) {
      const handle = handleOf(c)
      const p = await provisionerFor(handle.cloud)
      if (c.status === 'UP') await runHooks(c, 'down', log)
      await withAgent(c, (a) => a.call('stop-all')).catch(() => undefined)
      await p.terminate(handle)
    } else if (c.infra.cloud === 'local') {
      removeLocalCluster(name)
    }
  } catch (e) {
    if (!purge) throw e
    log(`Teardown failed (${(e as Error).message}); removing the record anyway (--purge).`)
  }
  await store.clusters.delete(name)
  removeSshConfig(name)
  log(`✓ Cluster ${name} terminated.`)
}

/**
 * Set (minutes >= 0) or cancel (< 0) autostop on the cluster's agent. `waitFor` is kept on the
 * record (a restart sets it again); the record's lifecycle hooks go along, for the agent to run
 * before it stops or tears down the cluster.
 */
export async function setAutostop(store: Store, name: string, actor: Actor, minutes: number, down: boolean, signal?: AbortSignal, waitFor?: string): Promise<void> {
  const c = await getOwnedCluster(store, name, actor)
  if (c.status !== 'UP') throw new ConflictError(`Cluster '${name}' is ${c.status}; autostop can only be set on an UP cluster.`, { hint: `sky start ${name}` })
  const wait = waitFor ?? (c.resources.autostopWaitFor as string | undefined)
  const hooks = recordHooks(c)
  const args = minutes < 0 ? ['--cancel'] : ['--idle-minutes', String(minutes), ...(down ? ['--down'] : []), ...(wait ? ['--wait-for', wait] : []), ...(hooks.length ? ['--hooks'] : [])]
  await withAgent(c, (a) => a.call('autostop', args, minutes >= 0 && hooks.length ? { hooks } : undefined, signal))
  await store.clusters.setAutostop(name, minutes < 0 ? -1 : minutes, minutes >= 0 && down)
  if (waitFor && waitFor !== c.resources.autostopWaitFor) {
    const fresh = await store.clusters.get(name)
    if (fresh) await store.clusters.upsert({ ...fresh, resources: { ...fresh.resources, autostopWaitFor: waitFor } })
  }
}

export { withAgent }
