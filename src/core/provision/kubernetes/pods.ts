// The pods of one cluster, found by its label: listing, creating (or adopting the cluster's own
// pod after a crash or an earlier attempt), node labels for GPU placement, and each node's state
// as the provider sees it.
import { CapacityError, FatalProvisionError } from '../errors'
import type { ClusterRef, NodeStatus } from '../types'
import { apiStatus, kubeFailure, type KubeClient } from './api'
import { CLUSTER_LABEL, podName, RANK_LABEL } from './pod-spec'
import type { PodObject } from './wait'

export const GONE_WAIT_MS = 90_000

export const selectorOf = (nameOnCloud: string) => `${CLUSTER_LABEL}=${nameOnCloud}`

export async function listPods(c: KubeClient, namespace: string, nameOnCloud: string, signal?: AbortSignal): Promise<PodObject[]> {
  const list = await c.request<{ items: PodObject[] }>('GET', `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector: selectorOf(nameOnCloud) }, signal })
  return list.items
}

export const rankOf = (p: PodObject) => Number(p.metadata.labels?.[RANK_LABEL] ?? NaN)

/** Create one pod, or adopt the cluster's own pod of that name (an earlier attempt or a crash made it). */
export async function createPod(c: KubeClient, namespace: string, body: Record<string, unknown>, nameOnCloud: string, signal: AbortSignal): Promise<'created' | 'resumed'> {
  const name = (body.metadata as { name: string }).name
  const path = `/api/v1/namespaces/${namespace}/pods`
  for (const until = Date.now() + GONE_WAIT_MS; ; ) {
    try {
      await c.request('POST', path, { body, signal })
      return 'created'
    } catch (e) {
      if (apiStatus(e) !== 409) throw kubeFailure(e, c.context, `create pod ${name}`)
    }
    const have = await c.request<PodObject>('GET', `${path}/${name}`, { signal }).catch((e) => (apiStatus(e) === 404 ? null : Promise.reject(kubeFailure(e, c.context))))
    if (have && have.metadata.labels?.[CLUSTER_LABEL] !== nameOnCloud) {
      throw new FatalProvisionError(`Kubernetes context '${c.context}': a pod named ${name} already exists in namespace ${namespace} and does not belong to this cluster.`, { infra: 'kubernetes', region: c.context })
    }
    if (have && !have.metadata.deletionTimestamp) return 'resumed'
    // Still terminating from an earlier teardown: wait until it is gone, then create it anew.
    if (Date.now() > until) throw new CapacityError(`Kubernetes context '${c.context}': pod ${name} is still terminating.`, { infra: 'kubernetes', region: c.context, scope: 'region' })
    await Bun.sleep(200)
  }
}

export async function nodeLabels(c: KubeClient, signal: AbortSignal): Promise<{ labels?: Record<string, string> }[]> {
  const list = await c.request<{ items: { metadata?: { labels?: Record<string, string> } }[] }>('GET', '/api/v1/nodes', { signal }).catch((e) => {
    // Listing nodes may be forbidden to namespace-scoped users: GPU pods then ask for the sky label.
    if (apiStatus(e) === 403) return { items: [] }
    throw kubeFailure(e, c.context, 'list nodes')
  })
  return list.items.map((n) => ({ labels: n.metadata?.labels }))
}


export const unknownStatuses = (ref: ClusterRef, reason: string): NodeStatus[] => Array.from({ length: ref.resources.numNodes }, (_, rank) => ({ id: podName(ref.nameOnCloud, rank), rank, state: 'unknown' as const, reason }))

/** Each node of `ref` from its pods: missing, deleting or finished pods are terminated nodes. */
export function nodeStatuses(ref: ClusterRef, pods: PodObject[]): NodeStatus[] {
  const byRank = new Map(pods.map((p) => [rankOf(p), p]))
  return Array.from({ length: ref.resources.numNodes }, (_, rank): NodeStatus => {
    const id = podName(ref.nameOnCloud, rank)
    const p = byRank.get(rank)
    if (!p) return { id, rank, state: 'terminated', reason: 'pod not found' }
    if (p.metadata.deletionTimestamp) return { id, rank, state: 'terminated', reason: 'pod is being deleted' }
    const phase = p.status?.phase
    if (phase === 'Running') return { id, rank, state: 'running' }
    if (phase === 'Pending') return { id, rank, state: 'pending', reason: p.status?.conditions?.find((x) => x.status === 'False')?.message ?? 'pending' }
    return { id, rank, state: 'terminated', reason: `pod ${phase?.toLowerCase() ?? 'gone'}${p.status?.reason ? ` (${p.status.reason})` : ''}` }
  })
}
