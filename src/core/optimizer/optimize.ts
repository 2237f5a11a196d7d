// The optimizer: turn a resource request (one or several alternatives) into a ranked list of
// concrete candidates over the enabled infra — cheapest per hour first, or in the user's order for
// `ordered` — and walk that list on failover as zones, regions or infra get blocked.
import { ResourcesUnavailableError, ValidationError } from '../errors'
import { loadCatalog } from '../catalog/load'
import type { CatalogCloud } from '../catalog/types'
import { INFRA_NAMES, canonicalInfraName, isLiveInfra, type InfraName } from '../infra/types'
import { INFRA, descriptor } from '../provision/registry'
import { applyBlocked, describeBlocked } from './blocked'
import { catalogGpusByMemory, describeMemorySpec, liveGpusByMemory, withGpuName } from './by-memory'
import { cloudCandidates } from './cloud-candidates'
import { liveCandidates } from './live-candidates'
import { describeRequest, infraPart, validateRequest } from './request'
import { unavailableError } from './unavailable'
import type { BlockedResource, Candidate, OptimizeInput, Plan, Rejection } from './types'
import type { Accelerator, Resources } from '../task/types'

/** Tie-break order at equal cost, and the order infra are searched in: each descriptor's planRank. */
const rank = (infra: string) => descriptor(infra)?.planRank ?? 99
const searchOrder = (): InfraName[] => [...INFRA].sort((a, b) => a.planRank - b.planRank).map((d) => d.name)

function fmtCost(n: number): string {
  return n >= 1 ? n.toFixed(2) : n.toFixed(3)
}

function regionRank(c: Candidate, input: OptimizeInput, catalog: ReturnType<typeof loadCatalog>): number {
  if (isLiveInfra(c.infra)) {
    const list = input.enabled.regions?.[c.infra]
    const i = list ? list.indexOf(c.region) : -1
    return i < 0 ? 0 : i
  }
  return catalog.clouds.get(c.infra as CatalogCloud)?.regionIndex.get(c.region) ?? 0
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Candidates for a GPU-by-memory request: the union over every GPU type of the infra that matches. */
function byMemoryCandidates(
  infra: InfraName,
  r: Resources,
  spec: NonNullable<Accelerator['byMemory']>,
  forOne: (req: Resources) => { candidates: Candidate[]; reason?: string },
  catalog: ReturnType<typeof loadCatalog>,
  live: OptimizeInput['liveNodes'],
): { candidates: Candidate[]; reason?: string } {
  const names = isLiveInfra(infra)
    ? liveGpusByMemory(infra, live ?? [], spec)
    : (() => {
        const cat = catalog.clouds.get(infra as CatalogCloud)
        return cat ? catalogGpusByMemory(cat, spec) : []
      })()
  if (names.length === 0) return { candidates: [], reason: `no ${describeMemorySpec(spec)}` }
  const candidates: Candidate[] = []
  const reasons: string[] = []
  for (const name of names) {
    const res = forOne(withGpuName(r, name))
    candidates.push(...res.candidates)
    if (res.reason) reasons.push(res.reason)
  }
  return candidates.length ? { candidates } : { candidates: [], reason: reasons.join('; ') }
}

/** Rank every feasible candidate for the request; throws ResourcesUnavailableError when none fits. */
export function optimize(input: OptimizeInput): Plan {
  const numNodes = input.numNodes ?? 1
  if (!Number.isInteger(numNodes) || numNodes < 1) {
    throw new ValidationError([{ path: 'num_nodes', message: 'must be a whole number of at least 1', value: numNodes }])
  }
  const spec = input.spec
  if (!spec || !Array.isArray(spec.candidates) || spec.candidates.length === 0) {
    throw new ValidationError([{ path: 'resources', message: 'no resources to optimize' }])
  }
  const catalog = input.catalog ?? loadCatalog()
  const enabled = new Set(input.enabled.infra.map((n) => canonicalInfraName(n) ?? n))
  const blocked = input.blocked ?? []
  const live = input.liveNodes ?? []
  const many = spec.candidates.length > 1

  const all: Candidate[] = []
  const rejected: Rejection[] = []
  spec.candidates.forEach((r, alt) => {
    const where = many ? `resources.${spec.mode === 'ordered' ? 'ordered' : 'any_of'}[${alt}]` : 'resources'
    validateRequest(r, where)
    const pinnedRaw = infraPart(r.infra?.cloud)
    let targets: InfraName[]
    if (pinnedRaw) {
      const pinned = canonicalInfraName(pinnedRaw)
      if (!pinned) {
        rejected.push({ alternative: alt, infra: pinnedRaw, reason: `not supported (supported: ${INFRA_NAMES.join(', ')})` })
        return
      }
      targets = [pinned]
    } else targets = searchOrder()
    for (const infra of targets) {
      const cannot = input.unsupported?.(infra, r)
      if (cannot) {
        rejected.push({ alternative: alt, infra, reason: cannot })
        continue
      }
      if (!enabled.has(infra)) {
        rejected.push({ alternative: alt, infra, reason: `not enabled — ${input.enabled.disabled?.[infra] ?? 'run sky check'}` })
        continue
      }
      const forOne = (req: Resources): { candidates: Candidate[]; reason?: string } => {
        if (isLiveInfra(infra)) return liveCandidates(infra, req, alt, numNodes, live, input.enabled.regions?.[infra], blocked)
        const cat = catalog.clouds.get(infra as CatalogCloud)
        if (!cat) return { candidates: [], reason: 'no catalog data' }
        return cloudCandidates(cat, req, alt, numNodes, input.enabled.regions?.[infra])
      }
      const res = r.accelerator?.byMemory ? byMemoryCandidates(infra, r, r.accelerator.byMemory, forOne, catalog, live) : forOne(r)
      if (res.candidates.length === 0) {
        rejected.push({ alternative: alt, infra, reason: res.reason ?? 'nothing fits' })
        continue
      }
      let cands = res.candidates
      if (r.maxHourlyCost !== undefined) {
        const cheapest = cands.reduce((a, b) => (b.hourlyPrice < a.hourlyPrice ? b : a))
        cands = cands.filter((c) => c.hourlyPrice <= r.maxHourlyCost! + 1e-9)
        if (cands.length === 0) {
          rejected.push({
            alternative: alt,
            infra,
            reason: `cheapest match ${cheapest.instanceType} in ${cheapest.region} costs $${fmtCost(cheapest.hourlyPrice)}/hour, above max_hourly_cost $${r.maxHourlyCost}`,
          })
          continue
        }
      }
      const open = cands.map((c) => applyBlocked(c, blocked)).filter((c): c is Candidate => !!c)
      if (open.length === 0) {
        const tried = [...new Set(cands.map((c) => `${c.region}`))]
        rejected.push({ alternative: alt, infra, reason: `every match is blocked after failed attempts (${tried.join(', ')})` })
        continue
      }
      all.push(...open)
    }
  })

  const requests = spec.candidates.map(describeRequest)
  if (all.length === 0) throw unavailableError(spec, numNodes, requests, rejected)

  const ordered = spec.mode === 'ordered'
  all.sort(
    (a, b) =>
      (ordered ? a.alternative - b.alternative : 0) ||
      a.hourlyCost - b.hourlyCost ||
      rank(a.infra) - rank(b.infra) ||
      regionRank(a, input, catalog) - regionRank(b, input, catalog) ||
      compareText(a.instanceType, b.instanceType) ||
      a.alternative - b.alternative,
  )
  // Alternatives may overlap (any_of entries that resolve to the same offer): keep the first.
  const seen = new Set<string>()
  const candidates = all.filter((c) => {
    const k = `${c.infra}|${c.region}|${c.instanceType}|${c.useSpot}|${c.zones.join(',')}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
  return { numNodes, mode: spec.mode, candidates, chosen: candidates[0], rejected, requests }
}

/**
 * The next candidate to try after failures: the first one in plan order that the blocked list
 * leaves open (with its blocked zones removed). Throws ResourcesUnavailableError, naming what
 * was tried, when everything is blocked.
 */
export function nextCandidate(plan: Plan, blocked: readonly BlockedResource[]): Candidate {
  for (const c of plan.candidates) {
    const open = applyBlocked(c, blocked)
    if (open) return open
  }
  const tried = blocked.map(describeBlocked)
  throw new ResourcesUnavailableError(
    `Failed to provision all ${plan.candidates.length} candidate resource${plan.candidates.length === 1 ? '' : 's'} ` +
      `for ${plan.requests.join(' | ')} (${plan.numNodes} node${plan.numNodes === 1 ? '' : 's'}).` +
      (tried.length ? `\nTried and blocked:\n${tried.map((t) => `  ${t}`).join('\n')}` : ''),
    {
      hint: 'Retry later or with --retry-until-up, or widen the request (more regions or infra, other GPU types, any_of alternatives).',
      details: { blocked: [...blocked] },
    },
  )
}
