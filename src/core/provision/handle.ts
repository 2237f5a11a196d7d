// Helpers every infra shares for handles: what a client may see, and the capability table.
import type { Capabilities, ClusterHandle, LaunchedResources } from './types'

/** The handle without each node's `connect` (server-side reach, passwords included) or provider data. */
export function withoutConnect(h: ClusterHandle): Record<string, unknown> {
  const { provider: _p, ...rest } = h
  return { ...rest, nodes: h.nodes.map(({ connect: _c, ...n }) => n) }
}

export const NO_CAPABILITIES: Capabilities = {
  stop: false,
  spot: false,
  multiNode: false,
  ports: false,
  gpus: false,
  storage: false,
  containers: false,
  volumes: false,
  zones: false,
  images: false,
  disks: false,
  autostop: false,
}

/** Turn an older stored handle (v1: `cloud`, no nameOnCloud, nodes without ids) into the v2 shape. */
export function normalizeHandle(raw: Record<string, unknown>, nameOnCloud: string): ClusterHandle {
  const h = raw as unknown as ClusterHandle & { cloud?: string }
  const infra = h.infra ?? h.cloud ?? 'local'
  return {
    ...h,
    infra,
    nameOnCloud: h.nameOnCloud ?? nameOnCloud,
    nodes: (h.nodes ?? []).map((n, rank) => ({ ...n, id: n.id ?? `${rank}` })),
  }
}

/**
 * The `sky check` line of an infra this build plans over but cannot launch on: never enabled,
 * whatever credentials exist (they are named, so the user knows what would be used).
 */
export function unsupportedCheck(infra: string, credentials: { found: boolean; detail: string }, regions?: string[]): import('./types').InfraCheck {
  const why = credentials.found ? `credentials: ${credentials.detail}` : credentials.detail
  return { infra, enabled: false, reason: `not supported by this build (${why})`, capabilities: [], ...(regions?.length ? { regions } : {}) }
}

/** A config list such as `kubernetes.allowed_contexts`. */
export function configList(config: Record<string, unknown> | undefined, section: string, key: string): string[] | undefined {
  const s = config?.[section]
  const v = s && typeof s === 'object' ? (s as Record<string, unknown>)[key] : undefined
  return Array.isArray(v) ? v.map(String) : undefined
}

/**
 * Launched resources that ask for nothing but `numNodes` nodes in `region` (and `zone`) of
 * `infra`: what a provider look-up by tag needs (release on the node, clusters recorded before
 * launched resources existed), and the base that tests fill in.
 */
export function bareResources(infra: string, region: string, numNodes: number, zone: string | null = null): LaunchedResources {
  return {
    infra,
    region,
    zone,
    instanceType: null,
    useSpot: false,
    numNodes,
    cpus: 0,
    memoryGb: 0,
    accelerators: null,
    diskSizeGb: null,
    diskTier: null,
    networkTier: null,
    imageId: null,
    ports: [],
    labels: {},
    hosts: null,
    hourlyPrice: 0,
  }
}
