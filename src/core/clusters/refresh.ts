// Bring cluster rows in line with reality: ask each UP cluster's agent whether autostop fired
// (then the cluster is STOPPED, or gone for autodown) and whether it still answers.
import type { ClusterRecord } from '../state/clusters'
import type { Store } from '../state/store'
import { downCluster, withAgent } from './lifecycle'

interface Health {
  ok: boolean
  initialized: boolean
  autostop?: { firedAt?: number | null; down?: boolean }
}

export async function refreshCluster(store: Store, c: ClusterRecord): Promise<ClusterRecord | null> {
  if (c.status !== 'UP' || !c.handle) return c
  let h: Health
  try {
    h = await withAgent(c, (a) => a.call<Health>('health'))
  } catch {
    await store.clusters.setStatus(c.name, 'INIT')
    return { ...c, status: 'INIT' }
  }
  if (h.autostop?.firedAt) {
    if (h.autostop.down) {
      await downCluster(store, c.name, { id: c.userId, name: c.userName, role: 'admin' }, () => {}, true)
      return null
    }
    await store.clusters.setStatus(c.name, 'STOPPED')
    return { ...c, status: 'STOPPED' }
  }
  return c
}

export async function refreshClusters(store: Store, list: ClusterRecord[]): Promise<ClusterRecord[]> {
  const out = await Promise.all(list.map((c) => refreshCluster(store, c).catch(() => c)))
  return out.filter((c): c is ClusterRecord => c !== null)
}
