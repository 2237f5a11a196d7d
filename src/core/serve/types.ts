// The persisted shape of a service (src/core/state/services.ts), and how a replica and an
// endpoint read on the wire (src/api/wire.ts: snake_case, seconds).
import type { AutoscalerState, UpdateMode } from './autoscaler'
import type { ReplicaStatus, ServiceStatus } from './status'
import type { UploadRefs } from '../uploads/sources'

export interface ServiceRecord {
  name: string
  userId: string
  userName: string
  userRole: string | null
  workspace: string
  status: ServiceStatus
  lbHost: string
  lbPort: number
  currentVersion: number
  activeVersions: number[]
  nextReplicaId: number
  downRequested: boolean
  purge: boolean
  /** When the first replica became ready (epoch ms). */
  uptime: number | null
  autoscaler: AutoscalerState | null
  failure: string | null
  /** The client's config layers at `serve up` (applied to replica launches). */
  config: Record<string, unknown> | null
  requestId: string | null
  createdAt: number
  updatedAt: number
}

export interface ServiceVersion {
  service: string
  version: number
  taskYaml: string
  mode: UpdateMode
  /** What the client uploaded for this version (a deployed server syncs only that). */
  uploads: UploadRefs | null
  createdAt: number
}

/** Where a replica on local infra got its own network (netns/): enough to reach and remove it. */
export type ReplicaNetworkRecord = Record<string, unknown> & { mode: 'netns' | 'userns'; tag: string; replicaId: number; port: number }

export interface ReplicaRecord {
  service: string
  replicaId: number
  version: number
  status: ReplicaStatus
  clusterName: string
  /** The cluster may exist (launched or being launched, not yet torn down). */
  clusterLive: boolean
  url: string | null
  cloud: string | null
  region: string | null
  isSpot: boolean
  agentJobId: number | null
  network: ReplicaNetworkRecord | null
  /** When the replica's job was submitted: the initial delay counts from here. */
  launchedAt: number | null
  firstReadyAt: number | null
  failingSince: number | null
  removeRequested: boolean
  failure: string | null
  createdAt: number
  updatedAt: number
}

export interface TokenRecord {
  service: string
  name: string
  hash: string
  hint: string
  createdBy: string
  createdAt: number
  revokedAt: number | null
}

// ── Wire ─────────────────────────────────────────────────────────────────────────────────────

// The wire types are the API contract's (src/api/wire.ts); these names are what core code uses.
export type { ServeReplica as ReplicaWire, Service as ServiceWire } from '../../api/wire'
import type { ServeReplica } from '../../api/wire'

const sec = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000))

export function replicaToWire(r: ReplicaRecord): ServeReplica {
  return {
    service_name: r.service,
    replica_id: r.replicaId,
    version: r.version,
    status: r.status,
    cluster_name: r.clusterName,
    endpoint: r.url,
    infra: r.cloud ? (r.region && r.region !== r.cloud ? `${r.cloud}/${r.region}` : r.cloud) : null,
    is_spot: r.isSpot,
    launched_at: sec(r.launchedAt),
    failure: r.failure,
  }
}

/**
 * The URL users reach the service at. A load balancer on every interface (a deployed server) is
 * shown at `serve.endpoint_host` from the server's config when set (its public name).
 */
export function serviceEndpoint(s: Pick<ServiceRecord, 'lbHost' | 'lbPort'>, tls: boolean, publicHost?: string): string {
  const host = s.lbHost === '0.0.0.0' ? (publicHost ?? '127.0.0.1') : s.lbHost
  return `${tls ? 'https' : 'http'}://${host}:${s.lbPort}`
}
