// The local infra's ledger: what each local cluster holds of this machine. Every cluster directory
// `$SKY_HOME/local/<name-on-cloud>/` carries `alloc.json` (per node: CPUs, memory, GPU device
// indices, its own loopback address) and, while stopped, a `STOPPED` marker. What the optimizer
// may offer next is the machine minus the allocations of clusters that are not stopped; changes
// happen under one lock file, so two launches never both take the last CPU or the same GPU.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../config'
import { detectLocalCapacity, type LocalCapacity } from '../../infra/local-capacity'
import type { LiveNode } from '../../infra/types'
import { paths } from '../../paths'
import { localPolicy, sandboxed, type SandboxUser } from '../../sandbox/users'
import { CapacityError, FatalProvisionError } from '../errors'

/** What a node gets when the task names no CPUs (SkyPilot's default task CPU demand). */
export const DEFAULT_CPUS = 0.5
export const MEMORY_PER_CPU = 1
export const MEMORY_PER_CPU_WITH_GPUS = 4
/** Below this a node is not worth a directory and an agent slot. */
export const MIN_NODE_CPUS = 0.01
export const MAX_NODES = 256

export interface NodeAlloc {
  rank: number
  /** 127.x.y.z, unique on this machine for this SKY_HOME. */
  ip: string
  cpus: number
  memoryGb: number
  gpuName: string | null
  /** nvidia-smi device indices. */
  gpuIndices: number[]
}

export interface Allocation {
  name: string
  nameOnCloud: string
  createdAt: number
  nodes: NodeAlloc[]
  /** A deployed server's sandbox account the cluster's jobs run as (absent: the server's user). */
  runAs?: SandboxUser
}

export interface NodeRequest {
  cpus: number
  memoryGb: number
  gpus: { name: string; count: number } | null
}

/**
 * Where local clusters live: $SKY_HOME/local, or, when jobs run as sandbox users (a deployed
 * server that allows the local infra), `local.sandbox_dir`, outside SKY_HOME, which those users
 * cannot enter.
 */
export const localDir = () => (sandboxed() ? localPolicy().sandboxDir : paths.localNodesDir())
export const clusterDir = (nameOnCloud: string) => join(localDir(), nameOnCloud)
const allocFile = (nameOnCloud: string) => join(clusterDir(nameOnCloud), 'alloc.json')
export const stoppedMarker = (nameOnCloud: string) => join(clusterDir(nameOnCloud), 'STOPPED')
const lockFile = () => join(localDir(), '.alloc.lock')

export function machine(): LocalCapacity {
  return detectLocalCapacity(loadConfig())
}

export function readAllocation(nameOnCloud: string): Allocation | null {
  try {
    return JSON.parse(readFileSync(allocFile(nameOnCloud), 'utf8')) as Allocation
  } catch {
    return null
  }
}

export function isStopped(nameOnCloud: string): boolean {
  return existsSync(stoppedMarker(nameOnCloud))
}

/** Names on cloud of every local cluster directory (with or without an allocation). */
export function clusterDirs(): string[] {
  try {
    return readdirSync(localDir(), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
  } catch {
    return []
  }
}

/** Allocations that hold part of the machine (not stopped). */
function held(except?: string): Allocation[] {
  return clusterDirs()
    .filter((n) => n !== except && !isStopped(n))
    .map(readAllocation)
    .filter((a): a is Allocation => a !== null)
}

export interface Free {
  cpus: number
  memoryGb: number
  gpuIndices: number[]
  usedIps: Set<string>
}

export function free(except?: string): Free {
  const m = machine()
  const allocs = held(except)
  const nodes = allocs.flatMap((a) => a.nodes)
  const usedGpus = new Set(nodes.flatMap((n) => n.gpuIndices))
  return {
    cpus: round(m.cpus - nodes.reduce((s, n) => s + n.cpus, 0)),
    memoryGb: round(m.memoryGb - nodes.reduce((s, n) => s + n.memoryGb, 0)),
    gpuIndices: m.gpuIndices.filter((i) => !usedGpus.has(i)),
    // Stopped clusters keep their addresses: a restart gets the same SKYPILOT_NODE_IPS.
    usedIps: new Set(clusterDirs().flatMap((n) => readAllocation(n)?.nodes.map((x) => x.ip) ?? [])),
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}

/** The optimizer's view: this machine with what is still free. */
export function localLiveNode(): LiveNode {
  const m = machine()
  const f = free()
  return {
    infra: 'local',
    region: 'local',
    name: 'localhost',
    cpus: m.cpus,
    memoryGb: m.memoryGb,
    ...(m.gpus ? { gpus: m.gpus } : {}),
    free: { cpus: Math.max(0, f.cpus), memoryGb: Math.max(0, f.memoryGb), gpus: f.gpuIndices.length },
    shared: true,
    defaults: { cpus: DEFAULT_CPUS, memoryGbPerCpu: MEMORY_PER_CPU, memoryGbPerCpuWithGpus: MEMORY_PER_CPU_WITH_GPUS },
  }
}

/** Per-node request with the local defaults filled in. */
export function nodeRequest(r: { cpus: number; memoryGb: number; accelerators: { name: string; count: number } | null }): NodeRequest {
  const gpus = r.accelerators && r.accelerators.count > 0 ? { name: r.accelerators.name, count: Math.ceil(r.accelerators.count) } : null
  const cpus = r.cpus > 0 ? r.cpus : DEFAULT_CPUS
  const memoryGb = r.memoryGb > 0 ? r.memoryGb : cpus * (gpus ? MEMORY_PER_CPU_WITH_GPUS : MEMORY_PER_CPU)
  return { cpus: round(cpus), memoryGb: round(memoryGb), gpus }
}

/** 127.<a>.<b>.<c>: a from this SKY_HOME (so two homes on one machine differ), b.c counts up. */
function loopback(used: Set<string>): string {
  const a = 64 + Number(Bun.hash(localDir()) % 128n)
  for (let i = 1; i < 65_000; i++) {
    const ip = `127.${a}.${i >> 8}.${i & 255}`
    if ((i & 255) !== 0 && (i & 255) !== 255 && !used.has(ip)) return ip
  }
  throw new CapacityError('No loopback address is left for another local node.', { infra: 'local', region: 'local', scope: 'region' })
}

function describe(f: Free, gpuName: string | null): string {
  const g = gpuName ? `, ${f.gpuIndices.length} ${gpuName} GPU${f.gpuIndices.length === 1 ? '' : 's'}` : ''
  return `${f.cpus} CPUs, ${f.memoryGb} GB memory${g} free`
}

/**
 * Take `numNodes` nodes of `req` for a cluster (or, with `previous`, the same nodes again for a
 * restart: same addresses, same amounts, GPUs re-picked). Refuses with a CapacityError before
 * anything is made when the machine cannot hold them.
 */
export function allocate(name: string, nameOnCloud: string, numNodes: number, req: NodeRequest, previous: Allocation | null): Allocation {
  if (!Number.isInteger(numNodes) || numNodes < 1) throw new FatalProvisionError(`A cluster needs at least one node (asked for ${numNodes}).`, { infra: 'local' })
  if (numNodes > MAX_NODES) {
    throw new CapacityError(`This machine runs at most ${MAX_NODES} local nodes per cluster; ${numNodes} were asked for.`, { infra: 'local', region: 'local', scope: 'region' })
  }
  if (req.cpus < MIN_NODE_CPUS) {
    throw new FatalProvisionError(`A local node needs at least ${MIN_NODE_CPUS} CPUs (asked for ${req.cpus}).`, { infra: 'local', hint: 'Ask for more CPUs: --cpus 0.1' })
  }
  const m = machine()
  const f = free(nameOnCloud)
  const gpuName = req.gpus ? (m.gpus?.name ?? req.gpus.name) : null
  const needCpus = round(req.cpus * numNodes)
  const needMem = round(req.memoryGb * numNodes)
  const needGpus = (req.gpus?.count ?? 0) * numNodes
  const why: string[] = []
  if (req.gpus && (!m.gpus || m.gpus.name.toLowerCase() !== req.gpus.name.toLowerCase())) {
    why.push(`it has ${m.gpus ? `${m.gpus.count}x ${m.gpus.name}` : 'no GPUs'}, not ${req.gpus.name}`)
  } else if (needGpus > f.gpuIndices.length) why.push(`${needGpus} GPUs needed`)
  if (needCpus > f.cpus + 1e-9) why.push(`${needCpus} CPUs needed`)
  if (needMem > f.memoryGb + 1e-9) why.push(`${needMem} GB memory needed`)
  if (why.length) {
    throw new CapacityError(`This machine cannot hold ${numNodes} more node${numNodes === 1 ? '' : 's'}: ${why.join(', ')}; ${describe(f, m.gpus?.name ?? null)}.`, {
      infra: 'local',
      region: 'local',
      scope: 'region',
      hint: 'Ask for less (--cpus 0.5, --memory 1), or take a cluster down: sky down <name>',
    })
  }
  const used = new Set(f.usedIps)
  for (const n of previous?.nodes ?? []) used.delete(n.ip)
  const gpus = [...f.gpuIndices]
  const nodes: NodeAlloc[] = Array.from({ length: numNodes }, (_, rank) => {
    const ip = previous?.nodes[rank]?.ip ?? loopback(used)
    used.add(ip)
    return { rank, ip, cpus: req.cpus, memoryGb: req.memoryGb, gpuName, gpuIndices: gpus.splice(0, req.gpus?.count ?? 0) }
  })
  return { name, nameOnCloud, createdAt: previous?.createdAt ?? Date.now(), nodes }
}

export function writeAllocation(a: Allocation): void {
  mkdirSync(clusterDir(a.nameOnCloud), { recursive: true })
  const tmp = `${allocFile(a.nameOnCloud)}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(a, null, 1) + '\n')
  renameSync(tmp, allocFile(a.nameOnCloud))
}

/**
 * Run `fn` holding the ledger lock (an exclusively created file). A lock older than 10 s belongs
 * to a holder that died mid-change (changes take milliseconds) and is taken over.
 */
export async function withLedger<T>(fn: () => T | Promise<T>, signal?: AbortSignal): Promise<T> {
  mkdirSync(localDir(), { recursive: true })
  const path = lockFile()
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' })
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      try {
        if (Date.now() - statSync(path).mtimeMs > 10_000) rmSync(path, { force: true })
      } catch {}
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' })
      await Bun.sleep(5)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(path, { force: true })
  }
}
