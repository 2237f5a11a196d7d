// Candidates from a priced catalog (AWS, GCP) for one requested alternative: one per
// (instance type, region), priced on-demand or spot, with the zones to try.
import { queryOffers, regionOfZone, type OfferQuery } from '../catalog/query'
import type { CloudCatalog } from '../catalog/types'
import type { InfraName } from '../infra/types'
import type { Resources } from '../task/types'
import { infraPart } from './request'
import type { Candidate } from './types'

export interface CloudResult {
  candidates: Candidate[]
  reason?: string
}

function imageRegions(r: Resources): Set<string> | undefined {
  if (!r.imageId || typeof r.imageId === 'string') return undefined
  return new Set(Object.keys(r.imageId))
}

export function cloudCandidates(
  cat: CloudCatalog,
  r: Resources,
  alternative: number,
  numNodes: number,
  allowedRegions: readonly string[] | undefined,
): CloudResult {
  let region = infraPart(r.infra?.region)
  const zone = infraPart(r.infra?.zone)
  if (zone && !region) region = regionOfZone(cat, zone)
  if (zone && !region) return { candidates: [], reason: `${zone} is not a zone this catalog knows` }

  let allowed: Set<string> | undefined
  const images = imageRegions(r)
  if (images) allowed = images
  if (allowedRegions) {
    const a = new Set(allowedRegions)
    allowed = allowed ? new Set([...allowed].filter((x) => a.has(x))) : a
  }
  if (allowed && region && !allowed.has(region)) {
    const why = images && !images.has(region) ? `image_id has no image for ${region}` : `${region} is not an allowed region`
    return { candidates: [], reason: why }
  }
  const q: OfferQuery = {
    ...(r.instanceType ? { instanceType: r.instanceType } : {}),
    ...(r.cpus ? { cpus: r.cpus } : {}),
    ...(r.memory ? { memory: r.memory } : {}),
    ...(r.accelerator ? { accelerator: r.accelerator } : {}),
    ...(region ? { region } : {}),
    ...(zone ? { zone } : {}),
    ...(allowed ? { allowedRegions: allowed } : {}),
    useSpot: !!r.useSpot,
  }
  const res = queryOffers(cat, q)
  if (res.offers.length === 0) return { candidates: [], reason: res.reason ?? 'no matching instance type' }
  const candidates: Candidate[] = []
  for (const o of res.offers) {
    const price = r.useSpot ? o.spotPrice : o.price
    if (price === undefined) continue
    candidates.push({
      infra: cat.cloud as InfraName,
      region: o.region,
      zones: o.zones,
      instanceType: o.instanceType,
      useSpot: !!r.useSpot,
      vcpus: o.vcpus,
      memoryGb: o.memoryGb,
      ...(o.gpu ? { gpu: { name: o.gpu.name, count: o.gpu.count } } : {}),
      hourlyPrice: price,
      hourlyCost: price * numNodes,
      alternative,
      request: r,
    })
  }
  if (candidates.length === 0) return { candidates, reason: 'no spot market for the matching instance types' }
  return { candidates }
}
