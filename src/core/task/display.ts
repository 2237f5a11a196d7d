// Short one-line renderings of resource requests, for tables and log lines.
import { acceleratorToString } from './accelerators'
import { infraToString } from './infra'
import { atLeastToString, formatNumber } from './scalars'
import type { Resources, ResourcesSpec } from './types'

/** e.g. `aws/us-east-1, p4d.24xlarge, cpus=4+, mem=16+, A100:8, spot, disk=512`. */
export function resourcesToString(r: Resources): string {
  const parts: string[] = []
  const infra = infraToString(r.infra)
  if (infra) parts.push(infra)
  if (r.instanceType) parts.push(r.instanceType)
  if (r.cpus) parts.push(`cpus=${atLeastToString(r.cpus)}`)
  if (r.memory) parts.push(`mem=${atLeastToString(r.memory)}`)
  if (r.accelerator) parts.push(acceleratorToString(r.accelerator))
  if (r.useSpot) parts.push('spot')
  if (r.diskSize !== undefined) parts.push(`disk=${formatNumber(r.diskSize)}`)
  if (r.diskTier) parts.push(`disk_tier=${r.diskTier}`)
  if (r.networkTier) parts.push(`network_tier=${r.networkTier}`)
  if (r.ports && r.ports.length > 0) parts.push(`ports=${r.ports.join(',')}`)
  if (r.imageId !== undefined) parts.push(`image=${typeof r.imageId === 'string' ? r.imageId : Object.entries(r.imageId).map(([k, v]) => `${k}:${v}`).join(',')}`)
  if (r.maxHourlyCost !== undefined) parts.push(`max_cost=$${formatNumber(r.maxHourlyCost)}/h`)
  return parts.length > 0 ? parts.join(', ') : 'any'
}

/** Alternatives joined: `A | B` for any_of (unordered), `A > B` for ordered (preference). */
export function resourcesSpecToString(spec: ResourcesSpec): string {
  const items = spec.candidates.map(resourcesToString)
  if (items.length <= 1) return items[0] ?? 'any'
  return items.map((s) => `(${s})`).join(spec.mode === 'ordered' ? ' > ' : ' | ')
}
