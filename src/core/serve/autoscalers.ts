// Which autoscaler a service gets, as SkyPilot chooses: any on-demand fallback setting ⇒
// fallback; a per-accelerator target QPS map ⇒ instance-aware; else request-rate.
import { InstanceAwareRequestRateAutoscaler, RequestRateAutoscaler, type AutoscalerOptions } from './autoscaler'
import { FallbackRequestRateAutoscaler } from './autoscaler-fallback'
import type { ReplicaPolicySpec } from './spec'

export function makeAutoscaler(policy: ReplicaPolicySpec, opts: AutoscalerOptions = {}): RequestRateAutoscaler {
  if (policy.dynamicOndemandFallback || policy.baseOndemandFallbackReplicas > 0) return new FallbackRequestRateAutoscaler(policy, opts)
  if (typeof policy.targetQpsPerReplica === 'object') return new InstanceAwareRequestRateAutoscaler(policy, opts)
  return new RequestRateAutoscaler(policy, opts)
}

export { FallbackRequestRateAutoscaler } from './autoscaler-fallback'
export { InstanceAwareRequestRateAutoscaler, RequestRateAutoscaler } from './autoscaler'
export type { AutoscalerOptions, AutoscalerState, ReplicaView, ScalingDecision, UpdateMode } from './autoscaler'
