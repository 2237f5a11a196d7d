// The cluster row as the operations see it: who may act on it, its handle in the v2 shape, the
// ClusterRef a provisioner takes, and the intent row written before any provider call.
import { NotFoundError, PermissionDeniedError } from '../errors'
import { bareResources, normalizeHandle } from '../provision/handle'
import { nameOnCloud as makeNameOnCloud } from '../provision/naming'
import type { ClusterHandle, ClusterRef, LaunchedResources } from '../provision/types'
import type { ClusterRecord } from '../state/clusters'
import type { Store } from '../state/store'
import { capacityLabel } from './demand'

export interface Actor {
  id: string
  name: string
  role?: string
}

export const isAdmin = (a: Actor) => a.role === 'admin'

export function nameOnCloudOf(c: Pick<ClusterRecord, 'name' | 'userId' | 'nameOnCloud'>): string {
  return c.nameOnCloud ?? makeNameOnCloud(c.name, c.userId)
}

/** The row's handle in the v2 shape (older rows are upgraded on read). */
export function handleOf(c: ClusterRecord): ClusterHandle {
  if (!c.handle) throw new NotFoundError(`Cluster '${c.name}' has no handle yet.`)
  return normalizeHandle(c.handle, nameOnCloudOf(c))
}

/** The launched resources; rows from before v10 get them from the handle. */
export function launchedOf(c: ClusterRecord): LaunchedResources {
  if (c.launched) return c.launched
  const h = c.handle ? handleOf(c) : null
  // No hosts: a v1 handle reaches its nodes itself (resume and teardown use it, not host names).
  return {
    ...bareResources(h?.infra ?? c.infra.cloud, h?.region ?? c.infra.region ?? c.infra.cloud, c.numNodes, h?.zone ?? c.infra.zone ?? null),
    instanceType: h?.instanceType ?? null,
    cpus: h?.capacity.cpus ?? 0,
    memoryGb: h?.capacity.memoryGb ?? 0,
    accelerators: h?.capacity.gpus ?? null,
  }
}

export function refOf(c: ClusterRecord): ClusterRef {
  return { name: c.name, nameOnCloud: nameOnCloudOf(c), resources: launchedOf(c), handle: c.handle ? handleOf(c) : null }
}

export async function getOwnedCluster(store: Store, name: string, actor: Actor): Promise<ClusterRecord> {
  const c = await store.clusters.get(name)
  if (!c) throw new NotFoundError(`Cluster '${name}' not found.`, { hint: 'See your clusters with: sky status' })
  checkOwner(c, actor)
  return c
}

export function checkOwner(c: ClusterRecord, actor: Actor): void {
  if (c.userId === actor.id || isAdmin(actor)) return
  throw new PermissionDeniedError(`Cluster '${c.name}' belongs to user '${c.userName}'; only they or an admin may act on it.`)
}

export function resourcesLabel(r: LaunchedResources): string {
  return capacityLabel({ cpus: r.cpus, memoryGb: r.memoryGb, gpus: r.accelerators }, r.instanceType && !r.instanceType.includes('CPU--') ? r.instanceType : null)
}

/** The INIT row for an attempt: written before the provider is asked for anything. */
export function intentRecord(name: string, actor: Actor, launched: LaunchedResources, command: string | null, prev?: ClusterRecord): ClusterRecord {
  const now = Date.now()
  return {
    name,
    userId: prev?.userId ?? actor.id,
    userName: prev?.userName ?? actor.name,
    status: 'INIT',
    infra: { cloud: launched.infra, region: launched.region, ...(launched.zone ? { zone: launched.zone } : {}) },
    resources: { label: resourcesLabel(launched), capacity: { cpus: launched.cpus, memoryGb: launched.memoryGb, gpus: launched.accelerators }, instanceType: launched.instanceType },
    numNodes: launched.numNodes,
    handle: null,
    autostopMinutes: prev?.autostopMinutes ?? -1,
    autostopDown: prev?.autostopDown ?? false,
    launchedAt: prev?.launchedAt ?? now,
    lastUse: now,
    lastCommand: command ?? prev?.lastCommand ?? null,
    statusUpdatedAt: now,
    clusterHash: prev?.clusterHash ?? crypto.randomUUID().slice(0, 8),
    workspace: prev?.workspace ?? 'default',
    launched,
    nameOnCloud: prev?.nameOnCloud ?? makeNameOnCloud(name, prev?.userId ?? actor.id),
    statusReason: 'provisioning',
  }
}
