// Live capacity of Kubernetes contexts for the optimizer and `sky gpus list`: every schedulable,
// ready node with its allocatable CPUs, memory and GPUs (type from its labels), minus what the
// pods bound to it request (pods that ended hold nothing). Two list calls per context, all
// contexts at once; a context that cannot be asked shows up as one entry saying why.
import type { LiveNode } from '../../infra/types'
import { apiStatus, describeFailure, kube } from './api'
import { GPU_RESOURCE, nodeGpuType } from './gpus'
import { bytesToGiB, parseQuantity } from './quantity'

interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string> }
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string }[] }
  status?: { allocatable?: Record<string, string>; conditions?: { type: string; status: string }[] }
}

interface ContainerLike {
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
}

interface PodLike {
  spec?: { nodeName?: string; containers?: ContainerLike[]; initContainers?: ContainerLike[] }
  status?: { phase?: string }
}

/** A pod's effective request of `resource` (the scheduler's rule: max of init containers, sum of containers; requests default to limits). */
export function podRequest(pod: PodLike, resource: string): number {
  const of = (c: ContainerLike) => parseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]) || 0
  const sum = (pod.spec?.containers ?? []).reduce((a, c) => a + of(c), 0)
  const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map(of))
  return Math.max(sum, init)
}

const ready = (n: NodeLike) => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
/** Taints a sky pod does not tolerate (it tolerates the GPU taint only). */
const blockingTaint = (n: NodeLike) => (n.spec?.taints ?? []).some((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && t.key !== GPU_RESOURCE)

/** The optimizer's nodes of one context (read from its API server now). */
export async function contextNodes(context: string, signal?: AbortSignal): Promise<LiveNode[]> {
  const c = await kube(context)
  // Users limited to a namespace may not list nodes or every namespace's pods: capacity is then
  // taken as unknown (nodes) or as if nothing else ran (pods), and the scheduler has the last word.
  const forbidden = <T>(e: unknown, fallback: T): T => {
    if (apiStatus(e) === 403) return fallback
    throw e
  }
  const [nodes, pods] = await Promise.all([
    c.request<{ items: NodeLike[] }>('GET', '/api/v1/nodes', { signal, timeoutMs: 10_000 }).catch((e) => forbidden(e, null)),
    c.request<{ items: PodLike[] }>('GET', '/api/v1/pods', { query: { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }, signal, timeoutMs: 10_000 }).catch((e) => forbidden(e, { items: [] as PodLike[] })),
  ])
  if (!nodes) return [{ infra: 'kubernetes', region: context, name: '(nodes not visible)', cpus: 1024, memoryGb: 1 << 20 }]
  const used = new Map<string, { cpu: number; mem: number; gpu: number }>()
  for (const p of pods.items) {
    const node = p.spec?.nodeName
    if (!node) continue
    const u = used.get(node) ?? { cpu: 0, mem: 0, gpu: 0 }
    u.cpu += podRequest(p, 'cpu')
    u.mem += podRequest(p, 'memory')
    u.gpu += podRequest(p, GPU_RESOURCE)
    used.set(node, u)
  }
  const out: LiveNode[] = []
  for (const n of nodes.items) {
    const name = n.metadata?.name
    if (!name || n.spec?.unschedulable || !ready(n) || blockingTaint(n)) continue
    const a = n.status?.allocatable ?? {}
    const cpus = parseQuantity(a.cpu) || 0
    const memoryGb = bytesToGiB(parseQuantity(a.memory) || 0)
    const gpuCount = parseQuantity(a[GPU_RESOURCE]) || 0
    const type = gpuCount > 0 ? nodeGpuType(n.metadata?.labels) : null
    const u = used.get(name) ?? { cpu: 0, mem: 0, gpu: 0 }
    const round = (x: number) => Math.max(0, Math.round(x * 1000) / 1000)
    out.push({
      infra: 'kubernetes',
      region: context,
      name,
      cpus,
      memoryGb: round(memoryGb),
      ...(type ? { gpus: { name: type.name, count: gpuCount } } : {}),
      free: { cpus: round(cpus - u.cpu), memoryGb: round(memoryGb - bytesToGiB(u.mem)), ...(type ? { gpus: Math.max(0, gpuCount - u.gpu) } : {}) },
    })
  }
  return out
}

/** Nodes of every context, asked in parallel; a context that fails is one entry with `error`. */
export async function kubeLiveNodes(contexts: string[]): Promise<LiveNode[]> {
  const lists = await Promise.all(
    contexts.map(async (ctx): Promise<LiveNode[]> => {
      try {
        return await contextNodes(ctx)
      } catch (e) {
        return [{ infra: 'kubernetes', region: ctx, name: '', cpus: 0, memoryGb: 0, error: describeFailure(e) }]
      }
    }),
  )
  return lists.flat()
}
