import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  cgroupCpuLimit,
  cgroupMemoryLimit,
  detectLocalCapacity,
  localLiveNode,
  parseGpuSpec,
  parseNvidiaSmi,
  resetLocalCapacityCache,
} from '../../../src/core/infra/local-capacity'
import { ValidationError } from '../../../src/core/errors'
import { optimize } from '../../../src/core/optimizer'

const noGpu = { nvidiaSmi: () => undefined }
const dirs: string[] = []

function cgroup(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'sky-cgroup-'))
  dirs.push(d)
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(d, f, '..'), { recursive: true })
    writeFileSync(join(d, f), text)
  }
  return d
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  resetLocalCapacityCache()
})

describe('detectLocalCapacity', () => {
  test('detects CPUs and memory of this machine', () => {
    const cap = detectLocalCapacity({}, { ...noGpu, cgroupRoot: cgroup({}) })
    expect(cap.cpus).toBe(cpus().length)
    expect(cap.memoryGb).toBeGreaterThan(0)
    expect(cap.gpus).toBeUndefined()
    expect(cap.source).toEqual({ cpus: 'os', memory: 'os', gpus: 'none' })
  })

  test('cgroup v2 and v1 limits', () => {
    const v2 = cgroup({ 'cpu.max': '50000 100000\n', 'memory.max': String(2 * 1024 ** 3) })
    expect(cgroupCpuLimit(v2)).toBe(0.5)
    expect(cgroupMemoryLimit(v2)).toBe(2 * 1024 ** 3)
    const cap = detectLocalCapacity(undefined, { ...noGpu, cgroupRoot: v2 })
    expect(cap).toMatchObject({ cpus: 0.5, memoryGb: 2, source: { cpus: 'cgroup', memory: 'cgroup' } })
    expect(cgroupCpuLimit(cgroup({ 'cpu.max': 'max 100000' }))).toBeUndefined()
    expect(cgroupMemoryLimit(cgroup({ 'memory.max': 'max' }))).toBeUndefined()
    const v1 = cgroup({ 'cpu/cpu.cfs_quota_us': '200000', 'cpu/cpu.cfs_period_us': '100000', 'memory/memory.limit_in_bytes': '9223372036854771712' })
    expect(cgroupCpuLimit(v1)).toBe(2)
    expect(cgroupMemoryLimit(v1)).toBeUndefined()
  })

  test('NVIDIA GPUs from nvidia-smi', () => {
    const smi = 'NVIDIA H100 80GB HBM3, 81559 MiB\n'.repeat(8)
    const cap = detectLocalCapacity({}, { nvidiaSmi: () => smi, cgroupRoot: cgroup({}) })
    expect(cap.gpus).toEqual({ name: 'H100', count: 8, memoryGb: 80 })
    expect(cap.devices).toHaveLength(8)
    expect(cap.source.gpus).toBe('nvidia-smi')
    const mixed = parseNvidiaSmi('Tesla T4, 15360 MiB\nNVIDIA A100-SXM4-40GB, 40960 MiB\nTesla T4, 15360 MiB\n')
    expect(mixed.map((d) => d.name)).toEqual(['T4', 'A100', 'T4'])
    const m = detectLocalCapacity({}, { nvidiaSmi: () => 'Tesla T4, 15360 MiB\nNVIDIA A100-SXM4-40GB, 40960 MiB\nTesla T4, 15360 MiB\n', cgroupRoot: cgroup({}) })
    expect(m.gpus).toEqual({ name: 'T4', count: 2, memoryGb: 15 })
  })

  test('config can only lower what is detected: local.cpus, local.memory, local.gpus: none', () => {
    const smi = { nvidiaSmi: () => 'NVIDIA H100, 81559 MiB', cgroupRoot: cgroup({}) }
    const real = detectLocalCapacity({}, smi)
    const cap = detectLocalCapacity({ local: { cpus: 0.5, memory: '1GB' } }, smi)
    expect(cap).toMatchObject({ cpus: 0.5, memoryGb: 1, gpus: { name: 'H100', count: 1 } })
    expect(cap.gpuIndices).toEqual([0])
    expect(cap.source).toEqual({ cpus: 'config', memory: 'config', gpus: 'nvidia-smi' })
    const bigger = detectLocalCapacity({ local: { cpus: 100_000, memory: '100000GB' } }, smi)
    expect(bigger.cpus).toBe(real.cpus)
    expect(bigger.memoryGb).toBe(real.memoryGb)
    const none = detectLocalCapacity({ local: { gpus: 'none' } }, smi)
    expect(none.gpus).toBeUndefined()
    expect(() => detectLocalCapacity({ local: { cpus: 0 } }, noGpu)).toThrow(ValidationError)
    // GPUs the machine may not have cannot be described in config.
    expect(() => detectLocalCapacity({ local: { gpus: 'L4:4' } }, noGpu)).toThrow(/local.gpus.*nvidia-smi/)
    expect(() => detectLocalCapacity({ local: { gpus: 'L4:x' } }, noGpu)).toThrow(ValidationError)
  })

  test('GPU device indices of the most common type', () => {
    const m = detectLocalCapacity({}, { nvidiaSmi: () => 'Tesla T4, 15360 MiB\nNVIDIA A100-SXM4-40GB, 40960 MiB\nTesla T4, 15360 MiB\n', cgroupRoot: cgroup({}) })
    expect(m.gpuIndices).toEqual([0, 2])
  })

  test('parseGpuSpec', () => {
    expect(parseGpuSpec('H100')).toEqual({ name: 'H100', count: 1, memoryGb: 80 })
    expect(parseGpuSpec('A100-80GB:8')).toEqual({ name: 'A100-80GB', count: 8, memoryGb: 80 })
    expect(parseGpuSpec(0)).toBeNull()
    expect(parseGpuSpec('none')).toBeNull()
    expect(() => parseGpuSpec('L4:0')).toThrow(ValidationError)
  })

  test('as the local live node the optimizer uses', () => {
    const cap = detectLocalCapacity({}, { nvidiaSmi: () => 'NVIDIA L4, 23034 MiB\nNVIDIA L4, 23034 MiB', cgroupRoot: cgroup({}) })
    const node = localLiveNode(cap)
    expect(node).toMatchObject({ infra: 'local', region: 'local', name: 'localhost', gpus: { name: 'L4', count: 2, memoryGb: 22 } })
    const p = optimize({
      spec: { mode: 'single', candidates: [{ accelerator: { name: 'L4', count: 1 } }] },
      enabled: { infra: ['local', 'aws'] },
      liveNodes: [node],
    })
    expect(p.chosen).toMatchObject({ infra: 'local', hourlyCost: 0 })
  })
})
