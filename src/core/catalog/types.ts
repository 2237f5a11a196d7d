// Shapes of the bundled price catalog: the compact on-disk form (one JSON file per cloud, written
// by hand or by scripts/gen-catalog.ts) and the expanded in-memory form the optimizer queries.

export type CatalogCloud = 'aws' | 'gcp'

export const CATALOG_CLOUDS: readonly CatalogCloud[] = ['aws', 'gcp']

export const CATALOG_VERSION = 1

// ---------------------------------------------------------------------------------------------
// Compact form (data/*.json)
// ---------------------------------------------------------------------------------------------

export interface RawRegion {
  name: string
  zones: string[]
  /** Multiplier on the family's base (first-region) prices; 1 when absent. */
  priceFactor?: number
}

/** `[instanceType, vCPUs, memoryGiB, basePrice, gpuCount?]`; basePrice is on-demand USD/hour. */
export type RawInstanceType = [string, number, number, number, number?]

export interface RawFamily {
  family: string
  arch?: 'x86_64' | 'arm64'
  /** The GPU every type of this family carries (count per type is in the type tuple). */
  gpu?: { name: string; memoryGb: number }
  /** Spot price as a fraction of on-demand; absent = no spot market for this family. */
  spotFactor?: number
  /** Part of the cloud's default families (used when no instance type or GPU is requested). */
  default?: boolean
  /** Regions offering the family; absent = every region of the cloud. */
  regions?: string[]
  /** Zones per region where the family is offered; absent = every zone of the region. */
  zones?: Record<string, string[]>
  /** Per-region override of the region's price factor for this family. */
  priceFactors?: Record<string, number>
  /** Exact per-region prices `{region: {type: [onDemand, spot|null]}}`, winning over factors. */
  prices?: Record<string, Record<string, [number, number | null]>>
  types: RawInstanceType[]
}

/** A GPU attached to a general-purpose host VM (GCP N1): the GPU is priced on its own. */
export interface RawAttachableGpu {
  name: string
  memoryGb: number
  /** On-demand and spot USD/hour per GPU in the cloud's first region. */
  price: number
  spotPrice?: number
  /** Host families the GPU can be attached to. */
  hostFamilies: string[]
  /** `[gpuCount, defaultHostVcpus, maxHostVcpus, maxHostMemoryGiB]` */
  counts: [number, number, number, number][]
  /** Region → zones offering the GPU. */
  regions: Record<string, string[]>
  priceFactors?: Record<string, number>
}

export interface RawCloudCatalog {
  version: number
  cloud: CatalogCloud
  generated_at: string
  source?: string
  currency?: 'USD'
  regions: RawRegion[]
  families: RawFamily[]
  attachableGpus?: RawAttachableGpu[]
  /** Boot images by role (`cpu`, `gpu`) and by SkyPilot image tag (`skypilot:gpu-ubuntu-2204`). */
  images?: Record<string, string>
}

// ---------------------------------------------------------------------------------------------
// Expanded form
// ---------------------------------------------------------------------------------------------

export interface GpuSpec {
  name: string
  count: number
  /** Per device. */
  memoryGb: number
}

/** One instance type in one region: what the optimizer and `sky gpus list` read. */
export interface CatalogOffer {
  cloud: CatalogCloud
  instanceType: string
  family: string
  vcpus: number
  memoryGb: number
  gpu: GpuSpec | undefined
  arch: 'x86_64' | 'arm64'
  region: string
  zones: string[]
  /** On-demand USD/hour. */
  price: number
  /** Spot USD/hour; undefined when the type has no spot market. */
  spotPrice: number | undefined
  /** The type belongs to one of the cloud's default CPU families. */
  defaultFamily: boolean
  /** Host + attached GPU combination (GCP N1). */
  attached: boolean
  /** For attached combinations: this host is the default one for the GPU count. */
  defaultHost: boolean
}

export interface RegionInfo {
  name: string
  zones: string[]
}

export interface AttachableGpu {
  name: string
  memoryGb: number
  counts: number[]
  /** Per-region price of one GPU (without host). */
  regions: { region: string; zones: string[]; price: number; spotPrice?: number }[]
}

export interface CloudCatalog {
  cloud: CatalogCloud
  generatedAt: string
  /** Where the figures come from (shown next to prices). */
  source?: string
  version: number
  regions: RegionInfo[]
  /**
   * Every instance-type offer, in data order (family, region, type); queries sort what they
   * return. Host + GPU combinations of attachable GPUs are not here: see acceleratorOffers().
   */
  offers: CatalogOffer[]
  byInstanceType: Map<string, CatalogOffer[]>
  /** Lower-cased accelerator name → instance types that come with it (not attachable GPUs). */
  byAccelerator: Map<string, CatalogOffer[]>
  /** Offers of the default CPU families (no GPU). */
  defaultOffers: CatalogOffer[]
  attachable: AttachableGpu[]
  regionIndex: Map<string, number>
}

export interface Catalog {
  version: number
  clouds: Map<CatalogCloud, CloudCatalog>
}
