// A small scheduler with the default scheduler's filters and words: unschedulable nodes, taints
// and tolerations, nodeSelector / required node affinity, and resource fit (pods, cpu, memory,
// extended resources such as nvidia.com/gpu). A pod that fits nowhere gets the same message the
// real scheduler writes ("0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: ...").
import { labelsMatch } from './selectors'
import { milliCpu, parseQuantity } from './quantity'
import type { KubeObject } from './store'
import type { Taint } from './nodes'

export type Requests = Record<string, number>

/** A pod's effective requests: containers summed, init containers as a maximum, plus one pod slot. */
export function podRequests(pod: KubeObject): Requests {
  const one = (c: { resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }): Requests => {
    const out: Requests = {}
    const req = c.resources?.requests ?? {}
    const lim = c.resources?.limits ?? {}
    for (const name of new Set([...Object.keys(req), ...Object.keys(lim)])) {
      const q = req[name] ?? lim[name] // a limit without a request defaults the request
      out[name] = name === 'cpu' ? milliCpu(q) : (parseQuantity(q) ?? 0)
    }
    return out
  }
  const total: Requests = {}
  for (const c of pod.spec?.containers ?? []) for (const [k, v] of Object.entries(one(c))) total[k] = (total[k] ?? 0) + v
  for (const c of pod.spec?.initContainers ?? []) for (const [k, v] of Object.entries(one(c))) total[k] = Math.max(total[k] ?? 0, v)
  total.pods = 1
  return total
}

/** A node's allocatable in the same units (cpu in millicores). */
export function nodeAllocatable(node: KubeObject): Requests {
  const out: Requests = {}
  for (const [k, v] of Object.entries((node.status?.allocatable ?? {}) as Record<string, string>)) out[k] = k === 'cpu' ? milliCpu(v) : (parseQuantity(v) ?? 0)
  return out
}

interface Toleration {
  key?: string
  operator?: 'Exists' | 'Equal'
  value?: string
  effect?: string
}

function tolerates(tols: Toleration[], t: Taint): boolean {
  return tols.some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false
    if (!tol.key) return tol.operator === 'Exists'
    if (tol.key !== t.key) return false
    return tol.operator === 'Exists' || (tol.value ?? '') === (t.value ?? '')
  })
}

interface NodeSelectorRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt'
  values?: string[]
}

function requirementMatches(value: string | undefined, r: NodeSelectorRequirement): boolean {
  const has = value !== undefined
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(value)
    case 'NotIn':
      return !has || !(r.values ?? []).includes(value)
    case 'Exists':
      return has
    case 'DoesNotExist':
      return !has
    case 'Gt':
      return has && Number(value) > Number(r.values?.[0])
    case 'Lt':
      return has && Number(value) < Number(r.values?.[0])
  }
  return false
}

/** nodeSelector and requiredDuringSchedulingIgnoredDuringExecution terms (OR of ANDs). */
export function matchesAffinity(pod: KubeObject, node: KubeObject): boolean {
  const labels: Record<string, string> = node.metadata.labels ?? {}
  const sel: Record<string, string> = pod.spec?.nodeSelector ?? {}
  if (!labelsMatch(labels, Object.entries(sel).map(([key, v]) => ({ key, op: '=' as const, values: [v] })))) return false
  const terms: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[] | undefined =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (!terms?.length) return true
  return terms.some(
    (t) =>
      (t.matchExpressions?.length || t.matchFields?.length) &&
      (t.matchExpressions ?? []).every((r) => requirementMatches(labels[r.key], r)) &&
      (t.matchFields ?? []).every((r) => requirementMatches(r.key === 'metadata.name' ? node.metadata.name : undefined, r)),
  )
}

export type Decision = { node: string } | { message: string }

/**
 * Pick a node for `pod`. `used` maps node name → requests of the pods already bound there and not
 * finished. Among nodes that fit, the least allocated (cpu and memory) wins; ties go by name.
 */
export function schedule(pod: KubeObject, nodes: KubeObject[], used: Map<string, Requests>): Decision {
  const want = podRequests(pod)
  const tolerations: Toleration[] = pod.spec?.tolerations ?? []
  const reasons = new Map<string, number>()
  let unresolvable = 0
  const fits: { name: string; score: number }[] = []
  const count = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1)
  for (const node of nodes) {
    if (node.spec?.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
      count('node(s) were unschedulable')
      unresolvable++
      continue
    }
    const taint = ((node.spec?.taints ?? []) as Taint[]).find((t) => t.effect !== 'PreferNoSchedule' && !tolerates(tolerations, t))
    if (taint) {
      count(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`)
      unresolvable++
      continue
    }
    if (!matchesAffinity(pod, node)) {
      count("node(s) didn't match Pod's node affinity/selector")
      unresolvable++
      continue
    }
    const alloc = nodeAllocatable(node)
    const inUse = used.get(node.metadata.name) ?? {}
    const short: string[] = []
    for (const [res, amount] of Object.entries(want)) {
      if (amount <= 0) continue
      if ((inUse[res] ?? 0) + amount > (alloc[res] ?? 0)) short.push(res === 'pods' ? 'Too many pods' : `Insufficient ${res}`)
    }
    if (short.length) {
      for (const s of short) count(s)
      continue
    }
    const frac = (res: string) => (alloc[res] ? ((inUse[res] ?? 0) + (want[res] ?? 0)) / alloc[res]! : 1)
    fits.push({ name: node.metadata.name, score: (frac('cpu') + frac('memory')) / 2 })
  }
  if (fits.length) {
    fits.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    return { node: fits[0]!.name }
  }
  if (!nodes.length) return { message: 'no nodes available to schedule pods' }
  const n = nodes.length
  const list = [...reasons].map(([r, c]) => `${c} ${r}`).sort()
  const preempt: string[] = []
  if (n - unresolvable > 0) preempt.push(`${n - unresolvable} No preemption victims found for incoming pod`)
  if (unresolvable > 0) preempt.push(`${unresolvable} Preemption is not helpful for scheduling`)
  return { message: `0/${n} nodes are available: ${list.join(', ')}. preemption: 0/${n} nodes are available: ${preempt.sort().join(', ')}.` }
}
