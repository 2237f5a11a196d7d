// Candidates on live-capacity infra (this machine, SSH pools, Kubernetes contexts): no price,
// just nodes. A context / pool fits when enough of its nodes can each hold the request; a shared
// node (this machine) fits when what is still free there holds every node's share at once.
import { sameAccelerator } from '../catalog/accelerators'
import { fmtNum } from '../catalog/query'
import type { LiveInfraName, LiveNode } from '../infra/types'
import type { Resources } from '../task/types'
import { infraPart } from './request'
import type { BlockedResource, Candidate } from './types'

export interface LiveRequest {
  cpus: number
  memoryGb: number
  gpu?: { name: string; count: number }
}

export interface LiveResult {
  candidates: Candidate[]
  reason?: string
}

/** Kubernetes defaults when nothing is requested: 2 CPUs, 1 GB per CPU (4 GB per CPU with GPUs). */
const LIVE_DEFAULT_CPUS = 2

/** `4CPU--16GB`, `0.5CPU--2GB--L4:1` → sizes; undefined when not a virtual instance type. */
export function parseVirtualInstanceType(s: string): LiveRequest | undefined {
  const m = s.match(/^(\d+(?:\.\d+)?)CPU--(\d+(?:\.\d+)?)GB(?:--([A-Za-z0-9][\w.-]*):(\d+(?:\.\d+)?))?$/)
  if (!m) return undefined
  return { cpus: Number(m[1]), memoryGb: Number(m[2]), ...(m[3] ? { gpu: { name: m[3], count: Number(m[4]) } } : {}) }
}

export function virtualInstanceType(req: LiveRequest): string {
  const base = `${fmtNum(req.cpus)}CPU--${fmtNum(req.memoryGb)}GB`
  return req.gpu ? `${base}--${req.gpu.name}:${fmtNum(req.gpu.count)}` : base
}

function liveRequest(r: Resources, defaults: LiveNode['defaults']): LiveRequest | string {
  let parsed: LiveRequest | undefined
  if (r.instanceType) {
    parsed = parseVirtualInstanceType(r.instanceType)
    if (!parsed) return `instance type ${r.instanceType} is not available (use cpus/memory/accelerators, or a virtual type like 4CPU--16GB--L4:1)`
  }
  const gpu = parsed?.gpu ?? r.accelerator
  const d = defaults ?? { cpus: LIVE_DEFAULT_CPUS, memoryGbPerCpu: 1, memoryGbPerCpuWithGpus: 4 }
  const cpus = parsed?.cpus ?? r.cpus?.value ?? d.cpus
  const memoryGb = parsed?.memoryGb ?? r.memory?.value ?? cpus * (gpu ? d.memoryGbPerCpuWithGpus : d.memoryGbPerCpu)
  return { cpus, memoryGb, ...(gpu ? { gpu: { name: gpu.name, count: gpu.count } } : {}) }
}

function free(n: LiveNode): { cpus: number; memoryGb: number; gpus: number } {
  return {
    cpus: n.free?.cpus ?? n.cpus,
    memoryGb: n.free?.memoryGb ?? n.memoryGb,
    gpus: n.free?.gpus ?? n.gpus?.count ?? 0,
  }
}

function plural(n: number, word: string): string {
  return `${fmtNum(n)} ${word}${n === 1 ? '' : 's'}`
}

function gpuText(g: { name: string; count: number }): string {
  return `${fmtNum(g.count)}x ${g.name}`
}

/** Why `n` cannot hold `times` copies of the request, or undefined if it can. */
function misfit(n: LiveNode, req: LiveRequest, times: number, subject: string): string | undefined {
  const f = free(n)
  if (req.gpu) {
    const need = req.gpu.count * times
    const needText = `${fmtNum(need)}x ${req.gpu.name}`
    if (!n.gpus || n.gpus.count === 0) {
      return `needs ${need === 1 ? `1 ${req.gpu.name} GPU` : `${needText} GPUs`}, ${subject} has none`
    }
    if (!sameAccelerator(n.gpus.name, req.gpu.name)) return `needs ${needText}, ${subject} has ${gpuText(n.gpus)}`
    if (f.gpus + 1e-9 < need) {
      const freeText = f.gpus === n.gpus.count ? gpuText(n.gpus) : `${fmtNum(f.gpus)} of ${gpuText(n.gpus)} free`
      return `needs ${needText}, ${subject} has ${freeText}`
    }
  }
  if (f.cpus + 1e-9 < req.cpus * times) return `needs ${plural(req.cpus * times, 'CPU')}, ${subject} has ${fmtNum(f.cpus)}`
  if (f.memoryGb + 1e-9 < req.memoryGb * times) {
    return `needs ${fmtNum(req.memoryGb * times)} GB memory, ${subject} has ${fmtNum(f.memoryGb)} GB`
  }
  return undefined
}

function candidate(infra: LiveInfraName, region: string, req: LiveRequest, nodes: LiveNode[], r: Resources, alternative: number): Candidate {
  return {
    infra,
    region,
    zones: [],
    instanceType: virtualInstanceType(req),
    useSpot: false,
    vcpus: req.cpus,
    memoryGb: req.memoryGb,
    ...(req.gpu ? { gpu: req.gpu } : {}),
    hourlyPrice: 0,
    hourlyCost: 0,
    alternative,
    request: r,
    nodes: nodes.map((n) => n.name),
  }
}

function nodeBlocked(n: LiveNode, blocked: readonly BlockedResource[]): boolean {
  return blocked.some((b) => b.node !== undefined && b.node === n.name && b.infra === n.infra && (b.region === undefined || b.region === n.region))
}

export function liveCandidates(
  infra: LiveInfraName,
  r: Resources,
  alternative: number,
  numNodes: number,
  allNodes: readonly LiveNode[],
  enabledRegions: readonly string[] | undefined,
  blocked: readonly BlockedResource[] = [],
): LiveResult {
  if (r.useSpot) return { candidates: [], reason: 'spot instances are not supported' }
  if (r.infra?.zone && infraPart(r.infra.zone)) return { candidates: [], reason: 'zones do not apply' }
  const nodes = allNodes.filter((n) => n.infra === infra && !nodeBlocked(n, blocked))
  const req = liveRequest(r, nodes[0]?.defaults)
  if (typeof req === 'string') return { candidates: [], reason: req }

  const shared = nodes.find((n) => n.shared)
  if (shared) {
    const why = misfit(shared, req, numNodes, numNodes > 1 ? `this machine (shared by ${numNodes} nodes)` : 'this machine')
    if (why) return { candidates: [], reason: why }
    return { candidates: [candidate(infra, shared.region, req, [shared], r, alternative)] }
  }

  const label = infra === 'kubernetes' ? 'context' : 'pool'
  const pinned = infraPart(r.infra?.region)
  let regions = enabledRegions ? [...enabledRegions] : [...new Set(nodes.map((n) => n.region))]
  if (pinned) {
    if (!regions.includes(pinned)) {
      const known = regions.length ? ` (enabled: ${regions.join(', ')})` : ''
      return { candidates: [], reason: `${label} ${pinned} is not enabled${known}; run sky check` }
    }
    regions = [pinned]
  }
  if (regions.length === 0) return { candidates: [], reason: `no ${label}s enabled` }
  const out: Candidate[] = []
  const reasons: string[] = []
  for (const region of regions) {
    const failed = nodes.find((n) => n.region === region && n.error)
    const inRegion = nodes.filter((n) => n.region === region && !n.error)
    if (inRegion.length === 0) {
      reasons.push(`${label} ${region}: ${failed?.error ?? 'no node information'}`)
      continue
    }
    const fit: LiveNode[] = []
    let firstMisfit: string | undefined
    for (const n of inRegion) {
      const why = misfit(n, req, 1, `node ${n.name}`)
      if (why) firstMisfit ??= why
      else fit.push(n)
    }
    if (fit.length >= numNodes) out.push(candidate(infra, region, req, fit.slice(0, numNodes), r, alternative))
    else if (fit.length === 0) reasons.push(`${label} ${region}: no node fits (${firstMisfit})`)
    else reasons.push(`${label} ${region}: needs ${numNodes} nodes that fit, ${fit.length} of ${inRegion.length} do`)
  }
  if (out.length === 0) return { candidates: [], reason: reasons.join('; ') }
  return { candidates: out }
}
