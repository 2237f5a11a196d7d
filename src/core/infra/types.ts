// Infra names and the capacity model of live-capacity infra (this machine, SSH node pools,
// Kubernetes contexts), which have nodes instead of a price catalog.

/** Infra this implementation knows, in the order `sky check` reports them. */
export const INFRA_NAMES = ['local', 'ssh', 'kubernetes', 'aws', 'gcp'] as const
export type InfraName = (typeof INFRA_NAMES)[number]

export type LiveInfraName = 'local' | 'ssh' | 'kubernetes'

export const LIVE_INFRA: readonly LiveInfraName[] = ['local', 'ssh', 'kubernetes']

export function isLiveInfra(name: string): name is LiveInfraName {
  return (LIVE_INFRA as readonly string[]).includes(name)
}

/** Canonical infra name for user spellings (`k8s` → `kubernetes`); undefined for unknown. */
export function canonicalInfraName(name: string | undefined): InfraName | undefined {
  if (!name) return undefined
  const n = name.trim().toLowerCase()
  if (n === 'k8s') return 'kubernetes'
  return (INFRA_NAMES as readonly string[]).includes(n) ? (n as InfraName) : undefined
}

/** How SkyPilot prints an infra name: AWS, GCP, Kubernetes, SSH, Local. */
export function infraDisplayName(name: string): string {
  switch (name) {
    case 'aws':
      return 'AWS'
    case 'gcp':
      return 'GCP'
    case 'kubernetes':
    case 'k8s':
      return 'Kubernetes'
    case 'ssh':
      return 'SSH'
    case 'local':
      return 'Local'
    default:
      return name
  }
}

export interface NodeGpus {
  /** Catalog spelling, e.g. `H100`, `L4`. */
  name: string
  count: number
  /** Per device, when known. */
  memoryGb?: number
}

/**
 * One node of a live-capacity infra: it costs nothing per hour and fits a request when its
 * CPUs, memory and GPUs (of the right name) cover it.
 */
export interface LiveNode {
  infra: LiveInfraName
  /** SSH pool name or Kubernetes context; `local` for this machine. */
  region: string
  name: string
  cpus: number
  memoryGb: number
  gpus?: NodeGpus
  /** What is still free when known (e.g. Kubernetes allocatable minus requests); defaults to the totals. */
  free?: { cpus?: number; memoryGb?: number; gpus?: number }
}

/**
 * Infra the optimizer may use, as `sky check` found it. `regions` optionally narrows an infra to
 * some regions: Kubernetes contexts, SSH pool names, or allowed cloud regions.
 */
export interface EnabledInfra {
  infra: string[]
  regions?: Partial<Record<string, string[]>>
  /** Why an infra is off, when a check says (e.g. left out by allowed_clouds). */
  disabled?: Partial<Record<string, string>>
}
