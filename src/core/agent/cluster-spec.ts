// cluster.json: validation of what the provisioner hands to `init`, and reading it back.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { ValidationError, type FieldIssue } from '../errors'
import type { ClusterSpec, GpuSpec, NodeCapacity, NodeSpec, SshTarget } from './types'

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

function optString(v: unknown, path: string, issues: FieldIssue[]): string | null {
  if (v === undefined || v === null) return null
  if (typeof v === 'string') return v
  issues.push({ path, message: 'must be a string', value: v })
  return null
}

function num(v: unknown, path: string, issues: FieldIssue[], min = 0): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= min) return v
  issues.push({ path, message: `must be a number >= ${min}`, value: v })
  return 0
}

function gpu(v: unknown, path: string, issues: FieldIssue[], whole: boolean): GpuSpec | null {
  if (v === undefined || v === null) return null
  if (!isObj(v) || typeof v.name !== 'string' || !v.name) {
    issues.push({ path, message: 'must be {name, count}', value: v })
    return null
  }
  const count = num(v.count, `${path}.count`, issues)
  if (whole && !Number.isInteger(count)) issues.push({ path: `${path}.count`, message: 'must be a whole number', value: count })
  return { name: v.name, count }
}

function capacity(v: unknown, path: string, issues: FieldIssue[]): NodeCapacity {
  if (!isObj(v)) {
    issues.push({ path, message: 'must be {cpus, memoryGb, gpus}', value: v })
    return { cpus: 0, memoryGb: 0, gpus: null }
  }
  return {
    cpus: num(v.cpus, `${path}.cpus`, issues),
    memoryGb: num(v.memoryGb ?? 0, `${path}.memoryGb`, issues),
    gpus: gpu(v.gpus, `${path}.gpus`, issues, true),
  }
}

function ssh(v: unknown, path: string, issues: FieldIssue[]): SshTarget | undefined {
  if (v === undefined || v === null) return undefined
  if (!isObj(v) || typeof v.host !== 'string' || typeof v.user !== 'string') {
    issues.push({ path, message: 'must be {host, port, user, keyPath}', value: v })
    return undefined
  }
  return {
    host: v.host,
    port: v.port === undefined ? 22 : num(v.port, `${path}.port`, issues, 1),
    user: v.user,
    keyPath: optString(v.keyPath, `${path}.keyPath`, issues) ?? '',
    ...(typeof v.passwordPath === 'string' && v.passwordPath ? { passwordPath: v.passwordPath } : {}),
    ...(typeof v.knownHosts === 'string' && v.knownHosts ? { knownHosts: v.knownHosts } : {}),
  }
}

function node(v: unknown, i: number, issues: FieldIssue[]): NodeSpec {
  const path = `nodes[${i}]`
  if (!isObj(v)) {
    issues.push({ path, message: 'must be an object', value: v })
    return { rank: i, ip: '', home: '', kind: 'local' }
  }
  const kind = v.kind ?? 'local'
  if (kind !== 'local' && kind !== 'ssh') issues.push({ path: `${path}.kind`, message: "must be 'local' or 'ssh'", value: kind })
  if (v.rank !== undefined && v.rank !== i) issues.push({ path: `${path}.rank`, message: `must be ${i} (nodes are listed in rank order)`, value: v.rank })
  const home = optString(v.home, `${path}.home`, issues)
  if (!home) issues.push({ path: `${path}.home`, message: 'is required' })
  const out: NodeSpec = {
    rank: i,
    ip: optString(v.ip, `${path}.ip`, issues) ?? '127.0.0.1',
    home: home ?? '',
    kind: kind === 'ssh' ? 'ssh' : 'local',
  }
  const target = ssh(v.ssh, `${path}.ssh`, issues)
  if (target) out.ssh = target
  if (out.kind === 'ssh' && i > 0 && !target) issues.push({ path: `${path}.ssh`, message: 'is required for ssh workers' })
  if (v.capacity !== undefined) out.capacity = capacity(v.capacity, `${path}.capacity`, issues)
  const runtimeDir = optString(v.runtimeDir, `${path}.runtimeDir`, issues)
  if (runtimeDir) out.runtimeDir = runtimeDir
  if (v.gpuIndices !== undefined && v.gpuIndices !== null) {
    if (!Array.isArray(v.gpuIndices) || v.gpuIndices.some((g) => !Number.isInteger(g) || (g as number) < 0)) {
      issues.push({ path: `${path}.gpuIndices`, message: 'must be a list of device indices', value: v.gpuIndices })
    } else out.gpuIndices = v.gpuIndices as number[]
  }
  return out
}

/** Validate the JSON a provisioner passes to `init`. */
export function parseClusterSpec(raw: unknown): ClusterSpec {
  const issues: FieldIssue[] = []
  if (!isObj(raw)) throw new ValidationError('cluster.json must be a JSON object')
  const name = optString(raw.name, 'name', issues)
  if (!name) issues.push({ path: 'name', message: 'is required' })
  if (!Array.isArray(raw.nodes) || raw.nodes.length === 0) issues.push({ path: 'nodes', message: 'must be a non-empty list' })
  const nodes = Array.isArray(raw.nodes) ? raw.nodes.map((n, i) => node(n, i, issues)) : []
  const spec: ClusterSpec = {
    name: name ?? '',
    cloud: optString(raw.cloud, 'cloud', issues),
    region: optString(raw.region, 'region', issues),
    zone: optString(raw.zone, 'zone', issues),
    nodes,
    capacity: capacity(raw.capacity, 'capacity', issues),
    onAutostop: optString(raw.onAutostop, 'onAutostop', issues),
    tag: optString(raw.tag, 'tag', issues),
    agentHost: optString(raw.agentHost, 'agentHost', issues),
  }
  if (raw.autostopMinuteMs !== undefined) spec.autostopMinuteMs = num(raw.autostopMinuteMs, 'autostopMinuteMs', issues, 1)
  if (raw.runAs !== undefined && raw.runAs !== null) {
    const r = raw.runAs as Record<string, unknown>
    if (!isObj(r) || typeof r.user !== 'string' || !Number.isInteger(r.uid) || (r.uid as number) <= 0 || !Number.isInteger(r.gid) || (r.gid as number) < 0) {
      issues.push({ path: 'runAs', message: 'must be {user, uid > 0, gid}' })
    } else spec.runAs = { user: r.user, uid: r.uid as number, gid: r.gid as number }
  }
  if (issues.length) throw new ValidationError(issues)
  return spec
}

export function nodeCapacity(spec: ClusterSpec, rank: number): NodeCapacity {
  return spec.nodes[rank]?.capacity ?? spec.capacity
}

export function readClusterSpec(path: string): ClusterSpec {
  return JSON.parse(readFileSync(path, 'utf8')) as ClusterSpec
}

export function writeClusterSpec(path: string, spec: ClusterSpec): void {
  writeFileAtomic(path, JSON.stringify(spec, null, 2) + '\n')
}

export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode })
  renameSync(tmp, path)
}
