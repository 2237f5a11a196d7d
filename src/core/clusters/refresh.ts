// Status you can trust: a cluster's row brought in line with what its provider reports for each
// node and with its agent's health, under the cluster's lock (a cluster another operation is
// working on is left as it is).
//   provider cannot be asked (a host briefly unreachable) → no change
//   every node terminated                                → leftovers cleaned, record removed
//   every node stopped                                   → STOPPED (autostop released it)
//   nodes pending / mixed                                → INIT, with the reason
//   every node running                                   → the agent is asked (with retries);
//     healthy → UP (an INIT cluster recovers); dead or never installed → the agent is started
//     again (it re-adopts or fails its jobs with a reason) → UP, else INIT with the reason.
// An INIT row that no request will resume (a launch that died before it could reach its nodes)
// is cleaned up, so nothing stays in INIT and no provider resource is left without a record.
import { toSkyError } from '../errors'
import { provisionerFor } from '../provision/registry'
import type { NodeStatus } from '../provision/types'
import type { ClusterRecord } from '../state/clusters'
import type { Store } from '../state/store'
import { agentHealthWithRetries, agentReady, installAgent, type AgentHealth } from './agent'
import { withClusterLock } from './lock'
import { handleOf, launchedOf, refOf } from './record'
import { removeSshConfig } from './ssh-config'

export interface RefreshOptions {
  /** Lock owner (the refreshing request's id). */
  owner: string
  /** Node states asked for many clusters at once (refreshClusters), by cluster name. */
  known?: Map<string, NodeStatus[]>
  /** Whether another active request (a launch or start) will carry on with this cluster. */
  busy?: (name: string) => Promise<boolean>
  log?: (line: string) => void
}

function summarize(nodes: NodeStatus[]): string {
  return nodes.map((n) => `${n.id}: ${n.state}${n.reason ? ` (${n.reason})` : ''}`).join(', ')
}

export async function refreshCluster(store: Store, c: ClusterRecord, o: RefreshOptions): Promise<ClusterRecord | null> {
  const r = await withClusterLock(store, c.name, { owner: o.owner, purpose: 'refresh', wait: false }, async () => ({ v: await refreshLocked(store, c.name, o) }))
  return r === undefined ? c : r.v
}

async function gone(store: Store, c: ClusterRecord, why: string, o: RefreshOptions): Promise<null> {
  const p = await provisionerFor(launchedOf(c).infra)
  // Whatever the provider still holds for it (an SSH worker, a port rule) goes too.
  await p.terminate(refOf(c), { log: o.log })
  await store.clusters.delete(c.name)
  removeSshConfig(c.name)
  o.log?.(`Cluster '${c.name}' is gone (${why}); its record was removed.`)
  return null
}

async function set(store: Store, c: ClusterRecord, status: ClusterRecord['status'], reason: string | null): Promise<ClusterRecord> {
  if (c.status === status && c.statusReason === reason) return c
  await store.clusters.setStatus(c.name, status, reason)
  return { ...c, status, statusReason: reason, statusUpdatedAt: Date.now() }
}

async function refreshLocked(store: Store, name: string, o: RefreshOptions): Promise<ClusterRecord | null> {
  const c = await store.clusters.get(name)
  if (!c) return null
  if (!c.launched && !c.handle) return c
  let p
  try {
    p = await provisionerFor(launchedOf(c).infra)
  } catch {
    return c // an infra this build cannot ask
  }
  const ref = refOf(c)
  const nodes = o.known?.get(c.name) ?? (await p.query(ref).catch(() => null))
  if (!nodes || nodes.length === 0 || nodes.some((n) => n.state === 'unknown')) return c
  const every = (s: NodeStatus['state']) => nodes.every((n) => n.state === s)
  const provisioning = c.status === 'INIT' && c.statusReason === 'provisioning'
  const carriedOn = async () => provisioning && !!o.busy && (await o.busy(name))

  if (every('terminated')) {
    if (await carriedOn()) return c
    return gone(store, c, 'its provider reports every node terminated', o)
  }
  if (every('stopped')) return set(store, c, 'STOPPED', c.status === 'STOPPED' ? c.statusReason : 'stopped (autostop or the provider)')
  if (!every('running')) return (await carriedOn()) ? c : set(store, c, 'INIT', `nodes: ${summarize(nodes)}`)

  if (!c.handle) {
    // Nodes exist but the launch that made them died before it learned how to reach them.
    if (await carriedOn()) return c
    if (provisioning) return gone(store, c, 'an interrupted launch that no request resumes', o)
    return c
  }
  const handle = handleOf(c)
  const health = await agentHealthWithRetries(handle)
  if (health?.autostop?.firedAt) return autostopFallback(store, c, health.autostop, o)
  if (health?.initialized && health.ok) return set(store, c, 'UP', null)
  if (await carriedOn()) return c
  // Supervision: the agent died (or a launch died before installing it): start it again.
  try {
    await installAgent({ ...ref, handle })
    const again = await agentReady(handle)
    if (again?.ok) {
      o.log?.(`Restarted the agent of cluster '${name}'.`)
      return set(store, c, 'UP', null)
    }
    return set(store, c, 'INIT', 'the agent does not answer after a restart')
  } catch (e) {
    return set(store, c, 'INIT', `agent unreachable: ${toSkyError(e).message}`)
  }
}

/** How long the node gets to release itself after autostop fired before the server does it. */
const NODE_RELEASE_GRACE_MS = 3 * 60_000

/**
 * Autostop fired on the node: its hook releases the compute (stops or terminates the instances
 * with the node's own cloud access) and the provider will say so. When the hook failed (no cloud
 * access on the node, expired credentials) or is taking too long, the server releases it.
 */
async function autostopFallback(store: Store, c: ClusterRecord, a: NonNullable<AgentHealth['autostop']>, o: RefreshOptions): Promise<ClusterRecord | null> {
  const failed = a.hookExitCode !== null && a.hookExitCode !== undefined && a.hookExitCode !== 0
  if (!failed && Date.now() - (a.firedAt ?? 0) < NODE_RELEASE_GRACE_MS) return c
  const why = failed ? `the node's autostop hook exited ${a.hookExitCode}` : 'the node did not release itself in time'
  if (a.down) return gone(store, c, `autodown (${why}; done by the API server)`, o)
  const p = await provisionerFor(launchedOf(c).infra)
  if (!p.capabilities.stop || launchedOf(c).useSpot) return c // never armed that way (autostop without --down is refused there)
  await p.stop(refOf(c), { log: o.log })
  o.log?.(`Cluster '${c.name}' stopped by the API server (autostop: ${why}).`)
  return set(store, c, 'STOPPED', 'autostop')
}

/** Node states of many clusters, one batch per infra whose provisioner can ask for many at once. */
async function queryAll(list: ClusterRecord[]): Promise<Map<string, NodeStatus[]>> {
  const known = new Map<string, NodeStatus[]>()
  const byInfra = new Map<string, ClusterRecord[]>()
  for (const c of list) {
    if (!c.launched && !c.handle) continue
    const infra = launchedOf(c).infra
    byInfra.set(infra, [...(byInfra.get(infra) ?? []), c])
  }
  await Promise.all(
    [...byInfra].map(async ([infra, cs]) => {
      const p = await provisionerFor(infra).catch(() => null)
      if (!p?.queryMany || cs.length < 2) return
      const got = await p.queryMany(cs.map(refOf)).catch(() => null)
      for (const [name, nodes] of got ?? []) known.set(name, nodes)
    }),
  )
  return known
}

/** Refresh many clusters, a few at a time; terminated ones drop out of the list. */
export async function refreshClusters(store: Store, list: ClusterRecord[], o: RefreshOptions, concurrency = 8): Promise<ClusterRecord[]> {
  if (!o.known) o = { ...o, known: await queryAll(list) }
  const out: (ClusterRecord | null)[] = new Array(list.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, list.length) }, async () => {
      while (next < list.length) {
        const i = next++
        out[i] = await refreshCluster(store, list[i]!, o).catch(() => list[i]!)
      }
    }),
  )
  return out.filter((c): c is ClusterRecord => c !== null)
}
