// Each node of a cluster as its provider sees it (running, stopped, terminated, unknown), without
// changing anything: what managed jobs use to tell a preemption from a network blip.
import { NotFoundError } from '../errors'
import { provisionerFor } from '../provision/registry'
import type { NodeStatus } from '../provision/types'
import type { Store } from '../state/store'
import { launchedOf, refOf } from './record'

export async function queryCluster(store: Store, name: string): Promise<NodeStatus[]> {
  const c = await store.clusters.get(name)
  if (!c) throw new NotFoundError(`Cluster '${name}' not found.`)
  const p = await provisionerFor(launchedOf(c).infra)
  return p.query(refOf(c))
}
