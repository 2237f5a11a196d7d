// Reading and writing the cluster row for a handle, and the ownership rule for acting on one.
import { NotFoundError, PermissionDeniedError } from '../errors'
import type { ClusterHandle } from '../provision/legacy'
import type { ClusterRecord } from '../state/clusters'
import type { Store } from '../state/store'
import { capacityLabel } from './demand'

export interface Actor {
  id: string
  name: string
  role?: string
}

export const isAdmin = (a: Actor) => a.role === 'admin'

export function handleOf(c: ClusterRecord): ClusterHandle {
  return c.handle as unknown as ClusterHandle
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

export function newRecord(name: string, actor: Actor, handle: ClusterHandle, numNodes: number, command: string | null): ClusterRecord {
  const now = Date.now()
  return {
    name,
    userId: actor.id,
    userName: actor.name,
    status: 'INIT',
    infra: { cloud: handle.cloud, region: handle.region ?? undefined, zone: handle.zone ?? undefined },
    resources: { label: capacityLabel(handle.capacity, handle.instanceType), capacity: handle.capacity, instanceType: handle.instanceType },
    numNodes,
    handle: handle as unknown as Record<string, unknown>,
    autostopMinutes: -1,
    autostopDown: false,
    launchedAt: now,
    lastUse: now,
    lastCommand: command,
    statusUpdatedAt: now,
    clusterHash: crypto.randomUUID().slice(0, 8),
    workspace: 'default',
  }
}
