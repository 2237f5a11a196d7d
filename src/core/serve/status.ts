// Replica and service statuses as SkyPilot names them, and what follows from them: which are
// terminal or failed, the order replicas are picked for scale-down, and the service status
// derived from its replicas.

export const REPLICA_STATUSES = [
  'PENDING',
  'PROVISIONING',
  'STARTING',
  'READY',
  'NOT_READY',
  'SHUTTING_DOWN',
  'FAILED',
  'FAILED_INITIAL_DELAY',
  'FAILED_PROBING',
  'FAILED_PROVISION',
  'FAILED_CLEANUP',
  'PREEMPTED',
  'UNKNOWN',
] as const
export type ReplicaStatus = (typeof REPLICA_STATUSES)[number]

export const SERVICE_STATUSES = ['CONTROLLER_INIT', 'REPLICA_INIT', 'CONTROLLER_FAILED', 'READY', 'SHUTTING_DOWN', 'FAILED', 'FAILED_CLEANUP', 'NO_REPLICA'] as const
export type ServiceStatus = (typeof SERVICE_STATUSES)[number]

/** Statuses that mean the replica failed for good (it is torn down, not probed again). */
export const FAILED_REPLICA_STATUSES: ReadonlySet<ReplicaStatus> = new Set(['FAILED', 'FAILED_INITIAL_DELAY', 'FAILED_PROBING', 'FAILED_PROVISION', 'FAILED_CLEANUP', 'UNKNOWN'])

/** Replicas in these statuses no longer count towards the service's size. */
export const TERMINAL_REPLICA_STATUSES: ReadonlySet<ReplicaStatus> = new Set([...FAILED_REPLICA_STATUSES, 'SHUTTING_DOWN', 'PREEMPTED'])

/** Scale-down picks replicas in this order: the least useful first. */
export const SCALE_DOWN_ORDER: readonly ReplicaStatus[] = ['PENDING', 'PROVISIONING', 'STARTING', 'NOT_READY', 'READY']

export const isTerminal = (s: ReplicaStatus): boolean => TERMINAL_REPLICA_STATUSES.has(s)
export const isFailed = (s: ReplicaStatus): boolean => FAILED_REPLICA_STATUSES.has(s)

/** Service statuses the controller sets itself; replica states do not override them. */
const CONTROLLER_OWNED: ReadonlySet<ServiceStatus> = new Set(['CONTROLLER_INIT', 'CONTROLLER_FAILED', 'SHUTTING_DOWN', 'FAILED_CLEANUP'])

/**
 * The service status from its replicas: none ⇒ NO_REPLICA; any READY ⇒ READY; else any failed
 * ⇒ FAILED; else REPLICA_INIT. A status the controller owns (initialising,
 * failed, shutting down) stays as it is.
 */
export function deriveServiceStatus(current: ServiceStatus | undefined, replicas: readonly ReplicaStatus[]): ServiceStatus {
  if (current && CONTROLLER_OWNED.has(current)) return current
  if (replicas.length === 0) return 'NO_REPLICA'
  if (replicas.includes('READY')) return 'READY'
  if (replicas.some(isFailed)) return 'FAILED'
  return 'REPLICA_INIT'
}

export interface ReplicaRef {
  replicaId: number
  version: number
  status: ReplicaStatus
}

/**
 * Replicas to remove, `n` of them: by status in SCALE_DOWN_ORDER (pending before ready), then
 * older versions first, then the newest replica (highest id) first.
 */
export function selectForScaleDown<T extends ReplicaRef>(replicas: readonly T[], n: number): T[] {
  if (n <= 0) return []
  const rank = (s: ReplicaStatus) => {
    const i = SCALE_DOWN_ORDER.indexOf(s)
    return i < 0 ? SCALE_DOWN_ORDER.length : i
  }
  return replicas
    .filter((r) => !isTerminal(r.status))
    .sort((a, b) => rank(a.status) - rank(b.status) || a.version - b.version || b.replicaId - a.replicaId)
    .slice(0, n)
}
