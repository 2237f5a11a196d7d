// Failover by the cause of a provisioning failure: what each typed error blocks, that zones of a
// region are tried before the next region, that a failed live node is planned around, and that the
// cause survives a trip over the wire.
import { describe, expect, test } from 'bun:test'
import { blockOf } from '../../../src/core/clusters/ensure'
import { fromWire, InternalError } from '../../../src/core/errors'
import { applyBlocked, nextCandidate, optimize } from '../../../src/core/optimizer'
import { CapacityError, failureOf, FatalProvisionError, InfraAuthError, QuotaError } from '../../../src/core/provision/errors'

const gpuPlan = () =>
  optimize({ spec: { mode: 'single', candidates: [{ accelerator: { name: 'A100', count: 8 } }] }, enabled: { infra: ['aws', 'gcp'] } })

describe('failover by cause', () => {
  test('each cause blocks its scope; the cause survives the wire; unknown errors stop failover', () => {
    const c = gpuPlan().chosen
    const zone = c.zones[0]!
    expect(blockOf(failureOf(new CapacityError('stock-out'))!, c, zone)).toEqual({ infra: c.infra, region: c.region, zone, instanceType: c.instanceType, useSpot: c.useSpot })
    expect(blockOf(failureOf(new QuotaError('quota'))!, c, zone)).toEqual({ infra: c.infra, region: c.region, instanceType: c.instanceType, useSpot: c.useSpot })
    expect(blockOf(failureOf(new InfraAuthError('expired'))!, c, zone)).toEqual({ infra: c.infra })
    // A provisioner may widen a cause's scope (all-regions GPU quota).
    expect(blockOf(failureOf(new QuotaError('GPUS_ALL_REGIONS', { scope: 'infra' }))!, c, zone)).toEqual({ infra: c.infra })
    const wired = failureOf(fromWire(new CapacityError('x', { infra: 'gcp', zone: 'us-central1-a' }).toWire()))
    expect(wired).toMatchObject({ kind: 'capacity', scope: 'zone', infra: 'gcp', zone: 'us-central1-a' })
    expect(failureOf(new FatalProvisionError('bad image'))).toMatchObject({ kind: 'fatal', scope: 'stop' })
    expect(failureOf(new InternalError('a bug'))).toMatchObject({ kind: 'fatal', scope: 'stop' })
    expect(failureOf(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBeNull()
  })

  test('every zone of a region is tried before the next region', () => {
    const plan = gpuPlan()
    const first = plan.chosen
    expect(first.zones.length).toBeGreaterThan(1)
    const blocked = []
    for (const z of first.zones.slice(0, -1)) {
      blocked.push(blockOf(failureOf(new CapacityError('stock-out'))!, first, z))
      const next = nextCandidate(plan, blocked)
      expect([next.infra, next.region, next.instanceType]).toEqual([first.infra, first.region, first.instanceType])
      expect(next.zones).not.toContain(z)
    }
    blocked.push(blockOf(failureOf(new CapacityError('stock-out'))!, first, first.zones.at(-1)!))
    const other = nextCandidate(plan, blocked)
    expect(`${other.infra}/${other.region}/${other.instanceType}`).not.toBe(`${first.infra}/${first.region}/${first.instanceType}`)
  })

  test('a failed live node is planned around, not its whole pool', () => {
    const nodes = ['h1', 'h2', 'h3'].map((name) => ({ infra: 'ssh', region: 'pool', name, cpus: 8, memoryGb: 32 }))
    const input = { spec: { mode: 'single' as const, candidates: [{}] }, numNodes: 2, enabled: { infra: ['ssh'], regions: { ssh: ['pool'] } }, liveNodes: nodes }
    expect(optimize(input).chosen.nodes).toEqual(['h1', 'h2'])
    const c = optimize(input).chosen
    const b = blockOf(failureOf(new CapacityError('h1 down', { node: 'h1' }))!, c, null)
    expect(b).toEqual({ infra: 'ssh', region: 'pool', node: 'h1' })
    expect(applyBlocked(c, [b])).toBe(c)
    expect(optimize({ ...input, blocked: [b] }).chosen.nodes).toEqual(['h2', 'h3'])
  })
})
