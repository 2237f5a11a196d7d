// Request-rate autoscaling as pure logic with an injected clock: the controller feeds it request
// counts from the load balancer and the replica list, and acts on the decisions it returns.
//
// SkyPilot's rules: QPS = requests in the last 60 s ÷ 60; target = ceil(QPS ÷ target QPS per
// replica) clipped to [min, max] (no target QPS ⇒ min). Hysteresis: a new target is adopted only
// after `upscale_delay_seconds / interval` consecutive decisions wanting more (or
// `downscale_delay_seconds / interval` wanting fewer); at once when the current target is 0.
// `num_overprovision` replicas are added on top. Decisions come every 20 s (5 s while the target
// is 0). One departure: when a delay is shorter than 20 s the interval shrinks to it (not below
// 1 s), so short delays set in a YAML mean what they say.
//
// Versions (updates): replicas of older versions are removed as the latest version's replicas
// become ready (`rolling`), or all at once when enough of them are ready (`blue_green`).
import { targetQpsFor, type TargetQps } from './accelerator-match'
import type { RequestSample } from './lb/request-counter'
import type { ReplicaPolicySpec } from './spec'
import { isFailed, isTerminal, selectForScaleDown, type ReplicaRef } from './status'

export const QPS_WINDOW_SECONDS = 60
export const DECISION_INTERVAL_SECONDS = 20
export const NO_REPLICA_DECISION_INTERVAL_SECONDS = 5

export type UpdateMode = 'rolling' | 'blue_green'

export interface ReplicaView extends ReplicaRef {
  isSpot?: boolean
  /** Accelerator of a launched replica (`H100:1`), for the instance-aware target. */
  accelerator?: string
}

export type ScalingDecision = { op: 'scale_up'; useSpot?: boolean } | { op: 'scale_down'; replicaId: number }

/** What survives a controller restart. */
export interface AutoscalerState {
  target: number
  upCounter: number
  downCounter: number
  latestVersion: number
  mode: UpdateMode
  latestEverReady: boolean
}

export interface AutoscalerOptions {
  /** Epoch milliseconds. */
  now?: () => number
  latestVersion?: number
  mode?: UpdateMode
}

export class RequestRateAutoscaler {
  protected policy: ReplicaPolicySpec
  protected readonly now: () => number
  private samples: RequestSample[] = []
  protected state: AutoscalerState
  /** Set when scaling stopped because the latest version failed before ever being ready. */
  stalled: string | undefined

  constructor(policy: ReplicaPolicySpec, opts: AutoscalerOptions = {}) {
    this.policy = policy
    this.now = opts.now ?? Date.now
    this.state = { target: policy.minReplicas, upCounter: 0, downCounter: 0, latestVersion: opts.latestVersion ?? 1, mode: opts.mode ?? 'rolling', latestEverReady: false }
  }

  get target(): number {
    return this.state.target
  }

  dump(): AutoscalerState {
    return { ...this.state }
  }

  restore(s: AutoscalerState): void {
    this.state = { ...s }
  }

  /** A new version of the service: its policy applies from now on. */
  updateVersion(version: number, policy: ReplicaPolicySpec, mode: UpdateMode): void {
    this.policy = policy
    this.state = { ...this.state, latestVersion: version, mode, latestEverReady: false, upCounter: 0, downCounter: 0 }
    this.state.target = clamp(this.state.target, policy.minReplicas, policy.maxReplicas)
  }

  /** Seconds until the next decision should be made. */
  decisionIntervalSeconds(): number {
    if (this.state.target === 0) return NO_REPLICA_DECISION_INTERVAL_SECONDS
    const shortest = Math.min(this.policy.upscaleDelaySeconds, this.policy.downscaleDelaySeconds)
    return Math.max(1, Math.min(DECISION_INTERVAL_SECONDS, shortest))
  }

  /** Request counts from the load balancer (per-second buckets). */
  collectRequests(samples: readonly RequestSample[]): void {
    for (const s of samples) {
      const same = this.samples.find((x) => x.at === s.at)
      if (same) same.count = Math.max(same.count, s.count)
      else this.samples.push({ ...s })
    }
    this.prune()
  }

  private prune(): void {
    const cutoff = this.now() - QPS_WINDOW_SECONDS * 1000
    this.samples = this.samples.filter((s) => s.at > cutoff)
  }

  qps(): number {
    this.prune()
    let n = 0
    for (const s of this.samples) n += s.count
    return n / QPS_WINDOW_SECONDS
  }

  /** The replica count the current load calls for, before hysteresis. */
  protected rawTarget(_replicas: readonly ReplicaView[]): number {
    const t = this.policy.targetQpsPerReplica
    if (t === undefined || typeof t !== 'number') return this.policy.minReplicas
    return clamp(Math.ceil(this.qps() / t), this.policy.minReplicas, this.policy.maxReplicas)
  }

  /** Moves the target with hysteresis; returns it. */
  protected stepTarget(replicas: readonly ReplicaView[]): number {
    const want = this.rawTarget(replicas)
    const s = this.state
    const interval = this.decisionIntervalSeconds()
    const upNeeded = Math.floor(this.policy.upscaleDelaySeconds / interval)
    const downNeeded = Math.floor(this.policy.downscaleDelaySeconds / interval)
    if (s.target === 0 && want > 0) {
      s.target = want
      s.upCounter = s.downCounter = 0
    } else if (want > s.target) {
      s.upCounter++
      s.downCounter = 0
      if (s.upCounter >= upNeeded) {
        s.target = want
        s.upCounter = 0
      }
    } else if (want < s.target) {
      s.downCounter++
      s.upCounter = 0
      if (s.downCounter >= downNeeded) {
        s.target = want
        s.downCounter = 0
      }
    } else s.upCounter = s.downCounter = 0
    return s.target
  }

  /** Replicas to add or remove now. Call every decisionIntervalSeconds(). */
  evaluate(replicas: readonly ReplicaView[]): ScalingDecision[] {
    const latest = this.state.latestVersion
    const current = replicas.filter((r) => r.version === latest)
    if (current.some((r) => r.status === 'READY')) this.state.latestEverReady = true
    const target = this.stepTarget(replicas)
    const desired = target + this.policy.numOverprovision
    const decisions: ScalingDecision[] = []
    this.stalled = undefined
    if (!this.state.latestEverReady && current.some((r) => isFailed(r.status))) {
      // A version that never worked: launching more of it would fail the same way.
      this.stalled = `version ${latest} failed before any of its replicas became ready; scaling is paused until the service is updated`
    } else decisions.push(...this.scaleLatest(current.filter((r) => !isTerminal(r.status)), desired))
    decisions.push(...this.removeOutdated(replicas, desired))
    return decisions
  }

  /** Bring the latest version's live replicas to `desired`. */
  protected scaleLatest(live: readonly ReplicaView[], desired: number): ScalingDecision[] {
    if (live.length < desired) return Array.from({ length: desired - live.length }, () => ({ op: 'scale_up' as const }))
    return selectForScaleDown(live, live.length - desired).map((r) => ({ op: 'scale_down' as const, replicaId: r.replicaId }))
  }

  /**
   * Between decisions (a replica just became ready during an update): the older replicas the
   * rollover lets go now, without moving the target.
   */
  rollover(replicas: readonly ReplicaView[]): ScalingDecision[] {
    return this.removeOutdated(replicas, this.state.target + this.policy.numOverprovision)
  }

  private removeOutdated(replicas: readonly ReplicaView[], desired: number): ScalingDecision[] {
    const latest = this.state.latestVersion
    const old = replicas.filter((r) => r.version < latest && !isTerminal(r.status))
    if (old.length === 0) return []
    const newReady = replicas.filter((r) => r.version === latest && r.status === 'READY').length
    let remove: ReplicaView[]
    if (this.state.mode === 'blue_green') {
      remove = newReady >= switchThreshold(desired, this.policy.minReplicas) ? [...old] : []
    } else {
      // Rolling: old replicas fill in for new ones not ready yet, never beyond the target.
      const keep = Math.max(0, desired - newReady)
      remove = selectForScaleDown(old, old.length - keep)
    }
    return remove.map((r) => ({ op: 'scale_down' as const, replicaId: r.replicaId }))
  }

  /** Versions whose ready replicas should take traffic (the load balancer's membership). */
  activeVersions(replicas: readonly ReplicaView[]): number[] {
    const latest = this.state.latestVersion
    const versions = [...new Set(replicas.filter((r) => r.status === 'READY').map((r) => r.version))].sort((a, b) => a - b)
    if (this.state.mode === 'rolling') return versions
    const newReady = replicas.filter((r) => r.version === latest && r.status === 'READY').length
    const desired = this.state.target + this.policy.numOverprovision
    if (newReady >= switchThreshold(desired, this.policy.minReplicas) && newReady > 0) return [latest]
    const older = versions.filter((v) => v < latest)
    return older.length ? older : versions
  }
}

/** Blue-green switches traffic once this many new replicas are ready. */
function switchThreshold(desired: number, minReplicas: number): number {
  return Math.min(desired, Math.max(1, minReplicas))
}

/**
 * `target_qps_per_replica` as a map per accelerator: ready replicas count with the QPS their
 * accelerator can take (largest first); load beyond them is covered by replicas of the smallest
 * listed capacity (the accelerator of a new replica is not known before it launches).
 */
export class InstanceAwareRequestRateAutoscaler extends RequestRateAutoscaler {
  protected override rawTarget(replicas: readonly ReplicaView[]): number {
    const t = this.policy.targetQpsPerReplica
    if (t === undefined || typeof t === 'number') return super.rawTarget(replicas)
    const qps = this.qps()
    const capacities = replicas
      .filter((r) => r.version === this.state.latestVersion && r.status === 'READY')
      .map((r) => capacityOf(t, r.accelerator))
      .sort((a, b) => b - a)
    let n = 0
    let covered = 0
    for (const c of capacities) {
      if (covered >= qps) break
      covered += c
      n++
    }
    if (covered < qps) n += Math.ceil((qps - covered) / Math.min(...Object.values(t)))
    return clamp(n, this.policy.minReplicas, this.policy.maxReplicas)
  }
}

function capacityOf(t: Record<string, number>, accelerator: string | undefined): number {
  return targetQpsFor(t as TargetQps, accelerator) ?? Math.min(...Object.values(t))
}

export function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, n))
}
