import { describe, expect, test } from 'bun:test'
import { applyAlloc, freeCapacity, neverFitsReason, place, resourcesString, totalCapacity } from '../../../src/core/agent/capacity'
import type { ClusterSpec } from '../../../src/core/agent/types'

function cluster(nodes: number, cpus: number, gpus: { name: string; count: number } | null, memoryGb = 16): ClusterSpec {
  return {
    name: 'c',
    cloud: null,
    region: null,
    zone: null,
    nodes: Array.from({ length: nodes }, (_, i) => ({ rank: i, ip: `10.0.0.${i + 1}`, home: `/h${i}`, kind: 'local' as const })),
    capacity: { cpus, memoryGb, gpus },
  }
}

describe('capacity', () => {
  test('fractional GPUs pack onto one device before using the next', () => {
    const spec = cluster(1, 8, { name: 'L4', count: 2 })
    const free = totalCapacity(spec)
    const got: number[][] = []
    for (let i = 0; i < 4; i++) {
      const a = place(free, { gpus: { name: 'L4', count: 0.5 } }, 1)!
      expect(a).not.toBeNull()
      applyAlloc(free, a)
      got.push(a[0]!.gpuIndices)
    }
    expect(got).toEqual([[0], [0], [1], [1]])
    expect(place(free, { gpus: { name: 'L4', count: 0.5 } }, 1)).toBeNull()
    expect(place(free, { cpus: 1 }, 1)).not.toBeNull()
  })

  test('0.3 + 0.3 + 0.3 fit one device, 0.25 more does not', () => {
    const free = totalCapacity(cluster(1, 8, { name: 'L4', count: 1 }))
    for (let i = 0; i < 3; i++) applyAlloc(free, place(free, { gpus: { name: 'L4', count: 0.3 } }, 1)!)
    expect(place(free, { gpus: { name: 'L4', count: 0.25 } }, 1)).toBeNull()
    expect(place(free, { gpus: { name: 'L4', count: 0.1 } }, 1)).not.toBeNull()
  })

  test('whole GPUs take fully free devices only', () => {
    const spec = cluster(1, 8, { name: 'A100', count: 4 })
    const free = totalCapacity(spec)
    applyAlloc(free, place(free, { gpus: { name: 'A100', count: 0.5 } }, 1)!)
    const a = place(free, { gpus: { name: 'a100', count: 3 } }, 1)!
    expect(a[0]!.gpuIndices).toEqual([1, 2, 3])
    expect(a[0]!.gpuMilli).toBe(1000)
    applyAlloc(free, a)
    expect(place(free, { gpus: { name: 'A100', count: 1 } }, 1)).toBeNull()
  })

  test('CPU and memory limit concurrency; default demand is 0.5 CPU', () => {
    const free = totalCapacity(cluster(1, 1, null, 2))
    applyAlloc(free, place(free, {}, 1)!)
    applyAlloc(free, place(free, {}, 1)!)
    expect(place(free, {}, 1)).toBeNull()
    const mem = totalCapacity(cluster(1, 8, null, 2))
    expect(place(mem, { memoryGb: 3 }, 1)).toBeNull()
    expect(place(mem, { memoryGb: 2 }, 1)).not.toBeNull()
  })

  test('multi-node placement takes distinct nodes in rank order', () => {
    const spec = cluster(3, 2, null)
    const free = totalCapacity(spec)
    applyAlloc(free, place(free, { cpus: 2 }, 1)!)
    const a = place(free, { cpus: 1 }, 2)!
    expect(a.map((x) => x.node)).toEqual([1, 2])
    expect(place(free, { cpus: 2 }, 3)).toBeNull()
  })

  test('freeCapacity subtracts running allocations', () => {
    const spec = cluster(1, 4, { name: 'L4', count: 1 })
    const a = place(totalCapacity(spec), { cpus: 3, gpus: { name: 'L4', count: 1 } }, 1)!
    const free = freeCapacity(spec, [a])
    expect(free[0]).toMatchObject({ cpuMilli: 1000, gpuFree: [0] })
  })

  test('never-fit reasons', () => {
    const spec = cluster(2, 4, { name: 'L4', count: 1 })
    expect(neverFitsReason(spec, { cpus: 4 }, 2)).toBeNull()
    expect(neverFitsReason(spec, {}, 3)).toContain('needs 3 nodes')
    expect(neverFitsReason(spec, { cpus: 5 }, 1)).toContain('cpus=5')
    expect(neverFitsReason(spec, { gpus: { name: 'H100', count: 1 } }, 1)).toContain('gpus=H100:1')
    expect(neverFitsReason(spec, { gpus: { name: 'L4', count: 2 } }, 1)).toContain('gpus=L4:1 per node')
  })

  test('resources string', () => {
    expect(resourcesString(1, {})).toBe('1x[CPU:0.5]')
    expect(resourcesString(2, { cpus: 4 })).toBe('2x[CPU:4]')
    expect(resourcesString(1, { gpus: { name: 'L4', count: 0.5 } })).toBe('1x[L4:0.5]')
    expect(resourcesString(1, { cpus: 2, memoryGb: 8, gpus: { name: 'A100', count: 8 } })).toBe('1x[A100:8, CPU:2, mem:8GB]')
  })
})
