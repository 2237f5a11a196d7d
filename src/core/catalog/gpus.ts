// Data and text for `sky gpus list`: the default overview (COMMON_GPU / OTHER_GPU with the GPU
// counts each infra offers, plus live GPUs of Kubernetes contexts, SSH pools and this machine),
// and the detailed per-instance-type rows for one GPU (`sky gpus list H100[:8]`) or all (`-a`).
import { UsageError } from '../errors'
import { acceleratorMemoryGb, canonicalAcceleratorName, isCommonGpu, sameAccelerator } from './accelerators'
import { gpuMatchesMemory } from '../optimizer/by-memory'
import { parseAcceleratorSpec } from '../task/accelerators'
import { loadCatalog } from './load'
import { fmtNum } from './query'
import type { Catalog, CatalogCloud, CloudCatalog } from './types'
import { canonicalInfraName, infraDisplayName, isLiveInfra, type LiveNode } from '../infra/types'
import { renderTable } from '../../lib/table'

export interface GpuListOptions {
  catalog?: Catalog
  /** `H100` or `H100:8` (name case-insensitive). */
  filter?: string
  /** `--infra`: `aws`, `gcp/us-central1`, `k8s`, `k8s/<context>`, `ssh/<pool>`, `local`. */
  infra?: string
  /**
   * The infra `sky check` enabled. Catalog clouds are listed whether enabled or not (as SkyPilot
   * does: the catalog needs no credentials) and marked when not; live nodes only from enabled infra.
   */
  enabled?: string[]
  /** `--all-regions`: one detailed row per region instead of the cheapest region. */
  allRegions?: boolean
  /** `-a/--all`: detailed rows for every GPU. */
  all?: boolean
  liveNodes?: LiveNode[]
}

export interface GpuQuantities {
  name: string
  quantities: number[]
  infra: string[]
}

export interface GpuOfferRow {
  gpu: string
  qty: number
  cloud: CatalogCloud
  /** `(attachable)` for GPUs priced on their own (GCP N1). */
  instanceType: string
  deviceMemoryGb: number
  vcpus?: number
  hostMemoryGb?: number
  price: number
  spotPrice?: number
  region: string
}

export interface LiveGpuRow {
  infra: string
  region: string
  gpu: string
  /** GPU counts one node can be asked for. */
  requestable: number[]
  free: number
  total: number
  nodes: { name: string; free: number; total: number }[]
}

/** A price catalog that contributed rows: its date and where its figures come from. */
export interface CatalogNote {
  cloud: CatalogCloud
  generatedAt: string
  source?: string
}

export interface GpuList {
  /** The catalogs the rows come from (prices are only as good as these). */
  catalogs?: CatalogNote[]
  common: GpuQuantities[]
  other: GpuQuantities[]
  /** Set with a filter or `all`. */
  detail?: GpuOfferRow[]
  live: LiveGpuRow[]
  filter?: GpuFilter
  allRegions: boolean
  /** Catalog clouds listed here that are not enabled (no credentials, or left out by allowed_clouds). */
  notEnabled: string[]
}

interface GpuFilter {
  name: string
  count?: number
  /** `24GB+`, `nvidia:80GB`: GPUs by device memory instead of by name. */
  byMemory?: { memoryGb: number; orMore: boolean; manufacturer?: string }
}

function parseFilter(filter: string | undefined): GpuFilter | undefined {
  if (!filter) return undefined
  const spec = parseAcceleratorSpec(filter)
  if (spec.ok && spec.value.byMemory) {
    const counted = filter.trim().split(':').length > (spec.value.byMemory.manufacturer ? 2 : 1)
    return { name: spec.value.name, byMemory: spec.value.byMemory, ...(counted ? { count: spec.value.count } : {}) }
  }
  const m = filter.trim().match(/^([^:]+)(?::([\d.]+))?$/)
  if (!m || (m[2] !== undefined && !(Number(m[2]) > 0))) {
    throw new UsageError(`'${filter}' is not a GPU filter; use NAME or NAME:COUNT, e.g. H100:8`)
  }
  return { name: canonicalAcceleratorName(m[1].trim()), ...(m[2] !== undefined ? { count: Number(m[2]) } : {}) }
}

function parseInfra(infra: string | undefined): { infra?: string; region?: string } {
  if (!infra) return {}
  const [head, ...rest] = infra.split('/')
  const name = canonicalInfraName(head)
  if (!name) throw new UsageError(`--infra: '${head}' is not a supported infra (aws, gcp, k8s, ssh, local)`)
  return { infra: name, ...(rest.length ? { region: rest.join('/') } : {}) }
}

function requestable(max: number): number[] {
  const out: number[] = []
  for (let q = 1; q <= max; q *= 2) out.push(q)
  if (max > 0 && !out.includes(max)) out.push(max)
  return out
}

function cloudRows(cat: CloudCatalog, region: string | undefined): GpuOfferRow[] {
  const rows: GpuOfferRow[] = []
  for (const o of cat.offers) {
    if (!o.gpu || o.attached) continue
    if (region && o.region !== region) continue
    rows.push({
      gpu: o.gpu.name,
      qty: o.gpu.count,
      cloud: cat.cloud,
      instanceType: o.instanceType,
      deviceMemoryGb: o.gpu.memoryGb,
      vcpus: o.vcpus,
      hostMemoryGb: o.memoryGb,
      price: o.price,
      ...(o.spotPrice !== undefined ? { spotPrice: o.spotPrice } : {}),
      region: o.region,
    })
  }
  for (const g of cat.attachable) {
    for (const r of g.regions) {
      if (region && r.region !== region) continue
      for (const count of g.counts) {
        rows.push({
          gpu: g.name,
          qty: count,
          cloud: cat.cloud,
          instanceType: '(attachable)',
          deviceMemoryGb: g.memoryGb,
          price: r.price * count,
          ...(r.spotPrice !== undefined ? { spotPrice: r.spotPrice * count } : {}),
          region: r.region,
        })
      }
    }
  }
  return rows
}

/** Collect what `sky gpus list` shows. */
export function listGpus(opts: GpuListOptions = {}): GpuList {
  const catalog = opts.catalog ?? loadCatalog()
  const filter = parseFilter(opts.filter)
  const memOf = new Map<string, number>()
  const named = (gpu: string) => {
    if (!filter) return true
    if (!filter.byMemory) return sameAccelerator(gpu, filter.name)
    return gpuMatchesMemory(filter.byMemory, gpu, memOf.get(gpu) ?? acceleratorMemoryGb(gpu))
  }
  const pin = parseInfra(opts.infra)
  const enabled = opts.enabled?.map((e) => canonicalInfraName(e) ?? e)
  const pinned = (infra: string) => !pin.infra || pin.infra === infra
  const want = (infra: string) => pinned(infra) && (!enabled || enabled.includes(infra))

  let rows: GpuOfferRow[] = []
  const notEnabled: string[] = []
  const notes: CatalogNote[] = []
  for (const [cloud, cat] of catalog.clouds) {
    if (!pinned(cloud)) continue
    rows.push(...cloudRows(cat, pin.region))
    notes.push({ cloud, generatedAt: cat.generatedAt, ...(cat.source ? { source: cat.source } : {}) })
    if (enabled && !enabled.includes(cloud)) notEnabled.push(cloud)
  }
  for (const r of rows) memOf.set(r.gpu, r.deviceMemoryGb)

  const live: LiveGpuRow[] = []
  const groups = new Map<string, LiveNode[]>()
  for (const n of opts.liveNodes ?? []) {
    if (!n.gpus || n.gpus.count <= 0 || !want(n.infra)) continue
    if (pin.region && n.region !== pin.region) continue
    const k = `${n.infra}\u0000${n.region}\u0000${n.gpus.name}`
    const l = groups.get(k)
    if (l) l.push(n)
    else groups.set(k, [n])
  }
  for (const nodes of groups.values()) {
    const first = nodes[0]
    const gpu = first.gpus!.name
    if (!named(gpu)) continue
    const per = nodes.map((n) => ({ name: n.name, total: n.gpus!.count, free: n.free?.gpus ?? n.gpus!.count }))
    live.push({
      infra: first.infra,
      region: first.region,
      gpu,
      requestable: requestable(Math.max(...per.map((p) => p.total))),
      free: per.reduce((a, p) => a + p.free, 0),
      total: per.reduce((a, p) => a + p.total, 0),
      nodes: per,
    })
  }

  const quantities = new Map<string, { q: Set<number>; infra: Set<string> }>()
  for (const r of rows) {
    const e = quantities.get(r.gpu) ?? { q: new Set<number>(), infra: new Set<string>() }
    e.q.add(r.qty)
    e.infra.add(r.cloud)
    quantities.set(r.gpu, e)
  }
  for (const l of live) {
    const e = quantities.get(l.gpu) ?? { q: new Set<number>(), infra: new Set<string>() }
    for (const q of l.requestable) e.q.add(q)
    e.infra.add(l.infra)
    quantities.set(l.gpu, e)
  }
  const summary = [...quantities]
    .filter(([name]) => named(name))
    .map(([name, e]) => ({ name, quantities: [...e.q].sort((a, b) => a - b), infra: [...e.infra] }))
    .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1))

  const used = new Set(rows.map((r) => r.cloud))
  const list: GpuList = {
    ...(used.size ? { catalogs: notes.filter((n) => used.has(n.cloud)) } : {}),
    common: summary.filter((s) => isCommonGpu(s.name)),
    other: summary.filter((s) => !isCommonGpu(s.name)),
    live,
    allRegions: !!opts.allRegions,
    notEnabled: notEnabled.filter((c) => rows.some((r) => r.cloud === c)),
    ...(filter ? { filter } : {}),
  }
  if (filter || opts.all) {
    if (filter) rows = rows.filter((r) => named(r.gpu) && (filter.count === undefined || r.qty === filter.count))
    if (!opts.allRegions) {
      // Cheapest region per (cloud, instance type, count); rows come cheapest first per cloud.
      const best = new Map<string, GpuOfferRow>()
      for (const r of rows) {
        const k = `${r.cloud}|${r.instanceType}|${r.gpu}|${r.qty}`
        const cur = best.get(k)
        if (!cur || r.price < cur.price) best.set(k, r)
      }
      rows = [...best.values()]
    }
    rows.sort(
      (a, b) =>
        (a.gpu.toLowerCase() < b.gpu.toLowerCase() ? -1 : a.gpu.toLowerCase() > b.gpu.toLowerCase() ? 1 : 0) ||
        a.qty - b.qty ||
        a.price - b.price ||
        (a.cloud < b.cloud ? -1 : a.cloud > b.cloud ? 1 : 0) ||
        (a.region < b.region ? -1 : a.region > b.region ? 1 : 0),
    )
    list.detail = rows
  }
  return list
}

function money(n: number | undefined): string {
  return n === undefined ? '-' : `$ ${n.toFixed(3)}`
}

function detailTable(rows: GpuOfferRow[], allRegions: boolean, notEnabled: string[]): string {
  const headers = ['GPU', 'QTY', 'CLOUD', 'INSTANCE_TYPE', 'DEVICE_MEM', 'vCPUs', 'HOST_MEM', 'HOURLY_PRICE', 'HOURLY_SPOT_PRICE']
  if (allRegions) headers.push('REGION')
  return renderTable(
    headers,
    rows.map((r) => {
      const cells = [
        r.gpu,
        fmtNum(r.qty),
        infraDisplayName(r.cloud) + (notEnabled.includes(r.cloud) ? '*' : ''),
        r.instanceType,
        `${fmtNum(r.deviceMemoryGb)}GB`,
        r.vcpus === undefined ? '-' : fmtNum(r.vcpus),
        r.hostMemoryGb === undefined ? '-' : `${fmtNum(r.hostMemoryGb)}GB`,
        money(r.price),
        money(r.spotPrice),
      ]
      if (allRegions) cells.push(r.region)
      return cells
    }),
  )
}

function liveSections(live: LiveGpuRow[]): string[] {
  const out: string[] = []
  const titles: Record<string, [string, string]> = {
    kubernetes: ['Kubernetes GPUs', 'Context'],
    ssh: ['SSH Node Pool GPUs', 'Node pool'],
    local: ['Local GPUs', ''],
  }
  for (const infra of ['kubernetes', 'ssh', 'local'] as const) {
    const mine = live.filter((l) => l.infra === infra)
    if (mine.length === 0) continue
    const [title, label] = titles[infra]!
    out.push(title)
    for (const region of [...new Set(mine.map((l) => l.region))]) {
      const rows = mine.filter((l) => l.region === region)
      if (label) out.push(`${label}: ${region}`)
      out.push(
        renderTable(
          ['GPU', 'REQUESTABLE_QTY_PER_NODE', 'UTILIZATION'],
          rows.map((l) => [l.gpu, l.requestable.join(', '), `${fmtNum(l.free)} of ${fmtNum(l.total)} free`]),
        ),
      )
      if (infra !== 'local') {
        out.push(
          renderTable(
            ['NODE', 'GPU', 'UTILIZATION'],
            rows.flatMap((l) => l.nodes.map((n) => [n.name, l.gpu, `${fmtNum(n.free)} of ${fmtNum(n.total)} free`])),
          ),
        )
      }
      out.push('')
    }
  }
  return out
}

function notEnabledNote(list: GpuList, marked: boolean): string[] {
  if (!list.notEnabled.length) return []
  const names = list.notEnabled.map(infraDisplayName).join(', ')
  return [`${marked ? '* ' : ''}${names}: catalog shown; not enabled here (add credentials and run sky check).`]
}

/** `AWS catalog of 2026-06-15: <source>`: under every table built from a catalog. */
function catalogLines(list: GpuList, clouds?: Set<string>): string[] {
  return (list.catalogs ?? [])
    .filter((c) => !clouds || clouds.has(c.cloud))
    .map((c) => `${infraDisplayName(c.cloud)} catalog of ${c.generatedAt.slice(0, 10)}${c.source ? `: ${c.source}` : ''}`)
}

/** Text for `sky gpus list`. */
export function renderGpuList(list: GpuList): string {
  const out: string[] = []
  if (list.live.length) out.push(...liveSections(list.live))
  if (list.detail) {
    if (list.detail.length === 0) {
      const what = list.filter ? `${list.filter.name}${list.filter.count !== undefined ? `:${fmtNum(list.filter.count)}` : ''}` : 'GPUs'
      if (list.live.length === 0) out.push(`No resources found for ${what} on the selected infra.`)
      return out.join('\n').trimEnd()
    }
    const names = [...new Set(list.detail.map((r) => r.gpu))]
    for (const name of names) {
      out.push(detailTable(list.detail.filter((r) => r.gpu === name), list.allRegions, list.notEnabled))
      out.push('')
    }
    const marked = list.detail.some((r) => list.notEnabled.includes(r.cloud))
    if (marked) out.push(...notEnabledNote(list, true))
    out.push(...catalogLines(list, new Set(list.detail.map((r) => r.cloud))))
    return out.join('\n').trimEnd()
  }
  const table = (title: string, rows: GpuQuantities[]) =>
    renderTable([title, 'AVAILABLE_QUANTITIES'], rows.map((r) => [r.name, r.quantities.map(fmtNum).join(', ')]))
  if (list.common.length) out.push(table('COMMON_GPU', list.common), '')
  if (list.other.length) out.push(table('OTHER_GPU', list.other), '')
  if (list.common.length === 0 && list.other.length === 0 && list.live.length === 0) {
    out.push('No GPUs found on the selected infra.')
    return out.join('\n')
  }
  out.push('Hint: use sky gpus list <GPU>[:<QTY>] for instance types and prices, or -a for all of them.')
  out.push(...notEnabledNote(list, false))
  const notes = catalogLines(list)
  if (notes.length) out.push('', ...notes)
  return out.join('\n')
}

/** True when the GPU is offered anywhere in the catalog or on a live node. */
export function gpuExists(name: string, opts: { catalog?: Catalog; liveNodes?: LiveNode[] } = {}): boolean {
  const catalog = opts.catalog ?? loadCatalog()
  const key = canonicalAcceleratorName(name).toLowerCase()
  for (const cat of catalog.clouds.values()) {
    if (cat.byAccelerator.has(key) || cat.attachable.some((a) => a.name.toLowerCase() === key)) return true
  }
  return (opts.liveNodes ?? []).some((n) => isLiveInfra(n.infra) && n.gpus && n.gpus.name.toLowerCase() === key)
}
