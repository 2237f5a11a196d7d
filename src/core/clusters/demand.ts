// What a task asks of each node, in the agent's terms, and how a cluster's capacity is shown.
import type { Demand, NodeCapacity } from '../agent/types'
import type { Resources, Task } from '../task/types'
import { acceleratorMaker, describeMemorySpec, gpuMatchesMemory, withGpuName } from '../optimizer/by-memory'
import { acceleratorMemoryGb } from '../catalog/accelerators'

/**
 * The request as it applies to an existing cluster: a GPU-by-memory spec (`24GB+`) becomes the
 * cluster's GPU type when that type matches it; anything else is returned as it is.
 */
export function onCluster(r: Resources | undefined, cap: NodeCapacity): Resources | undefined {
  const spec = r?.accelerator?.byMemory
  if (!r || !spec || !cap.gpus) return r
  return gpuMatchesMemory(spec, cap.gpus.name, acceleratorMemoryGb(cap.gpus.name)) ? withGpuName(r, cap.gpus.name) : r
}

/**
 * Per-node demand of a job: the task's cpus/memory/accelerator. SkyPilot's default is 0.5 CPU; a
 * node smaller than that (a 0.1-CPU local share) runs such a job with all it has.
 */
export function jobDemand(r: Resources | undefined, cap?: NodeCapacity): Demand {
  return {
    cpus: r?.cpus?.value ?? Math.min(0.5, cap && cap.cpus > 0 ? cap.cpus : 0.5),
    memoryGb: r?.memory?.value ?? 0,
    gpus: r?.accelerator ? { name: r.accelerator.name, count: r.accelerator.count } : null,
  }
}

/** What a node must offer for the task to be launched there. */
export function capacityNeeded(r: Resources | undefined): NodeCapacity {
  return {
    cpus: r?.cpus?.value ?? 0,
    memoryGb: r?.memory?.value ?? 0,
    gpus: r?.accelerator ? { name: r.accelerator.name, count: Math.ceil(r.accelerator.count) } : null,
  }
}

export function capacityLabel(c: NodeCapacity, instanceType?: string | null): string {
  // Whole GB above 10; one decimal below (a 0.5 GB local share is not "mem=1").
  const mem = c.memoryGb >= 10 ? Math.round(c.memoryGb) : Math.round(c.memoryGb * 10) / 10
  const parts = [`cpus=${c.cpus}`, `mem=${mem}`]
  if (c.gpus) parts.push(`gpus=${c.gpus.name}:${c.gpus.count}`)
  if (instanceType) parts.push(instanceType)
  return parts.join(', ')
}

/** Why a task does not fit an existing cluster, or undefined when it does. */
export function misfit(task: Task, r: Resources | undefined, cap: NodeCapacity, nodes: number): string | undefined {
  if (task.numNodes > nodes) return `it asks for ${task.numNodes} nodes and the cluster has ${nodes}`
  const d = capacityNeeded(r)
  if (d.cpus > cap.cpus) return `it asks for ${d.cpus} CPUs per node and the cluster's nodes have ${cap.cpus}`
  if (d.memoryGb > cap.memoryGb) return `it asks for ${d.memoryGb} GB memory per node and the cluster's nodes have ${Math.round(cap.memoryGb)}`
  if (d.gpus) {
    if (!cap.gpus) return `it asks for ${d.gpus.name}:${r?.accelerator?.count} and the cluster has no GPUs`
    if (r?.accelerator?.byMemory) {
      return `it asks for a ${describeMemorySpec(r.accelerator.byMemory)} and the cluster has ${cap.gpus.name} (${acceleratorMemoryGb(cap.gpus.name) ?? '?'} GB, ${acceleratorMaker(cap.gpus.name)})`
    }
    if (cap.gpus.name.toLowerCase() !== d.gpus.name.toLowerCase()) return `it asks for ${d.gpus.name} GPUs and the cluster has ${cap.gpus.name}`
    if (d.gpus.count > cap.gpus.count) return `it asks for ${r?.accelerator?.count}x ${d.gpus.name} per node and the cluster's nodes have ${cap.gpus.count}`
  }
  return undefined
}
