// Regenerates the bundled price catalog (src/core/catalog/data/<cloud>.json) from the clouds' APIs.
//
//   bun scripts/gen-catalog.ts [aws] [gcp] [--out DIR] [--dry-run]
//
// The current data file says what to cover (regions, instance families, attachable GPUs); this
// script refreshes the facts: vCPUs, memory and GPUs (EC2 DescribeInstanceTypes, GCE machineTypes /
// acceleratorTypes), zones (EC2 DescribeInstanceTypeOfferings, GCE zones), on-demand prices (AWS
// Price List API, Cloud Billing catalog) and spot prices (EC2 spot price history, Billing catalog).
// Prices land as exact per-region values; nothing is sent anywhere. Needs credentials: AWS keys or
// profile; GCP application default credentials with a project.
import { createHash, createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { bundledRawCatalog } from '../src/core/catalog/load'
import { formatCatalogJson } from '../src/core/catalog/format'
import type { CatalogCloud, RawCloudCatalog, RawFamily, RawInstanceType } from '../src/core/catalog/types'
import { gpuNameFromDevice } from '../src/core/catalog/accelerators'
import { awsCredentials, gcpCredentials } from '../src/core/infra/cloud-credentials'

type Prices = Record<string, Record<string, [number, number | null]>>

const args = process.argv.slice(2)
const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(import.meta.dir, '..', 'src', 'core', 'catalog', 'data')
const dryRun = args.includes('--dry-run')
const wanted = (['aws', 'gcp'] as CatalogCloud[]).filter((c) => args.includes(c) || !args.some((a) => a === 'aws' || a === 'gcp'))

function log(msg: string): void {
  process.stderr.write(msg + '\n')
}

function r6(n: number): number {
  return Math.round(n * 1e6) / 1e6
}

/** Keep each family's base price = its first region's price, and exact prices for every region. */
function withPrices(fam: RawFamily, specs: Map<string, RawInstanceType>, prices: Prices, zones: Record<string, string[]>): RawFamily {
  const regions = Object.keys(prices).filter((r) => Object.keys(prices[r]).length > 0)
  const first = regions[0]
  const types = [...specs.values()].filter((t) => regions.some((r) => prices[r][t[0]]))
  for (const t of types) {
    const base = (first ? prices[first][t[0]]?.[0] : undefined) ?? regions.map((r) => prices[r][t[0]]?.[0]).find((p) => p !== undefined)
    if (base !== undefined) t[3] = base
  }
  const { spotFactor: _drop, priceFactors: _drop2, ...rest } = fam
  return { ...rest, regions, zones, prices, types }
}

// ------------------------------------------------------------------------------------------------
// AWS
// ------------------------------------------------------------------------------------------------

function sigV4(
  creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
  service: string,
  host: string,
  body: string,
  headers: Record<string, string>,
): Record<string, string> {
  const now = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '')
  const date = now.slice(0, 8)
  const h: Record<string, string> = { ...headers, host, 'x-amz-date': now }
  if (creds.sessionToken) h['x-amz-security-token'] = creds.sessionToken
  const names = Object.keys(h).map((k) => k.toLowerCase()).sort()
  const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${lower[n].trim()}`), '', names.join(';'), createHash('sha256').update(body).digest('hex')].join('\n')
  const scope = `${date}/${region}/${service}/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', now, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
  let key: Buffer = createHmac('sha256', `AWS4${creds.secretAccessKey}`).update(date).digest()
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest()
  const signature = createHmac('sha256', key).update(toSign).digest('hex')
  return { ...h, authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` }
}

/** On-demand Linux prices of one instance type in every region (AWS Price List API). */
async function awsOnDemand(creds: Parameters<typeof sigV4>[0], instanceType: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  let nextToken: string | undefined
  do {
    const filters = { instanceType, operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used', licenseModel: 'No License required' }
    const body = JSON.stringify({
      ServiceCode: 'AmazonEC2',
      FormatVersion: 'aws_v1',
      MaxResults: 100,
      ...(nextToken ? { NextToken: nextToken } : {}),
      Filters: Object.entries(filters).map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value })),
    })
    const host = 'api.pricing.us-east-1.amazonaws.com'
    const headers = sigV4(creds, 'us-east-1', 'pricing', host, body, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSPriceListService.GetProducts',
    })
    const res = await fetch(`https://${host}/`, { method: 'POST', headers, body })
    if (!res.ok) throw new Error(`AWS Price List API: HTTP ${res.status} ${await res.text()}`)
    const j = (await res.json()) as { PriceList?: string[]; NextToken?: string }
    for (const item of j.PriceList ?? []) {
      const p = JSON.parse(item)
      const region = p.product?.attributes?.regionCode as string | undefined
      for (const term of Object.values(p.terms?.OnDemand ?? {}) as any[]) {
        for (const dim of Object.values(term.priceDimensions ?? {}) as any[]) {
          const usd = Number(dim.pricePerUnit?.USD)
          if (region && usd > 0) out[region] = usd
        }
      }
    }
    nextToken = j.NextToken
  } while (nextToken)
  return out
}

async function generateAws(current: RawCloudCatalog): Promise<RawCloudCatalog> {
  const ec2 = await import('@aws-sdk/client-ec2')
  const regions = current.regions.map((r) => r.name)
  const probe = new ec2.EC2Client({ region: regions[0] })
  const creds = await probe.config.credentials()
  const families: RawFamily[] = []
  const regionZones: Record<string, Set<string>> = Object.fromEntries(regions.map((r) => [r, new Set<string>()]))
  for (const fam of current.families) {
    const specs = new Map<string, RawInstanceType>()
    const prices: Prices = {}
    const zones: Record<string, string[]> = {}
    let gpu = fam.gpu
    let arch = fam.arch
    for (const region of fam.regions ?? regions) {
      const client = new ec2.EC2Client({ region })
      const filter = [{ Name: 'instance-type', Values: [`${fam.family}.*`] }]
      for await (const page of ec2.paginateDescribeInstanceTypes({ client }, { Filters: filter })) {
        for (const it of page.InstanceTypes ?? []) {
          const name = it.InstanceType!
          if (name.split('.')[0] !== fam.family) continue
          const g = it.GpuInfo?.Gpus?.[0]
          if (g) gpu = { name: gpuNameFromDevice(g.Name ?? '', g.MemoryInfo?.SizeInMiB), memoryGb: Math.round((g.MemoryInfo?.SizeInMiB ?? 0) / 1024) }
          if (it.ProcessorInfo?.SupportedArchitectures?.includes('arm64')) arch = 'arm64'
          const t: RawInstanceType = [name, it.VCpuInfo?.DefaultVCpus ?? 0, r6((it.MemoryInfo?.SizeInMiB ?? 0) / 1024), 0]
          if (g) t.push(g.Count ?? 0)
          specs.set(name, t)
        }
      }
      const zs = new Set<string>()
      for await (const page of ec2.paginateDescribeInstanceTypeOfferings({ client }, { LocationType: 'availability-zone', Filters: filter })) {
        for (const o of page.InstanceTypeOfferings ?? []) if (o.Location) zs.add(o.Location)
      }
      if (zs.size === 0) continue
      zones[region] = [...zs].sort()
      for (const z of zs) regionZones[region].add(z)
      const spot: Record<string, number> = {}
      const history = await client.send(
        new ec2.DescribeSpotPriceHistoryCommand({ Filters: filter, ProductDescriptions: ['Linux/UNIX'], StartTime: new Date() }),
      )
      for (const h of history.SpotPriceHistory ?? []) {
        const p = Number(h.SpotPrice)
        if (h.InstanceType && p > 0) spot[h.InstanceType] = Math.min(spot[h.InstanceType] ?? Infinity, p)
      }
      prices[region] = Object.fromEntries([...specs.keys()].map((t) => [t, [0, spot[t] ?? null]]))
    }
    for (const t of specs.keys()) {
      const od = await awsOnDemand(creds, t)
      for (const region of Object.keys(prices)) {
        if (od[region] === undefined) delete prices[region][t]
        else prices[region][t][0] = od[region]
      }
    }
    log(`aws: ${fam.family}: ${specs.size} types in ${Object.keys(prices).length} regions`)
    families.push(withPrices({ ...fam, ...(gpu ? { gpu } : {}), ...(arch ? { arch } : {}) }, specs, prices, zones))
  }
  return {
    ...current,
    generated_at: new Date().toISOString(),
    source: 'Generated by scripts/gen-catalog.ts from EC2 DescribeInstanceTypes / DescribeInstanceTypeOfferings / DescribeSpotPriceHistory and the AWS Price List API.',
    regions: current.regions.map((r) => ({ name: r.name, zones: regionZones[r.name].size ? [...regionZones[r.name]].sort() : r.zones })),
    families,
  }
}

// ------------------------------------------------------------------------------------------------
// GCP
// ------------------------------------------------------------------------------------------------

interface Sku {
  description: string
  category?: { resourceGroup?: string; usageType?: string }
  serviceRegions?: string[]
  pricingInfo?: { pricingExpression?: { tieredRates?: { unitPrice?: { units?: string; nanos?: number } }[] } }[]
}

const GCE_SERVICE = 'services/6F81-5844-456A'

async function billingSkus(token: string): Promise<Sku[]> {
  const skus: Sku[] = []
  let page = ''
  do {
    const url = `https://cloudbilling.googleapis.com/v1/${GCE_SERVICE}/skus?currencyCode=USD&pageSize=5000${page ? `&pageToken=${page}` : ''}`
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
    if (!res.ok) throw new Error(`Cloud Billing catalog: HTTP ${res.status} ${await res.text()}`)
    const j = (await res.json()) as { skus?: Sku[]; nextPageToken?: string }
    skus.push(...(j.skus ?? []))
    page = j.nextPageToken ?? ''
  } while (page)
  return skus
}

function skuPrice(s: Sku): number {
  const rates = s.pricingInfo?.[0]?.pricingExpression?.tieredRates ?? []
  const u = rates[rates.length - 1]?.unitPrice
  return Number(u?.units ?? 0) + (u?.nanos ?? 0) / 1e9
}

/** Price lookup: `${kind}|${key}|${region}|${spot}` where kind is core/ram/gpu. */
function indexSkus(skus: Sku[]): Map<string, number> {
  const idx = new Map<string, number>()
  for (const s of skus) {
    const d = s.description
    if (/commitment|custom|sole tenancy|extended|reserved|dws|calendar|flex/i.test(d)) continue
    const spot = /^(spot )?preemptible/i.test(d) || s.category?.usageType === 'Preemptible'
    const body = d.replace(/^(Spot )?Preemptible /i, '')
    let key: string | undefined
    const series = body.match(/^(\w+?) (?:Predefined )?Instance (Core|Ram)/i)
    if (series) key = `${series[2].toLowerCase() === 'core' ? 'core' : 'ram'}|${series[1].toLowerCase()}`
    const gpu = body.match(/^Nvidia (?:Tesla )?(.+?) GPU/i)
    if (gpu && !/workstation/i.test(body)) key = `gpu|${gpu[1].toLowerCase().replace(/\s+/g, ' ')}`
    if (!key) continue
    for (const region of s.serviceRegions ?? []) idx.set(`${key}|${region}|${spot}`, skuPrice(s))
  }
  return idx
}

/** Billing-catalog GPU names for catalog spellings. */
const GCP_GPU_SKU: Record<string, string> = {
  T4: 't4', V100: 'v100', P100: 'p100', P4: 'p4', L4: 'l4', A100: 'a100', 'A100-80GB': 'a100 80gb',
  H100: 'h100 80gb', 'H100-MEGA': 'h100 80gb mega', H200: 'h200 141gb', B200: 'b200',
}

async function generateGcp(current: RawCloudCatalog): Promise<RawCloudCatalog> {
  const compute = await import('@google-cloud/compute')
  const machines = new compute.MachineTypesClient()
  const project = process.env.GOOGLE_CLOUD_PROJECT || (await machines.getProjectId())
  const token = (await (machines as any).auth.getAccessToken()) as string
  const idx = indexSkus(await billingSkus(token))
  const regions = new Set(current.regions.map((r) => r.name))
  const price = (kind: string, key: string, region: string, spot: boolean) => idx.get(`${kind}|${key}|${region}|${spot}`)
  const families: RawFamily[] = []
  for (const fam of current.families) {
    const specs = new Map<string, RawInstanceType>()
    const zones: Record<string, Set<string>> = {}
    for await (const [, list] of machines.aggregatedListAsync({ project, filter: `name = "${fam.family}-.*"` })) {
      for (const mt of list.machineTypes ?? []) {
        const region = mt.zone?.replace(/-[a-z]$/, '')
        if (!mt.name || !region || !regions.has(region) || !mt.name.startsWith(fam.family + '-')) continue
        const acc = mt.accelerators?.[0]
        const t: RawInstanceType = [mt.name, mt.guestCpus ?? 0, r6((mt.memoryMb ?? 0) / 1024), 0]
        if (acc) t.push(acc.guestAcceleratorCount ?? 0)
        specs.set(mt.name, t)
        ;(zones[region] ??= new Set()).add(mt.zone!)
      }
    }
    const series = fam.family.split('-')[0]
    const prices: Prices = {}
    for (const region of Object.keys(zones)) {
      prices[region] = {}
      for (const [name, cpus, mem, , gpus] of specs.values()) {
        const cost = (spot: boolean) => {
          const core = price('core', series, region, spot)
          const ram = price('ram', series, region, spot)
          if (core === undefined || ram === undefined) return undefined
          let total = cpus * core + mem * ram
          if (gpus && fam.gpu) {
            const g = price('gpu', GCP_GPU_SKU[fam.gpu.name] ?? fam.gpu.name.toLowerCase(), region, spot)
            if (g === undefined) return undefined
            total += gpus * g
          }
          return r6(total)
        }
        const od = cost(false)
        if (od !== undefined) prices[region][name] = [od, cost(true) ?? null]
      }
    }
    log(`gcp: ${fam.family}: ${specs.size} types in ${Object.keys(prices).length} regions`)
    families.push(withPrices(fam, specs, prices, Object.fromEntries(Object.entries(zones).map(([r, z]) => [r, [...z].sort()]))))
  }
  const accels = new compute.AcceleratorTypesClient()
  const attachable = []
  for (const g of current.attachableGpus ?? []) {
    const typeName = `nvidia-tesla-${g.name.toLowerCase()}`
    const gz: Record<string, string[]> = {}
    for await (const [, list] of accels.aggregatedListAsync({ project, filter: `name = "${typeName}"` })) {
      for (const a of list.acceleratorTypes ?? []) {
        const region = a.zone?.replace(/.*\//, '').replace(/-[a-z]$/, '')
        if (region && regions.has(region)) (gz[region] ??= []).push(a.zone!.replace(/.*\//, ''))
      }
    }
    const first = Object.keys(gz)[0]
    const key = GCP_GPU_SKU[g.name] ?? g.name.toLowerCase()
    const od = first ? price('gpu', key, first, false) : undefined
    if (!first || od === undefined) {
      log(`gcp: ${g.name}: not found, keeping the previous entry`)
      attachable.push(g)
      continue
    }
    const priceFactors = Object.fromEntries(Object.keys(gz).map((r) => [r, r6((price('gpu', key, r, false) ?? od) / od)]))
    const spot = price('gpu', key, first, true)
    attachable.push({ ...g, price: od, ...(spot !== undefined ? { spotPrice: spot } : {}), regions: gz, priceFactors })
  }
  return {
    ...current,
    generated_at: new Date().toISOString(),
    source: 'Generated by scripts/gen-catalog.ts from GCE machineTypes / acceleratorTypes and the Cloud Billing catalog.',
    families,
    attachableGpus: attachable,
  }
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const home = process.env.HOME || homedir()
  const ready: CatalogCloud[] = []
  for (const c of wanted) {
    const cred = c === 'aws' ? awsCredentials(process.env, home) : gcpCredentials(process.env, home)
    if (cred.found) ready.push(c)
    else log(`${c}: skipped — ${cred.detail}`)
  }
  if (ready.length === 0) {
    log(
      `gen-catalog: no credentials for ${wanted.join(' or ')}; nothing regenerated. The bundled catalog in ` +
        `${outDir} stays as it is. Add credentials (see above) and run again.`,
    )
    return 1
  }
  let failed = 0
  for (const c of ready) {
    try {
      const current = bundledRawCatalog(c)
      const next = c === 'aws' ? await generateAws(current) : await generateGcp(current)
      const text = formatCatalogJson(next)
      if (dryRun) process.stdout.write(text)
      else writeFileSync(join(outDir, `${c}.json`), text)
      log(`${c}: ${dryRun ? 'generated (dry run)' : `wrote ${join(outDir, `${c}.json`)}`}`)
    } catch (e) {
      failed++
      log(`${c}: failed — ${(e as Error).message}`)
    }
  }
  return failed ? 1 : 0
}

process.exit(await main())
