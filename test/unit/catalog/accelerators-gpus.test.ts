import { describe, expect, test } from 'bun:test'
import {
  acceleratorMemoryGb,
  canonicalAcceleratorName,
  gpuNameFromDevice,
  isCommonGpu,
} from '../../../src/core/catalog/accelerators'
import { gpuExists, listGpus, renderGpuList } from '../../../src/core/catalog/gpus'
import { UsageError } from '../../../src/core/errors'
import type { LiveNode } from '../../../src/core/infra/types'

describe('accelerator names', () => {
  test('canonical spelling, case-insensitive', () => {
    expect(canonicalAcceleratorName('h100')).toBe('H100')
    expect(canonicalAcceleratorName('a100-80gb')).toBe('A100-80GB')
    expect(canonicalAcceleratorName('t4G')).toBe('T4g')
    expect(canonicalAcceleratorName('Mystery')).toBe('Mystery')
    expect(acceleratorMemoryGb('H200')).toBe(141)
    expect(isCommonGpu('l4')).toBe(true)
    expect(isCommonGpu('P4')).toBe(false)
  })

  test('nvidia-smi device names', () => {
    expect(gpuNameFromDevice('NVIDIA H100 80GB HBM3')).toBe('H100')
    expect(gpuNameFromDevice('NVIDIA A100-SXM4-80GB')).toBe('A100-80GB')
    expect(gpuNameFromDevice('NVIDIA A100-SXM4-40GB')).toBe('A100')
    expect(gpuNameFromDevice('NVIDIA A100-PCIE', 81920)).toBe('A100-80GB')
    expect(gpuNameFromDevice('Tesla V100-SXM2-16GB')).toBe('V100')
    expect(gpuNameFromDevice('Tesla V100-SXM2-32GB')).toBe('V100-32GB')
    expect(gpuNameFromDevice('Tesla T4')).toBe('T4')
    expect(gpuNameFromDevice('NVIDIA L4')).toBe('L4')
    expect(gpuNameFromDevice('NVIDIA L40S')).toBe('L40S')
    expect(gpuNameFromDevice('NVIDIA A10G')).toBe('A10G')
    expect(gpuNameFromDevice('NVIDIA H200')).toBe('H200')
    expect(gpuNameFromDevice('NVIDIA B200')).toBe('B200')
    expect(gpuNameFromDevice('NVIDIA GeForce RTX 4090')).toBe('RTX4090')
    expect(gpuNameFromDevice('NVIDIA RTX A6000')).toBe('A6000')
  })
})

describe('sky gpus list', () => {
  const k8s: LiveNode[] = [
    { infra: 'kubernetes', region: 'ctx-a', name: 'node-1', cpus: 32, memoryGb: 128, gpus: { name: 'H100', count: 8 }, free: { gpus: 6 } },
    { infra: 'kubernetes', region: 'ctx-a', name: 'node-2', cpus: 32, memoryGb: 128, gpus: { name: 'H100', count: 8 } },
    { infra: 'kubernetes', region: 'ctx-a', name: 'cpu-1', cpus: 8, memoryGb: 32 },
  ]

  test('default view: common and other GPUs with quantities', () => {
    const list = listGpus()
    const h100 = list.common.find((g) => g.name === 'H100')!
    expect(h100.quantities).toEqual([1, 2, 4, 8])
    expect(h100.infra.sort()).toEqual(['aws', 'gcp'])
    expect(list.other.map((g) => g.name)).toContain('P100')
    expect(list.common.map((g) => g.name)).not.toContain('P100')
    const text = renderGpuList(list)
    expect(text).toContain('COMMON_GPU')
    expect(text).toContain('OTHER_GPU')
    expect(text).toMatch(/^H100\s+1, 2, 4, 8$/m)
  })

  test('restricting to infra', () => {
    const aws = listGpus({ infra: 'aws' })
    expect(aws.common.find((g) => g.name === 'H100')!.quantities).toEqual([1, 8])
    expect(aws.other.map((g) => g.name)).not.toContain('P100')
    // Every cloud's catalog is listed without credentials (as SkyPilot does), marked when not enabled.
    const enabledOnlyGcp = listGpus({ enabled: ['gcp'] })
    expect(enabledOnlyGcp.common.find((g) => g.name === 'A10G')?.infra).toEqual(['aws'])
    expect(enabledOnlyGcp.notEnabled).toEqual(['aws'])
    expect(renderGpuList(enabledOnlyGcp)).toContain('AWS: catalog shown; not enabled here')
    const h100 = renderGpuList(listGpus({ filter: 'H100:1', enabled: ['gcp'] }))
    expect(h100).toMatch(/^H100\s+1\s+AWS\*\s+p5/m)
    expect(h100).toMatch(/^H100\s+1\s+GCP\s+a3/m)
    expect(h100).toContain('* AWS: catalog shown; not enabled here')
    expect(listGpus({ enabled: ['aws', 'gcp'] }).notEnabled).toEqual([])
    expect(() => listGpus({ infra: 'azure' })).toThrow(UsageError)
  })

  test('live GPUs of Kubernetes contexts', () => {
    const list = listGpus({ liveNodes: k8s, infra: 'k8s' })
    expect(list.live).toHaveLength(1)
    expect(list.live[0]).toMatchObject({ infra: 'kubernetes', region: 'ctx-a', gpu: 'H100', requestable: [1, 2, 4, 8], free: 14, total: 16 })
    const text = renderGpuList(list)
    expect(text).toContain('Kubernetes GPUs')
    expect(text).toContain('Context: ctx-a')
    expect(text).toMatch(/^H100\s+1, 2, 4, 8\s+14 of 16 free$/m)
    expect(text).toMatch(/^node-1\s+H100\s+6 of 8 free$/m)
  })

  test('detail rows for one GPU and count', () => {
    const list = listGpus({ filter: 'h100:8' })
    expect(list.detail!.length).toBeGreaterThan(0)
    expect(list.detail!.every((r) => r.gpu === 'H100' && r.qty === 8)).toBe(true)
    // Cheapest region only, one row per (cloud, instance type).
    const types = list.detail!.map((r) => `${r.cloud}/${r.instanceType}`)
    expect(new Set(types).size).toBe(types.length)
    expect(list.detail![0]).toMatchObject({ cloud: 'aws', instanceType: 'p5.48xlarge', vcpus: 192, hostMemoryGb: 2048, price: 55.04 })
    const text = renderGpuList(list)
    const [header, first] = text.split('\n')
    expect(header.split(/\s{2,}/)).toEqual([
      'GPU',
      'QTY',
      'CLOUD',
      'INSTANCE_TYPE',
      'DEVICE_MEM',
      'vCPUs',
      'HOST_MEM',
      'HOURLY_PRICE',
      'HOURLY_SPOT_PRICE',
    ])
    expect(first.split(/\s{2,}/)).toEqual(['H100', '8', 'AWS', 'p5.48xlarge', '80GB', '192', '2048GB', '$ 55.040', '$ 27.520'])
  })

  test('--all-regions adds a REGION column with every region', () => {
    const list = listGpus({ filter: 'A100-80GB:8', allRegions: true })
    expect(list.detail!.filter((r) => r.instanceType === 'a2-ultragpu-8g').map((r) => r.region).sort()).toEqual([
      'europe-west4',
      'us-central1',
      'us-east4',
    ])
    expect(renderGpuList(list).split('\n')[0]).toEndWith('REGION')
  })

  test('GCP attachable GPUs are priced per GPU without a host', () => {
    const list = listGpus({ filter: 'T4:4', infra: 'gcp' })
    const row = list.detail!.find((r) => r.instanceType === '(attachable)')!
    expect(row.price).toBeCloseTo(1.4, 5)
    expect(row.vcpus).toBeUndefined()
    expect(renderGpuList(list)).toMatch(/T4\s+4\s+GCP\s+\(attachable\)\s+16GB\s+-\s+-\s+\$ 1\.400/)
  })

  test('unknown GPU', () => {
    const list = listGpus({ filter: 'Z999' })
    expect(list.detail).toEqual([])
    expect(renderGpuList(list)).toBe('No resources found for Z999 on the selected infra.')
    expect(gpuExists('Z999')).toBe(false)
    expect(gpuExists('h100')).toBe(true)
    expect(() => listGpus({ filter: 'H100:0' })).toThrow(UsageError)
  })
})

describe('sky gpus list by memory', () => {
  test('80GB+ lists only GPUs with at least 80 GB; an exact size and a count narrow it', () => {
    const big = listGpus({ filter: '80GB+' })
    const names = new Set(big.detail!.map((r) => r.gpu))
    expect(names.has('A100-80GB')).toBe(true)
    expect(names.has('H100')).toBe(true)
    expect(names.has('A100')).toBe(false)
    for (const r of big.detail!) expect(r.deviceMemoryGb).toBeGreaterThanOrEqual(80)
    const four = listGpus({ filter: '24GB:4' })
    expect(four.detail!.length).toBeGreaterThan(0)
    for (const r of four.detail!) {
      expect(r.deviceMemoryGb).toBe(24)
      expect(r.qty).toBe(4)
    }
    expect(renderGpuList(listGpus({ filter: 'amd:80GB+' }))).toContain('No resources found for amd:80GB+')
    expect(() => listGpus({ filter: '80GB+:x' })).toThrow(UsageError)
  })
})
