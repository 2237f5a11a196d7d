// GPU-by-memory requests (`80GB+`, `nvidia:48GB:2`): expand the request into one concrete request
// per GPU type of an infra whose device memory matches — at least that much with `+`, exactly that
// much without — and whose maker matches when one is named. Each expanded request then plans like
// a request by name, so a plan and a launched cluster always carry a real GPU name.
import { acceleratorMemoryGb } from '../catalog/accelerators'
import type { CloudCatalog } from '../catalog/types'
import type { LiveInfraName, LiveNode } from '../infra/types'
import type { Accelerator, Resources } from '../task/types'

type ByMemory = NonNullable<Accelerator['byMemory']>

/** Maker of an accelerator, from its catalog name. */
export function acceleratorMaker(name: string): string {
  const n = name.toLowerCase()
  if (/^(mi\d|radeon)/.test(n)) return 'amd'
  if (n.startsWith('tpu')) return 'google'
  if (/^(inferentia|trainium)/.test(n)) return 'aws'
  if (n.startsWith('gaudi')) return 'intel'
  return 'nvidia'
}

export function gpuMatchesMemory(spec: ByMemory, name: string, memoryGb: number | undefined): boolean {
  if (memoryGb === undefined) return false
  if (spec.manufacturer && acceleratorMaker(name) !== spec.manufacturer) return false
  return spec.orMore ? memoryGb + 1e-9 >= spec.memoryGb : Math.abs(memoryGb - spec.memoryGb) < 0.5
}

/** GPU types of a cloud catalog that satisfy the spec, smallest memory first. */
export function catalogGpusByMemory(cat: CloudCatalog, spec: ByMemory): string[] {
  const mem = new Map<string, number>()
  for (const offers of cat.byAccelerator.values()) {
    const g = offers[0]?.gpu
    if (g) mem.set(g.name, g.memoryGb)
  }
  for (const a of cat.attachable) mem.set(a.name, a.memoryGb)
  return [...mem].filter(([n, m]) => gpuMatchesMemory(spec, n, m)).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([n]) => n)
}

/** GPU types on the live nodes of an infra that satisfy the spec. */
export function liveGpusByMemory(infra: LiveInfraName, nodes: readonly LiveNode[], spec: ByMemory): string[] {
  const names = new Set<string>()
  for (const n of nodes) if (n.infra === infra && n.gpus && n.gpus.count > 0) names.add(n.gpus.name)
  return [...names].filter((n) => gpuMatchesMemory(spec, n, acceleratorMemoryGb(n)))
}

/** The request with its memory spec replaced by one GPU name. */
export function withGpuName(r: Resources, name: string): Resources {
  return { ...r, accelerator: { name, count: r.accelerator!.count } }
}

export function describeMemorySpec(spec: ByMemory): string {
  return `${spec.manufacturer ? `${spec.manufacturer} ` : ''}GPU with ${spec.orMore ? 'at least ' : ''}${spec.memoryGb} GB`
}
