// Catalog queries: which offers of one cloud satisfy an instance type / CPU / memory / GPU /
// region / zone / spot request. When nothing matches, the result says why, in words a user can
// act on ("no instance type with 8x H100 in us-west-1 (offered in: us-east-1, us-west-2)").
import type { AtLeast } from '../task/types'
import { canonicalAcceleratorName } from './accelerators'
import { acceleratorOffers } from './load'
import type { CatalogOffer, CloudCatalog } from './types'

/** Memory: absolute GB (exact or at least), or at least `perCpu` GB per vCPU (SkyPilot's `4x`). */
export type MemoryRequest = AtLeast | PerCpuMemory

export interface PerCpuMemory {
  perCpu: number
}

export function isPerCpu(m: MemoryRequest): m is PerCpuMemory {
  return typeof (m as PerCpuMemory).perCpu === 'number'
}

export interface OfferQuery {
  instanceType?: string
  cpus?: AtLeast
  memory?: MemoryRequest
  accelerator?: { name: string; count: number }
  region?: string
  zone?: string
  /** Only these regions (image_id maps, allowed regions); undefined = all. */
  allowedRegions?: ReadonlySet<string>
  useSpot?: boolean
}

export interface OfferQueryResult {
  offers: CatalogOffer[]
  /** Set when offers is empty. */
  reason?: string
}

/** SkyPilot's default for CPU-only requests: at least 8 vCPUs, at least 4 GB per vCPU. */
export const DEFAULT_CPUS: AtLeast = { value: 8, orMore: true }
export const DEFAULT_MEMORY_PER_CPU = 4

export function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100)
}

export function describeAtLeast(a: AtLeast, unit: string): string {
  return `${fmtNum(a.value)}${a.orMore ? '+' : ''} ${unit}`
}

export function describeMemory(m: MemoryRequest): string {
  return isPerCpu(m) ? `${fmtNum(m.perCpu)}x memory per vCPU` : describeAtLeast(m, 'GB memory')
}

/** GPUs an instance needs for a requested count: fractional counts round up to whole devices. */
export function wholeGpus(count: number): number {
  return Number.isInteger(count) ? count : Math.ceil(count)
}

function matchesCpus(o: CatalogOffer, c: AtLeast | undefined): boolean {
  if (!c) return true
  return c.orMore ? o.vcpus >= c.value : Math.abs(o.vcpus - c.value) < 1e-6
}

function matchesMemory(o: CatalogOffer, m: MemoryRequest | undefined): boolean {
  if (!m) return true
  if (isPerCpu(m)) return o.memoryGb >= o.vcpus * m.perCpu - 1e-6
  return m.orMore ? o.memoryGb >= m.value - 1e-6 : Math.abs(o.memoryGb - m.value) < 0.5
}

function sizeClause(q: OfferQuery): string {
  const parts: string[] = []
  if (q.cpus) parts.push(describeAtLeast(q.cpus, 'vCPUs'))
  if (q.memory) parts.push(describeMemory(q.memory))
  return parts.join(', ')
}

function regionsOf(offers: CatalogOffer[]): string[] {
  return [...new Set(offers.map((o) => o.region))]
}

function listShort(items: string[], max = 6): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, ... (${items.length} in all)`
}

/** Narrow by region / zone / allowed regions, explaining where the request is offered otherwise. */
function placeFilter(offers: CatalogOffer[], q: OfferQuery, what: string): OfferQueryResult {
  let out = offers
  if (q.allowedRegions) {
    out = out.filter((o) => q.allowedRegions!.has(o.region))
    if (out.length === 0) {
      return {
        offers: [],
        reason: `no ${what} in the allowed regions ${listShort([...q.allowedRegions])} (offered in: ${listShort(regionsOf(offers))})`,
      }
    }
  }
  if (q.region) {
    const before = out
    out = out.filter((o) => o.region === q.region)
    if (out.length === 0) {
      return { offers: [], reason: `no ${what} in ${q.region} (offered in: ${listShort(regionsOf(before))})` }
    }
  }
  if (q.zone) {
    const before = out
    out = out.filter((o) => o.zones.includes(q.zone!)).map((o) => ({ ...o, zones: [q.zone!] }))
    if (out.length === 0) {
      const zones = [...new Set(before.flatMap((o) => o.zones))]
      return { offers: [], reason: `no ${what} in zone ${q.zone} (offered in zones: ${listShort(zones)})` }
    }
  }
  if (q.useSpot) {
    const before = out
    out = out.filter((o) => o.spotPrice !== undefined)
    if (out.length === 0 && before.length > 0) return { offers: [], reason: `${what} has no spot market` }
  }
  return { offers: out }
}

function gpuQuery(cat: CloudCatalog, q: OfferQuery): OfferQueryResult {
  const acc = q.accelerator!
  const name = canonicalAcceleratorName(acc.name)
  const need = wholeGpus(acc.count)
  const what = `instance type with ${fmtNum(acc.count)}x ${name}`
  let all = acceleratorOffers(cat, name)
  if (q.instanceType) {
    all = all.filter((o) => o.instanceType === q.instanceType)
    if (all.length === 0) return { offers: [], reason: `instance type ${q.instanceType} does not come with ${name}` }
  }
  if (all.length === 0) return { offers: [], reason: `no instance type with ${name}` }
  let offers = all.filter((o) => o.gpu!.count === need)
  if (offers.length === 0) {
    const counts = [...new Set(all.map((o) => o.gpu!.count))].sort((a, b) => a - b)
    return { offers: [], reason: `no ${what} (${name} comes in counts: ${counts.join(', ')})` }
  }
  const sized = !!(q.cpus || q.memory)
  if (sized) {
    const before = offers
    offers = offers.filter((o) => matchesCpus(o, q.cpus) && matchesMemory(o, q.memory))
    if (offers.length === 0) {
      const shapes = [...new Set(before.map((o) => `${fmtNum(o.vcpus)} vCPUs/${fmtNum(o.memoryGb)} GB`))]
      return { offers: [], reason: `no ${what} and ${sizeClause(q)} (available: ${listShort(shapes, 4)})` }
    }
  } else if (!q.instanceType) {
    // Attached GPUs (GCP N1): without a size request use the default host for the GPU count.
    offers = offers.filter((o) => !o.attached || o.defaultHost)
  }
  return placeFilter(offers, q, what)
}

function instanceTypeQuery(cat: CloudCatalog, q: OfferQuery): OfferQueryResult {
  const it = q.instanceType!
  const offers = cat.byInstanceType.get(it)
  if (!offers) return { offers: [], reason: `no instance type ${it}` }
  const sized = offers.filter((o) => matchesCpus(o, q.cpus) && matchesMemory(o, q.memory))
  if (sized.length === 0) {
    const o = offers[0]
    return {
      offers: [],
      reason: `${it} has ${fmtNum(o.vcpus)} vCPUs and ${fmtNum(o.memoryGb)} GB, not ${sizeClause(q)}`,
    }
  }
  return placeFilter(sized, q, `instance type ${it}`)
}

/** Cheapest first; ties by the catalog's region order, then instance type, then GPU count. */
export function sortOffers(cat: CloudCatalog, offers: CatalogOffer[]): CatalogOffer[] {
  const ri = cat.regionIndex
  return offers.sort(
    (a, b) =>
      a.price - b.price ||
      (ri.get(a.region) ?? 0) - (ri.get(b.region) ?? 0) ||
      (a.instanceType < b.instanceType ? -1 : a.instanceType > b.instanceType ? 1 : 0) ||
      (a.gpu?.count ?? 0) - (b.gpu?.count ?? 0),
  )
}

function cpuQuery(cat: CloudCatalog, q: OfferQuery): OfferQueryResult {
  const cpus = q.cpus ?? (q.memory ? undefined : DEFAULT_CPUS)
  const memory = q.memory ?? { perCpu: DEFAULT_MEMORY_PER_CPU }
  const what = `instance type with ${[cpus && describeAtLeast(cpus, 'vCPUs'), describeMemory(memory)].filter(Boolean).join(' and ')}`
  const sized = cat.defaultOffers.filter((o) => matchesCpus(o, cpus) && matchesMemory(o, memory))
  if (sized.length === 0) return { offers: [], reason: `no ${what}` }
  const placed = placeFilter(sized, q, what)
  if (placed.offers.length === 0) return placed
  // One instance type per cloud, like SkyPilot: the cheapest one, in every region that has it.
  const best = sortOffers(cat, placed.offers.slice())[0].instanceType
  return { offers: placed.offers.filter((o) => o.instanceType === best) }
}

/** Offers of one cloud that satisfy the query, cheapest first; or why there are none. */
export function queryOffers(cat: CloudCatalog, q: OfferQuery): OfferQueryResult {
  if (q.region && !cat.regionIndex.has(q.region)) {
    return { offers: [], reason: `${q.region} is not a region of this catalog (regions: ${listShort(cat.regions.map((r) => r.name))})` }
  }
  if (q.zone) {
    const owner = cat.regions.find((r) => r.zones.includes(q.zone!))
    if (!owner || (q.region && owner.name !== q.region)) {
      return { offers: [], reason: `${q.zone} is not a zone${q.region ? ` of ${q.region}` : ' of this catalog'}` }
    }
  }
  const res = q.accelerator ? gpuQuery(cat, q) : q.instanceType ? instanceTypeQuery(cat, q) : cpuQuery(cat, q)
  if (res.offers.length > 1) sortOffers(cat, res.offers)
  return res
}

/** Region that owns a zone, if any. */
export function regionOfZone(cat: CloudCatalog, zone: string): string | undefined {
  return cat.regions.find((r) => r.zones.includes(zone))?.name
}

/** GPU counts a cloud offers per accelerator (catalog spelling → sorted counts). */
export function acceleratorCounts(cat: CloudCatalog): Map<string, number[]> {
  const out = new Map<string, Set<number>>()
  const add = (name: string, count: number) => {
    let s = out.get(name)
    if (!s) out.set(name, (s = new Set()))
    s.add(count)
  }
  for (const o of cat.offers) if (o.gpu) add(o.gpu.name, o.gpu.count)
  for (const a of cat.attachable) for (const c of a.counts) add(a.name, c)
  return new Map([...out].map(([k, v]) => [k, [...v].sort((a, b) => a - b)]))
}
