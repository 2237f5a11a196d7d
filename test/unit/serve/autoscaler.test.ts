import { describe, expect, test } from 'bun:test'
import { makeAutoscaler, FallbackRequestRateAutoscaler, InstanceAwareRequestRateAutoscaler, RequestRateAutoscaler, type ReplicaView } from '../../../src/core/serve/autoscalers'
import type { ReplicaPolicySpec } from '../../../src/core/serve/spec'
import { deriveServiceStatus, selectForScaleDown, type ReplicaStatus } from '../../../src/core/serve/status'

const policy = (p: Partial<ReplicaPolicySpec> = {}): ReplicaPolicySpec => ({
  minReplicas: 1,
  maxReplicas: 5,
  targetQpsPerReplica: 2,
  numOverprovision: 0,
  upscaleDelaySeconds: 60,
  downscaleDelaySeconds: 120,
  dynamicOndemandFallback: false,
  baseOndemandFallbackReplicas: 0,
  ...p,
})

/** A fake clock plus a way to feed a steady request rate over the last minute. */
function harness(p: ReplicaPolicySpec, make = makeAutoscaler) {
  let now = 1_700_000_000_000
  const a = make(p, { now: () => now })
  return {
    a,
    advance(seconds: number) {
      now += seconds * 1000
    },
    /** `qps` requests per second for the 60 s before now. */
    load(qps: number) {
      a.collectRequests(Array.from({ length: 60 }, (_, i) => ({ at: Math.floor(now / 1000) * 1000 - i * 1000, count: qps })))
    },
  }
}

const ready = (n: number, version = 1, from = 1, extra: Partial<ReplicaView> = {}): ReplicaView[] =>
  Array.from({ length: n }, (_, i) => ({ replicaId: from + i, version, status: 'READY' as ReplicaStatus, ...extra }))
const ups = (d: { op: string }[]) => d.filter((x) => x.op === 'scale_up').length
const downs = (d: { op: string; replicaId?: number }[]) => d.filter((x) => x.op === 'scale_down').map((x) => x.replicaId)

describe('request-rate autoscaler', () => {
  test('QPS over the 60 s window; samples older than the window drop out', () => {
    const h = harness(policy())
    h.load(3)
    expect(h.a.qps()).toBe(3)
    h.advance(30)
    expect(h.a.qps()).toBeCloseTo(1.5, 1)
    h.advance(31)
    expect(h.a.qps()).toBe(0)
  })

  test('scale-up waits for upscale_delay / interval consecutive decisions', () => {
    const h = harness(policy({ upscaleDelaySeconds: 60 })) // interval 20 s → 3 decisions
    const replicas = ready(1)
    h.load(7) // ceil(7/2) = 4
    expect(h.a.decisionIntervalSeconds()).toBe(20)
    expect(h.a.evaluate(replicas)).toEqual([])
    h.advance(20)
    h.load(7)
    expect(h.a.evaluate(replicas)).toEqual([])
    h.advance(20)
    h.load(7)
    expect(ups(h.a.evaluate(replicas))).toBe(3)
    expect(h.a.target).toBe(4)
  })

  test('a decision that does not want more resets the up counter', () => {
    const h = harness(policy({ upscaleDelaySeconds: 60 }))
    h.load(7)
    h.a.evaluate(ready(1))
    h.a.evaluate(ready(1))
    h.advance(61) // the load is gone
    h.a.evaluate(ready(1))
    h.load(7)
    expect(h.a.evaluate(ready(1))).toEqual([])
    expect(h.a.target).toBe(1)
  })

  test('scale-down after downscale_delay, newest and least ready first', () => {
    const h = harness(policy({ downscaleDelaySeconds: 40, upscaleDelaySeconds: 20 }))
    h.load(8)
    expect(ups(h.a.evaluate(ready(1)))).toBe(3)
    const four: ReplicaView[] = [...ready(3), { replicaId: 4, version: 1, status: 'STARTING' }]
    h.advance(120) // load gone
    expect(h.a.evaluate(four)).toEqual([])
    expect(downs(h.a.evaluate(four))).toEqual([4, 3, 2])
    expect(h.a.target).toBe(1)
  })

  test('target clipped to [min, max]; no target QPS means min', () => {
    const h = harness(policy({ upscaleDelaySeconds: 0 }))
    h.load(100)
    expect(ups(h.a.evaluate(ready(1)))).toBe(4)
    const fixed = harness(policy({ targetQpsPerReplica: undefined, minReplicas: 2, maxReplicas: 2 }))
    fixed.load(100)
    expect(ups(fixed.a.evaluate([]))).toBe(2)
  })

  test('from zero replicas the target moves at once, and decisions come every 5 s', () => {
    const h = harness(policy({ minReplicas: 0, upscaleDelaySeconds: 300 }))
    expect(h.a.target).toBe(0)
    expect(h.a.decisionIntervalSeconds()).toBe(5)
    expect(h.a.evaluate([])).toEqual([])
    h.load(1)
    expect(ups(h.a.evaluate([]))).toBe(1)
    expect(h.a.decisionIntervalSeconds()).toBe(20)
  })

  test('num_overprovision adds replicas on top of the target', () => {
    const h = harness(policy({ numOverprovision: 2, targetQpsPerReplica: undefined, maxReplicas: 1 }))
    expect(ups(h.a.evaluate([]))).toBe(3)
  })

  test('short delays shrink the decision interval', () => {
    const h = harness(policy({ upscaleDelaySeconds: 4, downscaleDelaySeconds: 8 }))
    expect(h.a.decisionIntervalSeconds()).toBe(4)
    h.load(7)
    expect(ups(h.a.evaluate(ready(1)))).toBe(3) // 4/4 = 1 decision
  })

  test('terminal replicas do not count; failed before ever ready stops scaling', () => {
    const h = harness(policy({ targetQpsPerReplica: undefined, minReplicas: 2, maxReplicas: 2 }))
    expect(ups(h.a.evaluate([{ replicaId: 1, version: 1, status: 'PREEMPTED' }, ...ready(1, 1, 2)]))).toBe(1)
    const s = harness(policy({ targetQpsPerReplica: undefined, minReplicas: 2, maxReplicas: 2 }))
    expect(s.a.evaluate([{ replicaId: 1, version: 1, status: 'FAILED_INITIAL_DELAY' }])).toEqual([])
    expect(s.a.stalled).toContain('version 1 failed')
  })

  test('state survives a restart', () => {
    const h = harness(policy({ upscaleDelaySeconds: 60 }))
    h.load(7)
    h.a.evaluate(ready(1))
    h.a.evaluate(ready(1))
    const again = new RequestRateAutoscaler(policy({ upscaleDelaySeconds: 60 }), { now: () => 1_700_000_000_000 })
    again.restore(h.a.dump())
    again.collectRequests([{ at: 1_700_000_000_000, count: 420 }])
    expect(ups(again.evaluate(ready(1)))).toBe(3)
  })
})

describe('updates', () => {
  const fixed = (n: number) => policy({ targetQpsPerReplica: undefined, minReplicas: n, maxReplicas: n })

  test('rolling: old replicas leave as new ones become ready', () => {
    const h = harness(fixed(2))
    h.a.updateVersion(2, fixed(2), 'rolling')
    const old = ready(2, 1, 1)
    expect(h.a.evaluate(old).map((d) => d.op)).toEqual(['scale_up', 'scale_up'])
    const oneNew: ReplicaView[] = [...old, ...ready(1, 2, 3), { replicaId: 4, version: 2, status: 'STARTING' }]
    expect(downs(h.a.evaluate(oneNew))).toEqual([2])
    expect(h.a.activeVersions(oneNew)).toEqual([1, 2])
    expect(downs(h.a.evaluate([...ready(1, 1, 1), ...ready(2, 2, 3)]))).toEqual([1])
  })

  test('blue-green: traffic and removal switch only once enough new replicas are ready', () => {
    const h = harness(fixed(2))
    h.a.updateVersion(2, fixed(2), 'blue_green')
    const partial: ReplicaView[] = [...ready(2, 1, 1), { replicaId: 3, version: 2, status: 'STARTING' }, { replicaId: 4, version: 2, status: 'STARTING' }]
    expect(downs(h.a.evaluate(partial))).toEqual([])
    expect(h.a.activeVersions(partial)).toEqual([1])
    const switched = [...ready(2, 1, 1), ...ready(2, 2, 3)]
    expect(h.a.activeVersions(switched)).toEqual([2])
    expect(downs(h.a.evaluate(switched)).sort()).toEqual([1, 2])
  })
})

describe('instance-aware autoscaler', () => {
  const p = policy({ targetQpsPerReplica: { 'H100:1': 10, A100: 4 }, upscaleDelaySeconds: 0, downscaleDelaySeconds: 0, maxReplicas: 10 })

  test('ready replicas count with their accelerator capacity; the rest at the smallest capacity', () => {
    const h = harness(p)
    expect(h.a).toBeInstanceOf(InstanceAwareRequestRateAutoscaler)
    h.load(12)
    // one H100 (10) covers 10 of 12; 2 more QPS need one more replica at 4
    expect(ups(h.a.evaluate(ready(1, 1, 1, { accelerator: 'H100:1' })))).toBe(1)
    expect(h.a.target).toBe(2)
    const h2 = harness(p)
    h2.load(12)
    expect(ups(h2.a.evaluate(ready(1, 1, 1, { accelerator: 'A100:8' })))).toBe(2) // 4 + 2×4
  })
})

describe('fallback autoscaler', () => {
  test('base on-demand replicas are kept beside spot ones', () => {
    const h = harness(policy({ targetQpsPerReplica: undefined, minReplicas: 3, maxReplicas: 3, baseOndemandFallbackReplicas: 1 }))
    expect(h.a).toBeInstanceOf(FallbackRequestRateAutoscaler)
    const d = h.a.evaluate([])
    expect(d.filter((x) => x.op === 'scale_up' && x.useSpot).length).toBe(2)
    expect(d.filter((x) => x.op === 'scale_up' && !x.useSpot).length).toBe(1)
  })

  test('dynamic fallback covers spot replicas that are not ready, then steps back', () => {
    const h = harness(policy({ targetQpsPerReplica: undefined, minReplicas: 2, maxReplicas: 2, dynamicOndemandFallback: true }))
    const launching: ReplicaView[] = [
      { replicaId: 1, version: 1, status: 'PROVISIONING', isSpot: true },
      { replicaId: 2, version: 1, status: 'PREEMPTED', isSpot: true },
    ]
    const d = h.a.evaluate(launching)
    expect(d).toEqual([{ op: 'scale_up', useSpot: true }, { op: 'scale_up', useSpot: false }, { op: 'scale_up', useSpot: false }])
    const spotReady: ReplicaView[] = [...ready(2, 1, 1, { isSpot: true }), ...ready(2, 1, 3, { isSpot: false })]
    expect(downs(h.a.evaluate(spotReady))).toEqual([4, 3])
  })
})

describe('statuses', () => {
  test('service status from replicas', () => {
    expect(deriveServiceStatus(undefined, [])).toBe('NO_REPLICA')
    expect(deriveServiceStatus('REPLICA_INIT', ['STARTING', 'READY', 'FAILED'])).toBe('READY')
    expect(deriveServiceStatus('READY', ['STARTING', 'FAILED_PROBING'])).toBe('FAILED')
    expect(deriveServiceStatus('READY', ['PROVISIONING', 'NOT_READY'])).toBe('REPLICA_INIT')
    expect(deriveServiceStatus('SHUTTING_DOWN', ['READY'])).toBe('SHUTTING_DOWN')
    expect(deriveServiceStatus('CONTROLLER_INIT', [])).toBe('CONTROLLER_INIT')
  })

  test('scale-down order: pending, provisioning, starting, not ready, ready; older version; newest id', () => {
    const rs: ReplicaView[] = [
      { replicaId: 1, version: 2, status: 'READY' },
      { replicaId: 2, version: 2, status: 'NOT_READY' },
      { replicaId: 3, version: 2, status: 'STARTING' },
      { replicaId: 4, version: 2, status: 'PROVISIONING' },
      { replicaId: 5, version: 2, status: 'PENDING' },
      { replicaId: 6, version: 1, status: 'READY' },
      { replicaId: 7, version: 2, status: 'READY' },
      { replicaId: 8, version: 2, status: 'FAILED' },
    ]
    expect(selectForScaleDown(rs, 10).map((r) => r.replicaId)).toEqual([5, 4, 3, 2, 6, 7, 1])
  })
})
