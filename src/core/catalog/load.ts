// Loads the bundled catalog (data/aws.json, data/gcp.json) on first use and expands the compact
// family tables into one offer per (instance type, region), cheapest first, with lookup indexes.
// Nothing happens at import time; the expanded catalog is memoized.
import { ValidationError } from '../errors'
import {
  CATALOG_CLOUDS,
  CATALOG_VERSION,
  type AttachableGpu,
  type Catalog,
  type CatalogCloud,
  type CatalogOffer,
  type CloudCatalog,
  type RawCloudCatalog,
  type RawAttachableGpu,
  type RawFamily,
  type RawRegion,
} from './types'

let memo: Catalog | undefined

function round(n: number, digits = 5): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** The bundled raw catalog of one cloud (parsed JSON, cached by the module loader). */
export function bundledRawCatalog(cloud: CatalogCloud): RawCloudCatalog {
  // require() keeps the JSON out of the import graph until a catalog is actually needed, and the
  // bundler still embeds the file in the compiled binary.
  if (cloud === 'aws') return require('./data/aws.json') as RawCloudCatalog
  return require('./data/gcp.json') as RawCloudCatalog
}

/** The catalog every optimizer call uses unless given another one. Loaded once. */
export function loadCatalog(): Catalog {
  if (!memo) memo = buildCatalog(CATALOG_CLOUDS.map(bundledRawCatalog))
  return memo
}

/** Forget the memoized catalog (tests, or after regenerating the data). */
export function resetCatalog(): void {
  memo = undefined
}

export function validateRawCatalog(raw: RawCloudCatalog): void {
  const where = `catalog ${raw?.cloud ?? '?'}`
  if (!raw || typeof raw !== 'object') throw new ValidationError(`${where}: not an object`)
  if (raw.version !== CATALOG_VERSION) {
    throw new ValidationError(`${where}: schema version ${raw.version} is not supported (expected ${CATALOG_VERSION})`)
  }
  if (!CATALOG_CLOUDS.includes(raw.cloud)) throw new ValidationError(`${where}: unknown cloud`)
  if (!Array.isArray(raw.regions) || !Array.isArray(raw.families)) {
    throw new ValidationError(`${where}: needs regions and families arrays`)
  }
  const regions = new Set(raw.regions.map((r) => r.name))
  for (const f of raw.families) {
    for (const r of f.regions ?? []) {
      if (!regions.has(r)) throw new ValidationError(`${where}: family ${f.family} names unknown region ${r}`)
    }
  }
}

function makeOffer(
  cloud: CatalogCloud,
  instanceType: string,
  family: string,
  vcpus: number,
  memoryGb: number,
  gpu: CatalogOffer['gpu'],
  arch: CatalogOffer['arch'],
  region: string,
  zones: string[],
  price: number,
  spotPrice: number | undefined,
  defaultFamily: boolean,
  attached: boolean,
  defaultHost: boolean,
): CatalogOffer {
  // Every offer gets the same shape (no conditional spreads): cheaper to build and to query.
  return { cloud, instanceType, family, vcpus, memoryGb, gpu, arch, region, zones, price, spotPrice, defaultFamily, attached, defaultHost }
}

function expandFamily(raw: RawCloudCatalog, regions: Map<string, RawRegion>, fam: RawFamily, out: CatalogOffer[]): void {
  const regionList = fam.regions ?? raw.regions.map((r) => r.name)
  const arch = fam.arch ?? 'x86_64'
  const isDefault = !!fam.default && !fam.gpu
  for (const regionName of regionList) {
    const region = regions.get(regionName)
    if (!region) continue
    const factor = fam.priceFactors?.[regionName] ?? region.priceFactor ?? 1
    const zones = fam.zones?.[regionName] ?? region.zones
    const exact = fam.prices?.[regionName]
    for (const [name, vcpus, mem, base, gpuCount] of fam.types) {
      const pinned = exact?.[name]
      const price = pinned ? pinned[0] : round(base * factor)
      let spotPrice: number | undefined
      if (pinned) spotPrice = pinned[1] ?? undefined
      else if (fam.spotFactor !== undefined) spotPrice = round(base * factor * fam.spotFactor)
      const gpu = fam.gpu && gpuCount ? { name: fam.gpu.name, count: gpuCount, memoryGb: fam.gpu.memoryGb } : undefined
      out.push(makeOffer(raw.cloud, name, fam.family, vcpus, mem, gpu, arch, regionName, zones, price, spotPrice, isDefault, false, false))
    }
  }
}

/** Per-GPU prices of attachable GPUs (GCP N1), without host combinations. */
function attachableSummary(raw: RawCloudCatalog, regions: Map<string, RawRegion>): AttachableGpu[] {
  return (raw.attachableGpus ?? []).map((g) => ({
    name: g.name,
    memoryGb: g.memoryGb,
    counts: g.counts.map((c) => c[0]),
    regions: Object.entries(g.regions)
      .filter(([r]) => regions.has(r))
      .map(([region, zones]) => {
        const factor = g.priceFactors?.[region] ?? regions.get(region)!.priceFactor ?? 1
        return {
          region,
          zones,
          price: round(g.price * factor),
          ...(g.spotPrice !== undefined ? { spotPrice: round(g.spotPrice * factor) } : {}),
        }
      }),
  }))
}

/** Host + GPU offers for one attachable GPU: every host type within the per-count limits, per region. */
function expandAttachable(cat: CloudCatalog, g: RawAttachableGpu, summary: AttachableGpu): CatalogOffer[] {
  const out: CatalogOffer[] = []
  const families = new Set(g.hostFamilies)
  const hosts = cat.offers.filter((h) => families.has(h.family) && !h.gpu)
  for (const r of summary.regions) {
    for (const h of hosts) {
      if (h.region !== r.region) continue
      const hostZones = h.zones.filter((z) => r.zones.includes(z))
      if (hostZones.length === 0) continue
      const highmem = h.family.endsWith('-highmem')
      for (const [count, defaultCpus, maxCpus, maxMem] of g.counts) {
        if (h.vcpus > maxCpus || h.memoryGb > maxMem) continue
        const spot = h.spotPrice !== undefined && r.spotPrice !== undefined ? round(h.spotPrice + r.spotPrice * count) : undefined
        out.push(
          makeOffer(cat.cloud, h.instanceType, h.family, h.vcpus, h.memoryGb, { name: g.name, count, memoryGb: g.memoryGb }, h.arch,
            r.region, hostZones, round(h.price + r.price * count), spot, false, true, highmem && h.vcpus === defaultCpus),
        )
      }
    }
  }
  return out
}

const attachedCache = new WeakMap<CloudCatalog, Map<string, CatalogOffer[]>>()
const rawOf = new WeakMap<CloudCatalog, RawCloudCatalog>()

/**
 * Every offer carrying the accelerator (catalog spelling, any case): instance types that come
 * with it, plus host + GPU combinations for attachable GPUs, which are expanded on first use.
 */
export function acceleratorOffers(cat: CloudCatalog, name: string): CatalogOffer[] {
  const key = name.toLowerCase()
  const base = cat.byAccelerator.get(key) ?? []
  const summary = cat.attachable.find((a) => a.name.toLowerCase() === key)
  if (!summary) return base
  let cache = attachedCache.get(cat)
  if (!cache) attachedCache.set(cat, (cache = new Map()))
  let attached = cache.get(key)
  if (!attached) {
    const raw = rawOf.get(cat)?.attachableGpus?.find((g) => g.name.toLowerCase() === key)
    attached = raw ? expandAttachable(cat, raw, summary) : []
    cache.set(key, attached)
  }
  return base.length ? base.concat(attached) : attached
}

/** Expand one cloud's compact catalog. */
export function buildCloudCatalog(raw: RawCloudCatalog): CloudCatalog {
  validateRawCatalog(raw)
  const regions = new Map(raw.regions.map((r) => [r.name, r]))
  const offers: CatalogOffer[] = []
  for (const fam of raw.families) expandFamily(raw, regions, fam, offers)
  const attachable = attachableSummary(raw, regions)
  const regionIndex = new Map(raw.regions.map((r, i) => [r.name, i]))
  const byInstanceType = new Map<string, CatalogOffer[]>()
  const byAccelerator = new Map<string, CatalogOffer[]>()
  const defaultOffers: CatalogOffer[] = []
  for (const o of offers) {
    let t = byInstanceType.get(o.instanceType)
    if (!t) byInstanceType.set(o.instanceType, (t = []))
    t.push(o)
    if (o.gpu) {
      const k = o.gpu.name.toLowerCase()
      let l = byAccelerator.get(k)
      if (!l) byAccelerator.set(k, (l = []))
      l.push(o)
    }
    if (o.defaultFamily) defaultOffers.push(o)
  }
  const cat: CloudCatalog = {
    cloud: raw.cloud,
    generatedAt: raw.generated_at,
    ...(raw.source ? { source: raw.source } : {}),
    version: raw.version,
    regions: raw.regions.map((r) => ({ name: r.name, zones: r.zones })),
    offers,
    byInstanceType,
    byAccelerator,
    defaultOffers,
    attachable,
    regionIndex,
  }
  rawOf.set(cat, raw)
  return cat
}

/** Expand several clouds' compact catalogs into one queryable catalog. */
export function buildCatalog(raws: RawCloudCatalog[]): Catalog {
  const clouds = new Map<CatalogCloud, CloudCatalog>()
  for (const raw of raws) clouds.set(raw.cloud, buildCloudCatalog(raw))
  return { version: CATALOG_VERSION, clouds }
}
