// Infra names and the capacity model of live-capacity infra (this machine, SSH node pools,
// Kubernetes contexts), which have nodes instead of a price catalog.

import { INFRA, descriptor } from '../provision/registry'

/** Infra this build knows, in the order `sky check` reports them (from the registry). */
export const INFRA_NAMES: readonly string[] = INFRA.map((d) => d.name)
export type InfraName = string

/** Infra with nodes and capacity instead of a price catalog (local, SSH pools, Kubernetes). */
export type LiveInfraName = string

export function isLiveInfra(name: string): boolean {
  return descriptor(name)?.kind === 'live'
}

/** Canonical infra name for user spellings (`k8s` → `kubernetes`); undefined for unknown. */
export function canonicalInfraName(name: string | undefined): InfraName | undefined {
  return descriptor(name)?.name
}

/** How SkyPilot prints an infra name: AWS, GCP, Kubernetes, SSH, Local. */
export function infraDisplayName(name: string): string {
  return descriptor(name)?.displayName ?? name
}

/** The status INFRA column: `SSH (my-pool)`, `AWS (us-east-1)`, `Local`. */
export function infraLabel(name: string, region?: string | null, zone?: string | null): string {
  const d = descriptor(name)
  return d ? d.label(region, zone) : region ? `${name} (${region})` : name
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
  /** Several nodes of one cluster may share this node (the local machine): each takes its own share. */
  shared?: boolean
  /** What a node of a cluster gets when the task asks for no CPUs / memory here. */
  defaults?: { cpus: number; memoryGbPerCpu: number; memoryGbPerCpuWithGpus: number }
  /** The region could not be asked (API server unreachable...): this entry is no node, only why. */
  error?: string
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
