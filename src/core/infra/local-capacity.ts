// What this machine can offer as the `local` infra: CPUs (honouring cgroup quotas), memory
// (honouring cgroup limits) and NVIDIA GPUs from `nvidia-smi`. `local.cpus` and `local.memory` in
// the config can only lower what is detected, and `local.gpus: none` hides the GPUs: the config
// never makes this machine look bigger than it is. (Tests that need GPUs put an `nvidia-smi` on
// PATH that describes them, the same way a real machine would.)
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus as osCpus, totalmem } from 'node:os'
import { ValidationError } from '../errors'
import { acceleratorMemoryGb, canonicalAcceleratorName, gpuNameFromDevice } from '../catalog/accelerators'
import type { LiveNode, NodeGpus } from './types'

export interface GpuDevice {
  name: string
  memoryMiB?: number
}

export interface LocalCapacity {
  cpus: number
  memoryGb: number
  /** The GPU type and how many (the most common type when the machine mixes several). */
  gpus?: NodeGpus
  /** nvidia-smi indices of the devices of that type (CUDA_VISIBLE_DEVICES values). */
  gpuIndices: number[]
  devices: GpuDevice[]
  source: { cpus: 'config' | 'cgroup' | 'os'; memory: 'config' | 'cgroup' | 'os'; gpus: 'config' | 'nvidia-smi' | 'none' }
}

export interface DetectOptions {
  /** Output of `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader`, or undefined if absent. */
  nvidiaSmi?: () => string | undefined
  /** Root of the cgroup filesystem (default /sys/fs/cgroup). */
  cgroupRoot?: string
}

type ConfigLike = Record<string, unknown> | undefined

function readText(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined
  } catch {
    return undefined
  }
}

/** CPU limit from cgroup v2 `cpu.max` or v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`. */
export function cgroupCpuLimit(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = readText(`${root}/cpu.max`)
  if (v2) {
    const [quota, period] = v2.split(/\s+/)
    if (quota !== 'max' && Number(quota) > 0 && Number(period) > 0) return Number(quota) / Number(period)
    return undefined
  }
  const q = Number(readText(`${root}/cpu/cpu.cfs_quota_us`) ?? readText(`${root}/cpu,cpuacct/cpu.cfs_quota_us`))
  const p = Number(readText(`${root}/cpu/cpu.cfs_period_us`) ?? readText(`${root}/cpu,cpuacct/cpu.cfs_period_us`))
  if (q > 0 && p > 0) return q / p
  return undefined
}

/** Memory limit in bytes from cgroup v2 `memory.max` or v1 `memory.limit_in_bytes`. */
export function cgroupMemoryLimit(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = readText(`${root}/memory.max`)
  if (v2 !== undefined) return v2 === 'max' ? undefined : Number(v2) || undefined
  const v1 = Number(readText(`${root}/memory/memory.limit_in_bytes`))
  // v1 reports a huge number (close to 2^63) when unlimited.
  if (v1 > 0 && v1 < 2 ** 60) return v1
  return undefined
}

function runNvidiaSmi(): string | undefined {
  try {
    const r = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 10_000,
    })
    if (r.error || r.status !== 0) return undefined
    return r.stdout
  } catch {
    return undefined
  }
}

/** Parse `NVIDIA H100 80GB HBM3, 81559 MiB` lines. */
export function parseNvidiaSmi(text: string): GpuDevice[] {
  const out: GpuDevice[] = []
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (!t) continue
    const comma = t.lastIndexOf(',')
    const rawName = comma >= 0 ? t.slice(0, comma).trim() : t
    const mem = comma >= 0 ? t.slice(comma + 1).trim() : ''
    const m = mem.match(/([\d.]+)\s*(MiB|GiB|MB|GB)?/i)
    let memoryMiB: number | undefined
    if (m) memoryMiB = Number(m[1]) * (/^g/i.test(m[2] ?? '') ? 1024 : 1)
    out.push({ name: gpuNameFromDevice(rawName, memoryMiB), ...(memoryMiB ? { memoryMiB } : {}) })
  }
  return out
}

/** `L4:4`, `H100` (= 1), `none`/`0`/false (= no GPUs). */
export function parseGpuSpec(value: unknown, where = 'local.gpus'): NodeGpus | null {
  if (value === null || value === false || value === 0) return null
  const s = String(value).trim()
  if (!s || /^(none|0)$/i.test(s)) return null
  const m = s.match(/^([A-Za-z0-9][\w.-]*?)(?::([\d.]+))?$/)
  const count = m ? (m[2] === undefined ? 1 : Number(m[2])) : NaN
  if (!m || !(count > 0)) {
    throw new ValidationError([{ path: where, message: `'${s}' is not a GPU spec; use NAME:COUNT, e.g. L4:4, or none`, value }])
  }
  const name = canonicalAcceleratorName(m[1])
  const memoryGb = acceleratorMemoryGb(name)
  return { name, count, ...(memoryGb ? { memoryGb } : {}) }
}

function positiveNumber(value: unknown, where: string, unit: RegExp): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim().replace(unit, ''))
  if (!(n > 0)) throw new ValidationError([{ path: where, message: `must be a positive number, got '${String(value)}'`, value }])
  return n
}

let probed: { cpus: number; cpuSource: 'cgroup' | 'os'; memGb: number; memSource: 'cgroup' | 'os'; devices?: GpuDevice[] } | undefined

/** Forget the cached hardware probe (tests). */
export function resetLocalCapacityCache(): void {
  probed = undefined
}

function summarize(devices: GpuDevice[]): { gpus: NodeGpus; indices: number[] } | undefined {
  if (devices.length === 0) return undefined
  const counts = new Map<string, number>()
  for (const d of devices) counts.set(d.name, (counts.get(d.name) ?? 0) + 1)
  const [name, count] = [...counts].sort((a, b) => b[1] - a[1])[0]!
  const mem = devices.find((d) => d.name === name)?.memoryMiB
  const memoryGb = mem ? Math.round(mem / 1024) : acceleratorMemoryGb(name)
  const indices = devices.flatMap((d, i) => (d.name === name ? [i] : []))
  return { gpus: { name, count, ...(memoryGb ? { memoryGb } : {}) }, indices }
}

/**
 * Detect this machine's capacity. `config` is the merged config tree (or any object with a
 * `local` section); its `local.cpus`, `local.memory` (GB) and `local.gpus` win over detection.
 */
export function detectLocalCapacity(config?: ConfigLike, opts: DetectOptions = {}): LocalCapacity {
  const local = (config?.local ?? {}) as Record<string, unknown>
  const fresh = opts.nvidiaSmi !== undefined || opts.cgroupRoot !== undefined
  let p = fresh ? undefined : probed
  if (!p) {
    const osCount = osCpus().length || 1
    const cgCpu = cgroupCpuLimit(opts.cgroupRoot)
    const cpus = cgCpu && cgCpu < osCount ? cgCpu : osCount
    const osMem = totalmem()
    const cgMem = cgroupMemoryLimit(opts.cgroupRoot)
    const mem = cgMem && cgMem < osMem ? cgMem : osMem
    p = {
      cpus: Math.round(cpus * 100) / 100,
      cpuSource: cgCpu && cgCpu < osCount ? 'cgroup' : 'os',
      memGb: Math.round((mem / 1024 ** 3) * 10) / 10,
      memSource: cgMem && cgMem < osMem ? 'cgroup' : 'os',
    }
    if (!fresh) probed = p
  }
  const cap: LocalCapacity = {
    cpus: p.cpus,
    memoryGb: p.memGb,
    gpuIndices: [],
    devices: [],
    source: { cpus: p.cpuSource, memory: p.memSource, gpus: 'none' },
  }
  if (local.cpus !== undefined && local.cpus !== null) {
    cap.cpus = Math.min(cap.cpus, positiveNumber(local.cpus, 'local.cpus', /\s+$/))
    cap.source.cpus = 'config'
  }
  if (local.memory !== undefined && local.memory !== null) {
    cap.memoryGb = Math.min(cap.memoryGb, positiveNumber(local.memory, 'local.memory', /\s*(gi?b?)?$/i))
    cap.source.memory = 'config'
  }
  if (local.gpus !== undefined) {
    if (parseGpuSpec(local.gpus) !== null) {
      throw new ValidationError([
        {
          path: 'local.gpus',
          message: `'${String(local.gpus)}' would describe GPUs this machine may not have; GPUs are detected with nvidia-smi, and local.gpus can only be 'none' (hide them)`,
          value: local.gpus,
        },
      ])
    }
    cap.source.gpus = 'config'
    return cap
  }
  if (!p.devices) {
    const text = (opts.nvidiaSmi ?? runNvidiaSmi)()
    p.devices = text ? parseNvidiaSmi(text) : []
  }
  cap.devices = p.devices
  const g = summarize(p.devices)
  if (g) {
    cap.gpus = g.gpus
    cap.gpuIndices = g.indices
    cap.source.gpus = 'nvidia-smi'
  }
  return cap
}

/** This machine as the single node of the `local` infra. */
export function localLiveNode(cap: LocalCapacity, name = 'localhost'): LiveNode {
  return {
    infra: 'local',
    region: 'local',
    name,
    cpus: cap.cpus,
    memoryGb: cap.memoryGb,
    ...(cap.gpus ? { gpus: cap.gpus } : {}),
  }
}
