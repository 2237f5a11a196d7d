// Resource accounting: what each node has, what running jobs hold, and where a new job fits.
// Quantities are integers (milli-CPUs, MB, thousandths of a GPU) so fractional demands add up
// exactly: two 0.5-GPU jobs share one device index, a third waits.
import { nodeCapacity } from './cluster-spec'
import type { ClusterSpec, Demand, RankAlloc } from './types'

/** SkyPilot's default CPU demand of a task that names none. */
export const DEFAULT_CPU_DEMAND = 0.5

export interface NodeFree {
  node: number
  cpuMilli: number
  memMb: number
  gpuName: string | null
  /** Free thousandths per device index. */
  gpuFree: number[]
}

interface Units {
  cpuMilli: number
  memMb: number
  gpu: { name: string; milli: number; whole: number } | null
}

function units(d: Demand): Units {
  const g = d.gpus && d.gpus.count > 0 ? d.gpus : null
  return {
    cpuMilli: Math.round((d.cpus ?? DEFAULT_CPU_DEMAND) * 1000),
    memMb: Math.round((d.memoryGb ?? 0) * 1024),
    gpu: g ? { name: g.name, milli: g.count < 1 ? Math.round(g.count * 1000) : 1000, whole: g.count < 1 ? 1 : Math.ceil(g.count) } : null,
  }
}

export function totalCapacity(spec: ClusterSpec): NodeFree[] {
  return spec.nodes.map((n) => {
    const cap = nodeCapacity(spec, n.rank)
    return {
      node: n.rank,
      cpuMilli: Math.round(cap.cpus * 1000),
      memMb: Math.round(cap.memoryGb * 1024),
      gpuName: cap.gpus?.name ?? null,
      gpuFree: Array.from({ length: cap.gpus ? Math.floor(cap.gpus.count) : 0 }, () => 1000),
    }
  })
}

export function applyAlloc(free: NodeFree[], alloc: RankAlloc[], sign: 1 | -1 = 1): void {
  for (const a of alloc) {
    const n = free.find((f) => f.node === a.node)
    if (!n) continue
    n.cpuMilli -= sign * a.cpuMilli
    n.memMb -= sign * a.memMb
    for (const i of a.gpuIndices) if (i < n.gpuFree.length) n.gpuFree[i]! -= sign * a.gpuMilli
  }
}

/** Free capacity once the given allocations (of SETTING_UP/RUNNING jobs) are taken out. */
export function freeCapacity(spec: ClusterSpec, allocs: RankAlloc[][]): NodeFree[] {
  const free = totalCapacity(spec)
  for (const a of allocs) applyAlloc(free, a)
  return free
}

function sameGpu(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase()
}

/** The allocation of `u` on node `n`, or null when it does not fit there now. */
function fitOnNode(n: NodeFree, u: Units): RankAlloc | null {
  if (n.cpuMilli < u.cpuMilli || n.memMb < u.memMb) return null
  let gpuIndices: number[] = []
  if (u.gpu) {
    if (!sameGpu(n.gpuName, u.gpu.name)) return null
    if (u.gpu.milli < 1000) {
      // Best fit: the most used device that still has room, so shared devices fill up first.
      let best = -1
      n.gpuFree.forEach((f, i) => {
        if (f >= u.gpu!.milli && (best < 0 || f < n.gpuFree[best]!)) best = i
      })
      if (best < 0) return null
      gpuIndices = [best]
    } else {
      gpuIndices = n.gpuFree.flatMap((f, i) => (f >= 1000 ? [i] : [])).slice(0, u.gpu.whole)
      if (gpuIndices.length < u.gpu.whole) return null
    }
  }
  return { node: n.node, cpuMilli: u.cpuMilli, memMb: u.memMb, gpuIndices, gpuMilli: u.gpu ? u.gpu.milli : 0 }
}

/** Where a job of `numNodes` ranks fits right now (one rank per node, lowest ranks first), or null. */
export function place(free: NodeFree[], demand: Demand, numNodes: number): RankAlloc[] | null {
  const u = units(demand)
  const out: RankAlloc[] = []
  for (const n of free) {
    const a = fitOnNode(n, u)
    if (a) out.push(a)
    if (out.length === numNodes) return out
  }
  return null
}

/** Why a job can never run on this cluster, even when it is idle; null when it can. */
export function neverFitsReason(spec: ClusterSpec, demand: Demand, numNodes: number): string | null {
  if (numNodes > spec.nodes.length) {
    return `The job needs ${numNodes} nodes but cluster ${spec.name} has ${spec.nodes.length}.`
  }
  if (place(totalCapacity(spec), demand, numNodes)) return null
  const cap = spec.capacity
  const have = [`cpus=${cap.cpus}`, `memory=${cap.memoryGb}GB`, cap.gpus ? `gpus=${cap.gpus.name}:${cap.gpus.count}` : 'no GPUs']
  return `The job's demand per node (${describeDemand(demand)}) does not fit any node of cluster ${spec.name} (${have.join(', ')} per node).`
}

function fmt(n: number): string {
  return String(Number(n.toFixed(3)))
}

function describeDemand(d: Demand): string {
  const parts = [`cpus=${fmt(d.cpus ?? DEFAULT_CPU_DEMAND)}`]
  if (d.memoryGb) parts.push(`memory=${fmt(d.memoryGb)}GB`)
  if (d.gpus) parts.push(`gpus=${d.gpus.name}:${fmt(d.gpus.count)}`)
  return parts.join(', ')
}

/** The RESOURCES column of `sky queue`, e.g. `1x[CPU:0.5]`, `2x[L4:0.5, CPU:4]`. */
export function resourcesString(numNodes: number, d: Demand): string {
  const parts: string[] = []
  if (d.gpus) parts.push(`${d.gpus.name}:${fmt(d.gpus.count)}`)
  if (!d.gpus || d.cpus !== undefined) parts.push(`CPU:${fmt(d.cpus ?? DEFAULT_CPU_DEMAND)}`)
  if (d.memoryGb) parts.push(`mem:${fmt(d.memoryGb)}GB`)
  return `${numNodes}x[${parts.join(', ')}]`
}
