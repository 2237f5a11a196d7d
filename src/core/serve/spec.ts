// The typed service spec with SkyPilot's defaults, built from a validated `service:` mapping
// (spec-check.ts), and the checks that need the rest of the task (the replica port, spot).
import { ValidationError } from '../errors'
import { Issues, type Json } from '../task/issues'
import type { Task } from '../task/types'
import type { TargetQps } from './accelerator-match'
import { DEFAULT_STREAM_TIMEOUT_SECONDS } from './constants'
import { DEFAULT_LB_POLICY, type LbPolicyName } from './lb/policies'
import { checkServiceSection } from './spec-check'

export const DEFAULTS = {
  readinessPath: '/',
  initialDelaySeconds: 1200,
  timeoutSeconds: 15,
  probeIntervalSeconds: 10,
  failureThresholdSeconds: 180,
  minReplicas: 1,
  upscaleDelaySeconds: 300,
  downscaleDelaySeconds: 1200,
} as const

export interface ReadinessProbeSpec {
  path: string
  initialDelaySeconds: number
  timeoutSeconds: number
  /** Seconds between probes (`endpoint_probe_interval_seconds`). */
  intervalSeconds: number
  /** A ready replica failing this long is replaced (`consecutive_failure_threshold_timeout`). */
  failureThresholdSeconds: number
  /** Present: the probe is a POST with this JSON body. */
  postData?: unknown
  headers?: Record<string, string>
}

export interface ReplicaPolicySpec {
  minReplicas: number
  /** Equal to minReplicas when the service does not autoscale. */
  maxReplicas: number
  targetQpsPerReplica?: TargetQps
  numOverprovision: number
  upscaleDelaySeconds: number
  downscaleDelaySeconds: number
  dynamicOndemandFallback: boolean
  baseOndemandFallbackReplicas: number
  spotPlacer?: 'dynamic_fallback'
}

export interface ServiceSpec {
  readinessProbe: ReadinessProbeSpec
  replicaPolicy: ReplicaPolicySpec
  loadBalancingPolicy: LbPolicyName
  streamTimeoutSeconds: number
  /** The port every replica listens on (`service.ports`, else the task's single resources port). */
  port?: number
  tls?: { keyfile: string; certfile: string }
  auth?: { type: 'bearer' }
}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d)

/** The typed spec from a `service:` mapping that already passed checkServiceSection. */
export function serviceSpecFromSection(v: Json): ServiceSpec {
  const probe = v.readiness_probe
  const p = typeof probe === 'object' && probe !== null ? (probe as Json) : {}
  let postData = p.post_data
  if (typeof postData === 'string') postData = JSON.parse(postData)
  const readinessProbe: ReadinessProbeSpec = {
    path: typeof probe === 'string' ? probe : typeof p.path === 'string' ? p.path : DEFAULTS.readinessPath,
    initialDelaySeconds: num(p.initial_delay_seconds, DEFAULTS.initialDelaySeconds),
    timeoutSeconds: num(p.timeout_seconds, DEFAULTS.timeoutSeconds),
    intervalSeconds: num(p.endpoint_probe_interval_seconds, DEFAULTS.probeIntervalSeconds),
    failureThresholdSeconds: num(p.consecutive_failure_threshold_timeout, DEFAULTS.failureThresholdSeconds),
  }
  if (postData !== undefined && postData !== null) readinessProbe.postData = postData
  if (p.headers) readinessProbe.headers = p.headers as Record<string, string>

  const rp = (v.replica_policy ?? {}) as Json
  const min = typeof v.replicas === 'number' ? v.replicas : num(rp.min_replicas, DEFAULTS.minReplicas)
  const replicaPolicy: ReplicaPolicySpec = {
    minReplicas: min,
    maxReplicas: typeof v.replicas === 'number' ? min : num(rp.max_replicas, min),
    numOverprovision: num(rp.num_overprovision, 0),
    upscaleDelaySeconds: num(rp.upscale_delay_seconds, DEFAULTS.upscaleDelaySeconds),
    downscaleDelaySeconds: num(rp.downscale_delay_seconds, DEFAULTS.downscaleDelaySeconds),
    dynamicOndemandFallback: rp.dynamic_ondemand_fallback === true,
    baseOndemandFallbackReplicas: num(rp.base_ondemand_fallback_replicas, 0),
  }
  if (rp.target_qps_per_replica !== undefined && rp.target_qps_per_replica !== null) replicaPolicy.targetQpsPerReplica = rp.target_qps_per_replica as TargetQps
  if (typeof rp.spot_placer === 'string') replicaPolicy.spotPlacer = rp.spot_placer.toLowerCase() as 'dynamic_fallback'

  const lb = (v.load_balancer ?? {}) as Json
  const spec: ServiceSpec = {
    readinessProbe,
    replicaPolicy,
    loadBalancingPolicy: typeof v.load_balancing_policy === 'string' ? (v.load_balancing_policy.toLowerCase() as LbPolicyName) : DEFAULT_LB_POLICY,
    streamTimeoutSeconds: num(lb.stream_timeout_seconds, DEFAULT_STREAM_TIMEOUT_SECONDS),
  }
  if (typeof v.ports === 'number') spec.port = v.ports
  const tls = v.tls as Json | undefined
  if (tls) spec.tls = { keyfile: String(tls.keyfile), certfile: String(tls.certfile) }
  if (v.auth === true || (typeof v.auth === 'object' && v.auth !== null)) spec.auth = { type: 'bearer' }
  return spec
}

/**
 * The spec of a task that is to run as a service (`sky serve up`): the section must be valid,
 * the replicas need exactly one port, and on-demand fallback only makes sense for spot replicas.
 */
export function serviceSpecFromTask(task: Task): ServiceSpec {
  const issues = new Issues()
  if (!task.service) {
    issues.add('service', "is required to run a task as a service: add a 'service:' section with at least readiness_probe and a port")
    issues.throwIfAny()
  }
  const v = checkServiceSection(task.service, 'service', issues)
  issues.throwIfAny()
  const spec = serviceSpecFromSection(v!)
  const candidates = task.resources.candidates
  if (spec.port === undefined) {
    const ports = new Set(candidates.flatMap((c) => c.ports ?? []))
    const only = [...ports]
    if (only.length === 1 && /^\d+$/.test(only[0]!)) spec.port = Number(only[0])
    else if (only.length === 0) issues.add('service.ports', 'is required: the port each replica serves on (or set exactly one port in resources.ports)')
    else issues.add('resources.ports', `has ${only.join(', ')}; a service needs exactly one replica port: set service.ports to choose it`)
  }
  const p = spec.replicaPolicy
  if ((p.dynamicOndemandFallback || p.baseOndemandFallbackReplicas > 0) && !candidates.some((c) => c.useSpot)) {
    const key = p.dynamicOndemandFallback ? 'dynamic_ondemand_fallback' : 'base_ondemand_fallback_replicas'
    issues.add(`service.replica_policy.${key}`, 'only applies to spot replicas: set resources.use_spot: true, or remove it')
  }
  if (p.spotPlacer && !candidates.some((c) => c.useSpot)) {
    issues.add('service.replica_policy.spot_placer', 'only applies to spot replicas: set resources.use_spot: true, or remove it')
  }
  if (issues.count) throw new ValidationError(issues.list, { hint: 'See the service section of the task YAML reference.' })
  return spec
}
