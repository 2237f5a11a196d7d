// Inputs and outputs of the optimizer: what may be used (enabled infra, live nodes, the catalog,
// what failed before) and the ranked list of concrete candidates it returns.
import type { Catalog } from '../catalog/types'
import type { EnabledInfra, InfraName, LiveNode } from '../infra/types'
import type { Resources, ResourcesSpec } from '../task/types'

export type { EnabledInfra, LiveNode }

/**
 * Something that failed to provision and must not be tried again: a whole infra, a region
 * (or Kubernetes context / SSH pool), or one zone; optionally only for one instance type or
 * market (spot / on-demand).
 */
export interface BlockedResource {
  infra: string
  region?: string
  zone?: string
  instanceType?: string
  useSpot?: boolean
  /** Live infra: one node (SSH host, Kubernetes node) that failed; the optimizer plans around it. */
  node?: string
}

export interface OptimizeInput {
  spec: ResourcesSpec
  /** Default 1. */
  numNodes?: number
  enabled: EnabledInfra
  /** Nodes of local / SSH / Kubernetes infra (with their capacity). */
  liveNodes?: LiveNode[]
  blocked?: BlockedResource[]
  /** Default: the bundled catalog (loadCatalog()). */
  catalog?: Catalog
  /**
   * Why an infra cannot run this alternative at all (a docker image, cloud storage, volumes it has
   * no support for); undefined when it can. Such infra is rejected with that reason.
   */
  unsupported?: (infra: InfraName, request: Resources) => string | undefined
}

/** One concrete way to run the task: infra, place, instance type and market. */
export interface Candidate {
  infra: InfraName
  /** Cloud region, Kubernetes context, SSH pool, or `local`. */
  region: string
  /** Zones to try in order (empty for live infra). */
  zones: string[]
  /** Catalog instance type; for live infra a synthesized `4CPU--16GB--L4:1`. */
  instanceType: string
  useSpot: boolean
  /** Per node. */
  vcpus: number
  memoryGb: number
  gpu?: { name: string; count: number }
  /** USD per hour for one node. */
  hourlyPrice: number
  /** USD per hour for all nodes. */
  hourlyCost: number
  /** Index of the alternative (spec.candidates) this candidate satisfies. */
  alternative: number
  /** The requested resources this candidate satisfies. */
  request: Resources
  /** Live infra: the nodes that would host the cluster, in rank order. */
  nodes?: string[]
}

/** Why an infra gave nothing for one alternative. */
export interface Rejection {
  alternative: number
  infra: string
  reason: string
}

export interface Plan {
  numNodes: number
  mode: ResourcesSpec['mode']
  /** Ranked: cheapest first (`ordered`: by the user's order, then cost). `candidates[0]` is chosen. */
  candidates: Candidate[]
  chosen: Candidate
  /** Infra that produced nothing, per alternative (for --verbose output and error messages). */
  rejected: Rejection[]
  /** Text describing each alternative, e.g. `8x H100 (spot)`. */
  requests: string[]
}
