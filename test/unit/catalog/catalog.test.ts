import { describe, expect, test } from 'bun:test'
import { acceleratorOffers, buildCatalog, bundledRawCatalog, loadCatalog, resetCatalog, validateRawCatalog } from '../../../src/core/catalog/load'
import { acceleratorCounts, queryOffers } from '../../../src/core/catalog/query'
import { formatCatalogJson } from '../../../src/core/catalog/format'
import type { CloudCatalog, RawCloudCatalog } from '../../../src/core/catalog/types'
import { ValidationError } from '../../../src/core/errors'

function cloud(name: 'aws' | 'gcp'): CloudCatalog {
  return loadCatalog().clouds.get(name)!
}

function offer(c: CloudCatalog, type: string, region: string) {
  return c.byInstanceType.get(type)?.find((o) => o.region === region)
}

describe('bundled catalog', () => {
  test('is versioned and dated', () => {
    for (const c of ['aws', 'gcp'] as const) {
      const raw = bundledRawCatalog(c)
      expect(raw.version).toBe(1)
      expect(Number.isNaN(Date.parse(raw.generated_at))).toBe(false)
      expect(cloud(c).generatedAt).toBe(raw.generated_at)
    }
  })

  test('is memoized and can be reset', () => {
    const a = loadCatalog()
    expect(loadCatalog()).toBe(a)
    resetCatalog()
    const b = loadCatalog()
    expect(b).not.toBe(a)
    expect(b.clouds.get('aws')!.offers.length).toBe(a.clouds.get('aws')!.offers.length)
  })

  test('covers the main regions with zones', () => {
    const aws = cloud('aws').regions.map((r) => r.name)
    for (const r of ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1']) expect(aws).toContain(r)
    const gcp = cloud('gcp').regions.map((r) => r.name)
    for (const r of ['us-central1', 'us-east1', 'us-west1', 'europe-west4', 'asia-east1']) expect(gcp).toContain(r)
    expect(cloud('aws').regions.find((r) => r.name === 'us-east-1')!.zones).toContain('us-east-1a')
    expect(cloud('gcp').regions.find((r) => r.name === 'us-central1')!.zones).toContain('us-central1-a')
  })

  test('has the common CPU families', () => {
    const aws = cloud('aws')
    // m5/c5/r5: older generations that example task YAMLs still pin by name (e.g. m5.8xlarge).
    for (const t of ['m6i.2xlarge', 'm7i.large', 'c6i.4xlarge', 'c7i.xlarge', 'r6i.large', 't3.medium', 'm5.8xlarge', 'c5.9xlarge', 'r5.2xlarge']) {
      expect(aws.byInstanceType.has(t)).toBe(true)
    }
    // Pinned-only families: the default CPU choice stays on the current generation.
    expect(aws.defaultOffers.some((o) => o.family === 'm5')).toBe(false)
    const gcp = cloud('gcp')
    for (const t of ['n2-standard-8', 'n2-highmem-4', 'n2-highcpu-16', 'e2-standard-2', 'n1-standard-4']) {
      expect(gcp.byInstanceType.has(t)).toBe(true)
    }
  })

  test('instance facts and regional prices', () => {
    const m = offer(cloud('aws'), 'm6i.2xlarge', 'us-east-1')!
    expect(m).toMatchObject({ vcpus: 8, memoryGb: 32, price: 0.384, arch: 'x86_64', defaultFamily: true })
    expect(m.spotPrice!).toBeLessThan(m.price)
    const fra = offer(cloud('aws'), 'm6i.2xlarge', 'eu-central-1')!
    expect(fra.price).toBeGreaterThan(m.price)
    const n2 = offer(cloud('gcp'), 'n2-standard-8', 'us-central1')!
    expect(n2).toMatchObject({ vcpus: 8, memoryGb: 32 })
    expect(n2.price).toBeCloseTo(0.3885, 3)
  })

  test('every current NVIDIA GPU type is offered', () => {
    const aws = acceleratorCounts(cloud('aws'))
    for (const g of ['V100', 'V100-32GB', 'A100', 'A100-80GB', 'H100', 'H200', 'B200', 'T4', 'A10G', 'L4', 'L40S', 'T4g']) {
      expect(aws.has(g)).toBe(true)
    }
    expect(aws.get('H100')).toEqual([1, 8])
    const gcp = acceleratorCounts(cloud('gcp'))
    for (const g of ['T4', 'V100', 'P100', 'L4', 'A100', 'A100-80GB', 'H100', 'H100-MEGA', 'H200', 'B200']) {
      expect(gcp.has(g)).toBe(true)
    }
    expect(gcp.get('A100')).toEqual([1, 2, 4, 8, 16])
    const p5 = offer(cloud('aws'), 'p5.48xlarge', 'us-east-1')!
    expect(p5.gpu).toEqual({ name: 'H100', count: 8, memoryGb: 80 })
    expect(offer(cloud('aws'), 'p6-b200.48xlarge', 'us-east-1')!.gpu!.name).toBe('B200')
    expect(offer(cloud('gcp'), 'a3-ultragpu-8g', 'us-central1')!.gpu!.name).toBe('H200')
    expect(offer(cloud('aws'), 'g5g.xlarge', 'us-east-1')!.arch).toBe('arm64')
  })

  test('GCP N1 hosts with attached GPUs sum host and GPU prices', () => {
    const gcp = cloud('gcp')
    const v100 = acceleratorOffers(gcp, 'v100').filter((o) => o.region === 'us-central1' && o.gpu!.count === 1)
    const def = v100.filter((o) => o.defaultHost)
    expect(def.map((o) => o.instanceType)).toEqual(['n1-highmem-8'])
    const host = offer(gcp, 'n1-highmem-8', 'us-central1')!
    expect(def[0].price).toBeCloseTo(host.price + 2.48, 5)
    expect(def[0].attached).toBe(true)
    // Hosts beyond the per-GPU limits are not offered (V100:1 allows at most 12 vCPUs / 78 GB).
    expect(v100.every((o) => o.vcpus <= 12 && o.memoryGb <= 78)).toBe(true)
    // L4 only comes with G2 hosts, never attached to N1.
    expect(acceleratorOffers(gcp, 'L4').every((o) => o.family === 'g2-standard')).toBe(true)
    expect(gcp.attachable.map((a) => a.name).sort()).toEqual(['P100', 'P4', 'T4', 'V100'])
  })

  test('query results are sorted cheapest first', () => {
    for (const c of ['aws', 'gcp'] as const) {
      const o = queryOffers(cloud(c), { accelerator: { name: 'H100', count: 8 } }).offers
      expect(o.length).toBeGreaterThan(1)
      for (let i = 1; i < o.length; i++) expect(o[i].price).toBeGreaterThanOrEqual(o[i - 1].price)
    }
  })

})

describe('catalog data validation and formatting', () => {
  const tiny: RawCloudCatalog = {
    version: 1,
    cloud: 'aws',
    generated_at: '2026-01-01T00:00:00Z',
    regions: [
      { name: 'r1', zones: ['r1a', 'r1b'] },
      { name: 'r2', zones: ['r2a'], priceFactor: 2 },
    ],
    families: [
      {
        family: 'x1',
        default: true,
        spotFactor: 0.5,
        prices: { r1: { 'x1.big': [1.5, null] } },
        types: [
          ['x1.small', 2, 8, 0.1],
          ['x1.big', 8, 32, 0.4],
        ],
      },
    ],
  }

  test('expands factors and exact per-region prices', () => {
    const c = buildCatalog([tiny]).clouds.get('aws')!
    expect(c.offers.length).toBe(4)
    expect(offer(c, 'x1.small', 'r2')).toMatchObject({ price: 0.2, spotPrice: 0.1 })
    expect(offer(c, 'x1.big', 'r1')!.price).toBe(1.5)
    expect(offer(c, 'x1.big', 'r1')!.spotPrice).toBeUndefined()
    expect(offer(c, 'x1.big', 'r2')!.price).toBe(0.8)
  })

  test('rejects unknown versions and regions', () => {
    expect(() => validateRawCatalog({ ...tiny, version: 2 })).toThrow(ValidationError)
    expect(() => validateRawCatalog({ ...tiny, families: [{ ...tiny.families[0], regions: ['nope'] }] })).toThrow(/unknown region nope/)
  })

  test('formats as parseable JSON with one line per instance type', () => {
    const text = formatCatalogJson(tiny)
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(tiny)))
    expect(text).toContain('["x1.small", 2, 8, 0.1]')
  })
})

describe('queryOffers', () => {
  test('default CPU request picks one instance type: 8+ vCPUs with 4 GB per vCPU', () => {
    const aws = queryOffers(cloud('aws'), {})
    expect(new Set(aws.offers.map((o) => o.instanceType))).toEqual(new Set(['m6i.2xlarge']))
    expect(aws.offers[0].region).toBe('us-east-1')
    const gcp = queryOffers(cloud('gcp'), {})
    expect(gcp.offers[0].instanceType).toBe('n2-standard-8')
  })

  test('cpus and memory: exact versus at least', () => {
    expect(queryOffers(cloud('aws'), { cpus: { value: 4, orMore: false } }).offers[0].instanceType).toBe('m6i.xlarge')
    expect(queryOffers(cloud('aws'), { memory: { value: 64, orMore: true } }).offers[0].instanceType).toBe('r6i.2xlarge')
    expect(queryOffers(cloud('aws'), { cpus: { value: 2, orMore: false }, memory: { value: 4, orMore: false } }).offers[0].instanceType).toBe(
      'c6i.large',
    )
    const none = queryOffers(cloud('aws'), { cpus: { value: 3, orMore: false } })
    expect(none.offers).toEqual([])
    expect(none.reason).toContain('3 vCPUs')
  })

  test('accelerators: exact counts, fractional counts round up, size filters', () => {
    const h = queryOffers(cloud('aws'), { accelerator: { name: 'h100', count: 8 } })
    expect(h.offers[0].instanceType).toBe('p5.48xlarge')
    const half = queryOffers(cloud('aws'), { accelerator: { name: 'V100', count: 0.5 } })
    expect(half.offers[0].instanceType).toBe('p3.2xlarge')
    const sized = queryOffers(cloud('aws'), { accelerator: { name: 'A10G', count: 1 }, cpus: { value: 16, orMore: true } })
    expect(sized.offers[0].instanceType).toBe('g5.4xlarge')
    const bad = queryOffers(cloud('aws'), { accelerator: { name: 'H100', count: 3 } })
    expect(bad.reason).toBe('no instance type with 3x H100 (H100 comes in counts: 1, 8)')
    expect(queryOffers(cloud('aws'), { accelerator: { name: 'TPU-V9', count: 1 } }).reason).toBe('no instance type with TPU-V9')
  })

  test('region and zone pinning say where else it is offered', () => {
    const r = queryOffers(cloud('aws'), { accelerator: { name: 'H100', count: 8 }, region: 'us-west-1' })
    expect(r.reason).toStartWith('no instance type with 8x H100 in us-west-1 (offered in: us-east-1')
    const z = queryOffers(cloud('aws'), { region: 'us-east-1', zone: 'us-east-1b' })
    expect(z.offers.length).toBe(1)
    expect(z.offers[0].zones).toEqual(['us-east-1b'])
    expect(queryOffers(cloud('aws'), { region: 'mars-1' }).reason).toContain('mars-1 is not a region')
    expect(queryOffers(cloud('gcp'), { zone: 'us-central1-z' }).reason).toContain('not a zone')
  })

  test('instance type pinning and spot', () => {
    const g = queryOffers(cloud('aws'), { instanceType: 'g5.xlarge', useSpot: true })
    expect(g.offers.every((o) => o.instanceType === 'g5.xlarge' && o.spotPrice !== undefined)).toBe(true)
    expect(queryOffers(cloud('gcp'), { instanceType: 'g5.xlarge' }).reason).toBe('no instance type g5.xlarge')
    expect(queryOffers(cloud('gcp'), { instanceType: 'n1-highmem-8', accelerator: { name: 'V100', count: 1 } }).offers[0].price).toBeCloseTo(
      0.473212 + 2.48,
      4,
    )
  })
})
