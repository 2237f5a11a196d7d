import { describe, expect, test } from 'bun:test'
import { ResourcesUnavailableError, ValidationError } from '../../../src/core/errors'
import { blockFor, nextCandidate, optimize } from '../../../src/core/optimizer'
import type { LiveNode, OptimizeInput } from '../../../src/core/optimizer'
import type { Resources, ResourcesSpec } from '../../../src/core/task/types'

const CLOUDS = { infra: ['aws', 'gcp'] }

function single(r: Resources = {}): ResourcesSpec {
  return { mode: 'single', candidates: [r] }
}

function plan(r: Resources | ResourcesSpec, rest: Partial<OptimizeInput> = {}) {
  const spec = 'mode' in r ? (r as ResourcesSpec) : single(r as Resources)
  return optimize({ spec, enabled: CLOUDS, ...rest })
}

function unavailable(fn: () => unknown): ResourcesUnavailableError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ResourcesUnavailableError)
    return e as ResourcesUnavailableError
  }
  throw new Error('expected ResourcesUnavailableError')
}

const localMachine = (over: Partial<LiveNode> = {}): LiveNode => ({
  infra: 'local',
  region: 'local',
  name: 'localhost',
  cpus: 4,
  memoryGb: 16,
  shared: true,
  defaults: { cpus: 0.5, memoryGbPerCpu: 1, memoryGbPerCpuWithGpus: 4 },
  ...over,
})

describe('cheapest pick', () => {
  test('default request: 8+ vCPUs, 4x memory; AWS m6i.2xlarge in us-east-1 wins', () => {
    const p = plan({})
    expect(p.chosen).toMatchObject({ infra: 'aws', region: 'us-east-1', instanceType: 'm6i.2xlarge', vcpus: 8, memoryGb: 32, useSpot: false })
    expect(p.chosen.hourlyCost).toBeCloseTo(0.384, 5)
    expect(p.chosen.zones).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1f'])
    expect(p.candidates.some((c) => c.infra === 'gcp' && c.instanceType === 'n2-standard-8')).toBe(true)
    for (let i = 1; i < p.candidates.length; i++) {
      expect(p.candidates[i].hourlyCost).toBeGreaterThanOrEqual(p.candidates[i - 1].hourlyCost)
    }
  })

  test('cost scales with the number of nodes', () => {
    const p = plan({}, { numNodes: 4 })
    expect(p.numNodes).toBe(4)
    expect(p.chosen.hourlyPrice).toBeCloseTo(0.384, 5)
    expect(p.chosen.hourlyCost).toBeCloseTo(4 * 0.384, 5)
  })

  test('cpus and memory requests', () => {
    expect(plan({ cpus: { value: 4, orMore: false } }).chosen.instanceType).toBe('m6i.xlarge')
    expect(plan({ cpus: { value: 32, orMore: true } }).chosen.instanceType).toBe('m6i.8xlarge')
    expect(plan({ memory: { value: 64, orMore: true } }).chosen.instanceType).toBe('r6i.2xlarge')
    // GCP has exact 6.5 GB/vCPU n1 types, but only default families are used for CPU-only requests.
    const e = unavailable(() => plan({ cpus: { value: 3, orMore: false } }))
    expect(e.message).toContain('aws: no instance type with 3 vCPUs')
    expect(e.hint).toContain("'+'")
  })

  test('GPU request: cheapest instance carrying the GPUs', () => {
    const p = plan({ accelerator: { name: 'H100', count: 8 } })
    expect(p.chosen).toMatchObject({ infra: 'aws', instanceType: 'p5.48xlarge', gpu: { name: 'H100', count: 8 } })
    expect(p.candidates.some((c) => c.infra === 'gcp' && c.instanceType === 'a3-highgpu-8g')).toBe(true)
    const v = plan({ accelerator: { name: 'v100', count: 1 } })
    expect(v.chosen).toMatchObject({ infra: 'gcp', instanceType: 'n1-highmem-8', gpu: { name: 'V100', count: 1 } })
  })

  test('max_hourly_cost filters candidates', () => {
    const p = plan({ accelerator: { name: 'H100', count: 8 }, maxHourlyCost: 60 })
    expect(p.candidates.every((c) => c.hourlyPrice <= 60)).toBe(true)
    const e = unavailable(() => plan({ accelerator: { name: 'H100', count: 8 }, maxHourlyCost: 10 }))
    expect(e.message).toContain('aws: cheapest match p5.48xlarge in us-east-1 costs $55.04/hour, above max_hourly_cost $10')
    expect(e.hint).toContain('max_hourly_cost')
  })
})

describe('alternatives', () => {
  const a100 = { accelerator: { name: 'A100', count: 8 } }
  const h100 = { accelerator: { name: 'H100', count: 8 } }

  test('any_of picks the cheapest alternative', () => {
    const p = plan({ mode: 'any_of', candidates: [h100, a100] })
    expect(p.chosen).toMatchObject({ instanceType: 'p4d.24xlarge', alternative: 1 })
    expect(p.candidates.some((c) => c.alternative === 0)).toBe(true)
  })

  test('ordered keeps the user order, cheapest within each entry', () => {
    const p = plan({ mode: 'ordered', candidates: [h100, a100] })
    expect(p.chosen).toMatchObject({ instanceType: 'p5.48xlarge', alternative: 0 })
    const firstA100 = p.candidates.findIndex((c) => c.alternative === 1)
    expect(p.candidates.slice(0, firstA100).every((c) => c.alternative === 0)).toBe(true)
    expect(p.candidates.slice(firstA100).every((c) => c.alternative === 1)).toBe(true)
  })

  test('ordered falls through to the next entry when the first has nothing', () => {
    const p = plan({ mode: 'ordered', candidates: [{ accelerator: { name: 'H100', count: 3 } }, a100] })
    expect(p.chosen.alternative).toBe(1)
    expect(p.rejected.some((r) => r.alternative === 0 && r.reason.includes('3x H100'))).toBe(true)
  })

  test('spot with on-demand fallback', () => {
    const p = plan({ mode: 'any_of', candidates: [{ useSpot: true }, { useSpot: false }] })
    expect(p.chosen.useSpot).toBe(true)
    expect(p.chosen.hourlyPrice).toBeLessThan(0.384)
    expect(p.candidates.some((c) => !c.useSpot)).toBe(true)
  })
})

describe('spot', () => {
  test('spot uses spot prices and skips infra without a spot market', () => {
    const p = optimize({
      spec: single({ accelerator: { name: 'L4', count: 1 }, useSpot: true }),
      enabled: { infra: ['aws', 'gcp', 'local'] },
      liveNodes: [localMachine({ gpus: { name: 'L4', count: 1 } })],
    })
    expect(p.chosen.useSpot).toBe(true)
    expect(p.candidates.every((c) => c.infra !== 'local')).toBe(true)
    expect(p.rejected).toContainEqual({ alternative: 0, infra: 'local', reason: 'spot instances are not supported' })
    const od = plan({ accelerator: { name: 'L4', count: 1 } })
    expect(p.chosen.hourlyPrice).toBeLessThan(od.chosen.hourlyPrice)
  })
})

describe('pinning', () => {
  test('infra and region', () => {
    const p = plan({ infra: { cloud: 'gcp' } })
    expect(p.candidates.every((c) => c.infra === 'gcp')).toBe(true)
    const r = plan({ infra: { cloud: 'aws', region: 'eu-west-1' } })
    expect(r.candidates.map((c) => c.region)).toEqual(['eu-west-1'])
    const any = plan({ infra: { cloud: '*', region: 'us-central1' } })
    expect(any.chosen).toMatchObject({ infra: 'gcp', region: 'us-central1' })
    expect(any.rejected.find((x) => x.infra === 'aws')!.reason).toContain('us-central1 is not a region')
  })

  test('zone pins region and zones to try', () => {
    const p = plan({ infra: { cloud: 'aws', zone: 'us-east-1b' } })
    expect(p.chosen).toMatchObject({ region: 'us-east-1', zones: ['us-east-1b'] })
    const g = plan({ infra: { cloud: 'gcp', region: 'us-central1', zone: 'us-central1-c' }, accelerator: { name: 'A100-80GB', count: 1 } })
    expect(g.chosen).toMatchObject({ instanceType: 'a2-ultragpu-1g', zones: ['us-central1-c'] })
    const e = unavailable(() => plan({ infra: { cloud: 'gcp', zone: 'us-central1-b' }, accelerator: { name: 'A100-80GB', count: 1 } }))
    expect(e.message).toContain('gcp: no instance type with 1x A100-80GB in zone us-central1-b')
  })

  test('instance type', () => {
    const p = plan({ instanceType: 'g5.xlarge' })
    expect(p.candidates.every((c) => c.instanceType === 'g5.xlarge' && c.infra === 'aws')).toBe(true)
    expect(p.chosen.gpu).toEqual({ name: 'A10G', count: 1 })
    expect(p.rejected.find((r) => r.infra === 'gcp')!.reason).toBe('no instance type g5.xlarge')
  })

  test('image_id region map restricts regions', () => {
    const p = plan({ imageId: { 'us-west-2': 'ami-1', 'eu-west-1': 'ami-2' }, infra: { cloud: 'aws' } })
    expect(new Set(p.candidates.map((c) => c.region))).toEqual(new Set(['us-west-2', 'eu-west-1']))
    expect(p.chosen.region).toBe('us-west-2')
  })

  test('unsupported or disabled infra', () => {
    const e = unavailable(() => plan({ infra: { cloud: 'azure' } }))
    expect(e.message).toContain('azure: not supported')
    const d = unavailable(() => optimize({ spec: single({ infra: { cloud: 'gcp' } }), enabled: { infra: ['aws'] } }))
    expect(d.message).toContain('gcp: not enabled — run sky check')
    expect(d.hint).toContain('sky check')
  })
})

describe('live-capacity infra', () => {
  test('local wins at zero cost when it fits', () => {
    const p = optimize({ spec: single(), enabled: { infra: ['local', 'aws'] }, liveNodes: [localMachine()] })
    // A local cluster gets its own share: SkyPilot's default 0.5 CPU (1 GB per CPU) when it names none.
    expect(p.chosen).toMatchObject({ infra: 'local', region: 'local', hourlyCost: 0, vcpus: 0.5, memoryGb: 0.5, nodes: ['localhost'] })
    const asked = optimize({ spec: single({ cpus: { value: 2, orMore: false }, memory: { value: 3, orMore: false } }), enabled: { infra: ['local'] }, liveNodes: [localMachine()] })
    expect(asked.chosen).toMatchObject({ vcpus: 2, memoryGb: 3 })
    // What other local clusters hold is not offered again.
    const busy = unavailable(() => optimize({ spec: single({ cpus: { value: 2, orMore: false } }), enabled: { infra: ['local'] }, liveNodes: [localMachine({ free: { cpus: 1.5 } })] }))
    expect(busy.message).toContain('local: needs 2 CPUs, this machine has 1.5')
    expect(p.candidates.some((c) => c.infra === 'aws')).toBe(true)
  })

  test('local GPUs and fractional GPUs', () => {
    const nodes = [localMachine({ gpus: { name: 'L4', count: 4 } })]
    const p = optimize({ spec: single({ accelerator: { name: 'L4', count: 0.5 } }), enabled: { infra: ['local', 'aws'] }, liveNodes: nodes })
    expect(p.chosen).toMatchObject({ infra: 'local', gpu: { name: 'L4', count: 0.5 } })
    // On a cloud a fractional request takes a whole GPU.
    const aws = plan({ accelerator: { name: 'L4', count: 0.5 } })
    expect(aws.chosen.gpu).toEqual({ name: 'L4', count: 1 })
    // Two nodes of 2 L4 each share the machine's 4.
    const two = optimize({ spec: single({ accelerator: { name: 'L4', count: 2 } }), numNodes: 2, enabled: { infra: ['local'] }, liveNodes: nodes })
    expect(two.chosen.infra).toBe('local')
    const e = unavailable(() =>
      optimize({ spec: single({ accelerator: { name: 'L4', count: 4 } }), numNodes: 2, enabled: { infra: ['local'] }, liveNodes: nodes }),
    )
    expect(e.message).toContain('local: needs 8x L4, this machine (shared by 2 nodes) has 4x L4')
    const taken = unavailable(() => optimize({ spec: single({ accelerator: { name: 'L4', count: 1 } }), enabled: { infra: ['local'] }, liveNodes: [localMachine({ gpus: { name: 'L4', count: 4 }, free: { gpus: 0 } })] }))
    expect(taken.message).toContain('local: needs 1x L4, this machine has 0 of 4x L4 free')
  })

  test('local without GPUs or enough CPUs', () => {
    const e = unavailable(() =>
      optimize({ spec: single({ accelerator: { name: 'L4', count: 1 } }), enabled: { infra: ['local'] }, liveNodes: [localMachine()] }),
    )
    expect(e.message).toContain('local: needs 1 L4 GPU, this machine has none')
    expect(e.message).toContain('aws: not enabled — run sky check')
    expect(e.exitCode).toBe(3)
    const c = unavailable(() =>
      optimize({ spec: single({ cpus: { value: 8, orMore: true } }), enabled: { infra: ['local'] }, liveNodes: [localMachine()] }),
    )
    expect(c.message).toContain('local: needs 8 CPUs, this machine has 4')
    const g = unavailable(() =>
      optimize({
        spec: single({ accelerator: { name: 'H100', count: 1 } }),
        enabled: { infra: ['local'] },
        liveNodes: [localMachine({ gpus: { name: 'L4', count: 2 } })],
      }),
    )
    expect(g.message).toContain('local: needs 1x H100, this machine has 2x L4')
  })

  const pool = (name: string, n: number, gpus?: LiveNode['gpus']): LiveNode[] =>
    Array.from({ length: n }, (_, i) => ({ infra: 'ssh' as const, region: name, name: `${name}-${i}`, cpus: 16, memoryGb: 64, ...(gpus ? { gpus } : {}) }))

  test('SSH pools: enough fitting nodes for all cluster nodes', () => {
    const liveNodes = [...pool('cpu', 3), ...pool('gpu', 2, { name: 'A100', count: 1 })]
    const enabled = { infra: ['ssh', 'gcp'], regions: { ssh: ['cpu', 'gpu'] } }
    const p = optimize({ spec: single({ accelerator: { name: 'A100', count: 1 } }), numNodes: 2, enabled, liveNodes })
    expect(p.chosen).toMatchObject({ infra: 'ssh', region: 'gpu', nodes: ['gpu-0', 'gpu-1'], vcpus: 2, memoryGb: 8, instanceType: '2CPU--8GB--A100:1' })
    const three = optimize({ spec: single({ accelerator: { name: 'A100', count: 1 } }), numNodes: 3, enabled, liveNodes })
    expect(three.chosen).toMatchObject({ infra: 'gcp', instanceType: 'a2-highgpu-1g' })
    expect(three.rejected.find((r) => r.infra === 'ssh')!.reason).toContain('pool gpu: needs 3 nodes that fit, 2 of 2 do')
    const cpu = optimize({ spec: single(), enabled, liveNodes })
    expect(cpu.candidates.filter((c) => c.infra === 'ssh').map((c) => c.region)).toEqual(['cpu', 'gpu'])
    const pinned = optimize({ spec: single({ infra: { cloud: 'ssh', region: 'gpu' } }), enabled, liveNodes })
    expect(pinned.candidates.map((c) => c.region)).toEqual(['gpu'])
    const bad = unavailable(() => optimize({ spec: single({ infra: { cloud: 'ssh', region: 'nope' } }), enabled, liveNodes }))
    expect(bad.message).toContain('ssh: pool nope is not enabled (enabled: cpu, gpu)')
  })

  test('Kubernetes contexts: virtual instance types, free capacity, allowed contexts', () => {
    const liveNodes: LiveNode[] = [
      { infra: 'kubernetes', region: 'a', name: 'a-1', cpus: 8, memoryGb: 32, gpus: { name: 'H100', count: 8 }, free: { gpus: 2 } },
      { infra: 'kubernetes', region: 'b', name: 'b-1', cpus: 8, memoryGb: 32, gpus: { name: 'H100', count: 8 } },
    ]
    const enabled = { infra: ['kubernetes'], regions: { kubernetes: ['a', 'b'] } }
    const p = optimize({ spec: single({ accelerator: { name: 'H100', count: 4 } }), enabled, liveNodes })
    expect(p.candidates.map((c) => c.region)).toEqual(['b'])
    const a = unavailable(() =>
      optimize({ spec: single({ accelerator: { name: 'H100', count: 4 }, infra: { cloud: 'kubernetes', region: 'a' } }), enabled, liveNodes }),
    )
    expect(a.message).toContain('kubernetes: context a: no node fits (needs 4x H100, node a-1 has 2 of 8x H100 free)')
    const v = optimize({ spec: single({ instanceType: '4CPU--16GB--H100:2' }), enabled, liveNodes })
    expect(v.chosen).toMatchObject({ region: 'a', vcpus: 4, memoryGb: 16, gpu: { name: 'H100', count: 2 } })
    const onlyA = optimize({ spec: single(), enabled: { infra: ['kubernetes'], regions: { kubernetes: ['a'] } }, liveNodes })
    expect(onlyA.candidates.map((c) => c.region)).toEqual(['a'])
    const bad = unavailable(() => optimize({ spec: single({ instanceType: 'm6i.large', infra: { cloud: 'k8s' } }), enabled, liveNodes }))
    expect(bad.message).toContain('kubernetes: instance type m6i.large is not available')
  })
})

describe('failover', () => {
  test('zone, region and infra blocks, in plan order', () => {
    const p = plan({})
    const first = nextCandidate(p, [])
    expect(first).toBe(p.chosen)
    const z = nextCandidate(p, [blockFor(first, 'zone', 'us-east-1a')])
    expect(z).toMatchObject({ region: 'us-east-1', zones: ['us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1f'] })
    const r = nextCandidate(p, [blockFor(first, 'region')])
    expect(r).toMatchObject({ infra: 'aws', region: 'us-east-2', instanceType: 'm6i.2xlarge' })
    const allZones = first.zones.map((zone) => blockFor(first, 'zone', zone))
    expect(nextCandidate(p, allZones).region).toBe('us-east-2')
    const i = nextCandidate(p, [blockFor(first, 'infra')])
    expect(i).toMatchObject({ infra: 'gcp', instanceType: 'n2-standard-8', region: 'us-central1' })
  })

  test('blocked entries given to optimize are excluded up front', () => {
    const p = plan({}, { blocked: [{ infra: 'aws' }] })
    expect(p.chosen.infra).toBe('gcp')
    const e = unavailable(() => plan({ infra: { cloud: 'aws', region: 'us-east-1' } }, { blocked: [{ infra: 'aws', region: 'us-east-1' }] }))
    expect(e.message).toContain('aws: every match is blocked after failed attempts (us-east-1)')
    expect(e.hint).toContain('--retry-until-up')
  })

  test('ordered failover stays in the user order', () => {
    const p = plan({
      mode: 'ordered',
      candidates: [
        { accelerator: { name: 'H100', count: 8 }, infra: { cloud: 'aws' } },
        { accelerator: { name: 'A100', count: 8 }, infra: { cloud: 'aws' } },
      ],
    })
    const blocked = p.candidates.filter((c) => c.alternative === 0).map((c) => blockFor(c, 'region'))
    expect(nextCandidate(p, blocked)).toMatchObject({ alternative: 1, instanceType: 'p4d.24xlarge' })
  })

  test('everything blocked', () => {
    const p = plan({ infra: { cloud: 'aws', region: 'us-west-1' } })
    const e = unavailable(() => nextCandidate(p, [{ infra: 'aws' }]))
    expect(e.message).toContain('Failed to provision all 1 candidate resource')
    expect(e.message).toContain('  aws')
  })
})

describe('infeasible requests', () => {
  test('message lists each infra with the reason', () => {
    const e = unavailable(() =>
      optimize({
        spec: single({ accelerator: { name: 'H100', count: 8 }, infra: { cloud: 'aws', region: 'us-west-1' } }),
        enabled: { infra: ['aws', 'local'] },
      }),
    )
    expect(e.message).toBe(
      'No resource satisfies 8x H100, infra=aws/us-west-1 (1 node):\n' +
        '  aws: no instance type with 8x H100 in us-west-1 (offered in: us-east-1, us-east-2, us-west-2, ap-northeast-1)',
    )
    expect(e.hint).toContain('sky gpus list H100')
    expect(e.details!.rejected).toHaveLength(1)
  })

  test('several alternatives are reported one by one', () => {
    const e = unavailable(() =>
      plan({ mode: 'any_of', candidates: [{ accelerator: { name: 'H100', count: 3 } }, { accelerator: { name: 'Z9', count: 1 } }] }),
    )
    expect(e.message).toContain('None of the 2 requested alternatives can be satisfied (1 node):')
    expect(e.message).toContain('  [1] 3x H100:\n    aws: no instance type with 3x H100 (H100 comes in counts: 1, 8)')
    expect(e.message).toContain('  [2] 1x Z9:')
  })

  test('impossible input is a ValidationError', () => {
    expect(() => plan({}, { numNodes: 0 })).toThrow(ValidationError)
    expect(() => plan({ accelerator: { name: 'H100', count: 0 } })).toThrow(ValidationError)
    expect(() => plan({ cpus: { value: -1, orMore: false } })).toThrow(ValidationError)
    expect(() => optimize({ spec: { mode: 'single', candidates: [] }, enabled: CLOUDS })).toThrow(ValidationError)
  })
})

describe('GPUs by memory', () => {
  const mem = (memoryGb: number, orMore: boolean, manufacturer?: string): Resources => ({
    accelerator: { name: `${manufacturer ? `${manufacturer}:` : ''}${memoryGb}GB${orMore ? '+' : ''}`, count: 1, byMemory: { memoryGb, orMore, ...(manufacturer ? { manufacturer } : {}) } },
  })

  test('80GB+ plans only GPUs with at least 80 GB, each under its real name', () => {
    const p = plan(mem(80, true))
    expect(p.candidates.length).toBeGreaterThan(0)
    const names = new Set(p.candidates.map((c) => c.gpu!.name))
    for (const n of names) expect(['A100-80GB', 'H100', 'H100-MEGA', 'H200', 'B200', 'GH200', 'B300', 'GB200', 'RTXPRO6000']).toContain(n)
    expect(names.has('A100')).toBe(false)
    expect(p.chosen!.request.accelerator).toEqual({ name: p.chosen!.gpu!.name, count: 1 })
    // Cheapest first across the matching GPU types.
    const costs = p.candidates.map((c) => c.hourlyCost)
    expect(costs).toEqual([...costs].sort((a, b) => a - b))
  })

  test('an exact size matches that size only; a maker narrows it', () => {
    const exact = plan(mem(24, false))
    for (const c of exact.candidates) expect(['L4', 'A10G', 'A10']).toContain(c.gpu!.name)
    const amd = unavailable(() => plan(mem(80, true, 'amd')))
    expect(amd.message).toContain('no amd GPU with at least 80 GB')
  })

  test('live nodes match by the memory of their GPU type', () => {
    const liveNodes = [localMachine({ gpus: { name: 'L40S', count: 2 } })]
    const p = plan({ ...mem(40, true), infra: { cloud: 'local' } }, { enabled: { infra: ['local'] }, liveNodes })
    expect(p.chosen).toMatchObject({ infra: 'local', gpu: { name: 'L40S', count: 1 } })
    const e = unavailable(() => plan({ ...mem(80, true), infra: { cloud: 'local' } }, { enabled: { infra: ['local'] }, liveNodes }))
    expect(e.message).toContain('no GPU with at least 80 GB')
  })
})
