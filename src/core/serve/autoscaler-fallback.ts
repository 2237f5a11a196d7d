// Spot replicas with on-demand fallback: `base_ondemand_fallback_replicas` on-demand replicas are
// always kept; with `dynamic_ondemand_fallback`, on-demand replicas also stand in for spot
// replicas that are not ready (preempted, still launching), and go away once spot ones are ready.
// The target itself moves with the request rate as in RequestRateAutoscaler.
import { RequestRateAutoscaler, type ReplicaView, type ScalingDecision } from './autoscaler'
import { selectForScaleDown } from './status'

export class FallbackRequestRateAutoscaler extends RequestRateAutoscaler {
  protected override scaleLatest(live: readonly ReplicaView[], desired: number): ScalingDecision[] {
    const base = Math.min(this.policy.baseOndemandFallbackReplicas, desired)
    const spotWanted = Math.max(0, desired - base)
    const spot = live.filter((r) => r.isSpot)
    const ondemand = live.filter((r) => !r.isSpot)
    const spotReady = spot.filter((r) => r.status === 'READY').length
    const ondemandWanted = base + (this.policy.dynamicOndemandFallback ? Math.max(0, spotWanted - spotReady) : 0)
    return [...toward(spot, spotWanted, true), ...toward(ondemand, ondemandWanted, false)]
  }
}

function toward(live: readonly ReplicaView[], wanted: number, useSpot: boolean): ScalingDecision[] {
  if (live.length < wanted) return Array.from({ length: wanted - live.length }, () => ({ op: 'scale_up' as const, useSpot }))
  return selectForScaleDown(live, live.length - wanted).map((r) => ({ op: 'scale_down' as const, replicaId: r.replicaId }))
}
