// Helpers every infra shares for handles: what a client may see, and the capability table.
import type { Capabilities, ClusterHandle } from './types'

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
