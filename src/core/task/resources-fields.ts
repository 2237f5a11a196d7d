// Validation and normalization of the fields of one resources mapping (everything except the
// accelerator alternatives and any_of/ordered, which resources-parse.ts expands).
import { canonicalCloud, CLOUD_NAMES, isEmptyInfra, parseInfra } from './infra'
import { checkKeys, child, compact, describe, didYouMean, isMap, type Issues, type Json } from './issues'
import { parseAtLeast, parseDiskSize, parseMemory, parseMinutes, parsePorts } from './scalars'
import type { AutostopConfig, DiskTier, Infra, JobRecoveryConfig, NetworkTier, Resources } from './types'

/** Fields of one resources candidate (inside any_of/ordered entries too). */
export const SINGLE_RESOURCE_KEYS = [
  'infra',
  'cloud',
  'region',
  'zone',
  'instance_type',
  'cpus',
  'memory',
  'accelerators',
  'gpus',
  'accelerator_args',
  'use_spot',
  'job_recovery',
  'spot_recovery',
  'disk_size',
  'ephemeral_storage',
  'disk_tier',
  'network_tier',
  'local_disk',
  'max_hourly_cost',
  'ports',
  'labels',
  'image_id',
  'autostop',
  'termination_hook',
  'priority',
  'priority_class',
  'volumes',
] as const

export const DISK_TIERS: readonly DiskTier[] = ['low', 'medium', 'high', 'ultra', 'best']
export const NETWORK_TIERS: readonly NetworkTier[] = ['standard', 'best']
const WAIT_FOR = ['jobs_and_ssh', 'jobs', 'none'] as const
const ACCELERATOR_ARGS: Record<string, 'string' | 'boolean'> = {
  runtime_version: 'string',
  tpu_name: 'string',
  tpu_vm: 'boolean',
  gcp_queued_resource: 'boolean',
}
const VOLUME_KEYS = ['disk_size', 'disk_tier', 'path', 'auto_delete', 'storage_type', 'name', 'attach_mode']
export const MIN_PRIORITY = -1000
export const MAX_PRIORITY = 1000
export const DEFAULT_AUTOSTOP_MINUTES = 5

export const isInternalKey = (k: string): boolean => k.startsWith('_')

type PathOf = (key: string) => string

/** Check keys of a single resources mapping. `extraKnown` adds section-level keys (any_of...). */
export function checkResourceKeys(issues: Issues, path: string, cfg: Json, extraKnown: readonly string[] = []): void {
  checkKeys(issues, path, cfg, [...SINGLE_RESOURCE_KEYS, ...extraKnown], isInternalKey)
}

/** Parse every field of `cfg` except accelerators. Problems go to `issues` at `pathOf(key)`. */
export function parseResourceFields(cfg: Json, pathOf: PathOf, issues: Issues): Resources {
  const r: Resources = {}
  const has = (k: string) => cfg[k] !== undefined && cfg[k] !== null
  const str = (k: string): string | undefined => {
    if (!has(k)) return undefined
    const v = cfg[k]
    if (typeof v === 'string' && v.trim() !== '') return v.trim()
    issues.bad(pathOf(k), v, 'must be a non-empty string')
    return undefined
  }

  r.infra = parseLocation(cfg, pathOf, issues)
  if (isEmptyInfra(r.infra)) delete r.infra

  r.instanceType = str('instance_type')
  if (has('cpus')) {
    const p = parseAtLeast(cfg.cpus)
    if (p.ok) r.cpus = p.value
    else issues.bad(pathOf('cpus'), cfg.cpus, p.error)
  }
  if (has('memory')) {
    const p = parseMemory(cfg.memory)
    if (p.ok) r.memory = p.value
    else issues.bad(pathOf('memory'), cfg.memory, p.error)
  }
  if (has('accelerator_args')) r.acceleratorArgs = parseAcceleratorArgs(cfg.accelerator_args, pathOf('accelerator_args'), issues)
  if (has('use_spot')) {
    if (typeof cfg.use_spot === 'boolean') r.useSpot = cfg.use_spot
    else issues.bad(pathOf('use_spot'), cfg.use_spot, 'must be true or false')
  }
  const recoveryKey = has('job_recovery') ? 'job_recovery' : has('spot_recovery') ? 'spot_recovery' : undefined
  if (has('job_recovery') && has('spot_recovery')) {
    issues.add(pathOf('spot_recovery'), "cannot be used together with 'job_recovery' (spot_recovery is its old name)")
  } else if (recoveryKey) r.jobRecovery = parseJobRecovery(cfg[recoveryKey], pathOf(recoveryKey), issues)

  if (has('disk_size')) {
    const p = parseDiskSize(cfg.disk_size)
    if (p.ok) r.diskSize = p.value
    else issues.bad(pathOf('disk_size'), cfg.disk_size, p.error)
  }
  if (has('disk_tier')) r.diskTier = parseEnum(cfg.disk_tier, DISK_TIERS, pathOf('disk_tier'), issues)
  if (has('network_tier')) r.networkTier = parseEnum(cfg.network_tier, NETWORK_TIERS, pathOf('network_tier'), issues)
  if (has('local_disk')) {
    const v = cfg.local_disk
    if (typeof v === 'string' && /^(?:(nvme|ssd):)?\d+(?:\.\d+)?([A-Za-z]{0,3})\+?$/i.test(v.trim())) r.localDisk = v.trim()
    else issues.bad(pathOf('local_disk'), v, "must be '[nvme|ssd:]SIZE[+]', e.g. nvme:500GB+")
  }
  if (has('max_hourly_cost')) {
    const v = cfg.max_hourly_cost
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) r.maxHourlyCost = v
    else issues.bad(pathOf('max_hourly_cost'), v, 'must be a number of dollars per hour greater than 0')
  }
  if (has('ports')) {
    const p = parsePorts(cfg.ports)
    if (p.ok) {
      if (p.value.length > 0) r.ports = p.value
    } else issues.bad(pathOf('ports'), cfg.ports, p.error)
  }
  if (has('labels')) r.labels = parseStringMap(cfg.labels, pathOf('labels'), issues, 'labels')
  if (has('image_id')) r.imageId = parseImageId(cfg.image_id, pathOf('image_id'), issues)
  if (cfg.autostop !== undefined && cfg.autostop !== null) r.autostop = parseAutostop(cfg.autostop, pathOf('autostop'), issues)
  if (has('priority')) {
    const v = cfg.priority
    if (typeof v === 'number' && Number.isInteger(v) && v >= MIN_PRIORITY && v <= MAX_PRIORITY) r.priority = v
    else issues.bad(pathOf('priority'), v, `must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}`)
  }
  r.priorityClass = str('priority_class')

  const extra: Json = {}
  if (has('ephemeral_storage')) {
    const p = parseDiskSize(cfg.ephemeral_storage)
    if (p.ok) extra.ephemeral_storage = cfg.ephemeral_storage
    else issues.bad(pathOf('ephemeral_storage'), cfg.ephemeral_storage, p.error)
  }
  if (has('volumes')) {
    if (checkLegacyVolumes(cfg.volumes, pathOf('volumes'), issues)) extra.volumes = cfg.volumes
  }
  if (has('termination_hook')) {
    if (checkTerminationHook(cfg.termination_hook, pathOf('termination_hook'), issues)) extra.termination_hook = cfg.termination_hook
  }
  for (const [k, v] of Object.entries(cfg)) if (isInternalKey(k) && v !== undefined) extra[k] = v
  if (Object.keys(extra).length > 0) r.extra = extra
  return compact(r)
}

/** `infra`, or the legacy `cloud`/`region`/`zone`; mixing them is an error. */
function parseLocation(cfg: Json, pathOf: PathOf, issues: Issues): Infra | undefined {
  const legacy = (['cloud', 'region', 'zone'] as const).filter((k) => cfg[k] !== undefined && cfg[k] !== null)
  const infraRaw = cfg.infra
  if (infraRaw !== undefined && infraRaw !== null) {
    if (legacy.length > 0) {
      issues.add(pathOf(legacy[0]!), `cannot be combined with 'infra' (${describe(infraRaw)}); put everything in infra, e.g. aws/us-east-1/us-east-1a`)
      return undefined
    }
    if (typeof infraRaw !== 'string') {
      issues.bad(pathOf('infra'), infraRaw, "must be a string like 'aws/us-east-1' or 'k8s/<context>'")
      return undefined
    }
    const p = parseInfra(infraRaw)
    if (!p.ok) {
      const head = infraRaw.trim().split('/')[0] ?? ''
      const guess = didYouMean(head, CLOUD_NAMES)
      issues.bad(pathOf('infra'), infraRaw, guess && guess !== head ? `${p.error}; did you mean '${guess}'?` : p.error)
      return undefined
    }
    return p.value
  }
  const infra: Infra = {}
  for (const k of legacy) {
    const v = cfg[k]
    if (typeof v !== 'string' || v.trim() === '') {
      issues.bad(pathOf(k), v, 'must be a non-empty string')
      continue
    }
    if (k === 'cloud') {
      if (v.trim() === '*') continue
      const c = canonicalCloud(v)
      if (c) infra.cloud = c
      else {
        const guess = didYouMean(v, CLOUD_NAMES)
        issues.bad(pathOf(k), v, guess ? `unknown cloud; did you mean '${guess}'?` : `unknown cloud; known: ${CLOUD_NAMES.join(', ')}`)
      }
    } else if (v.trim() !== '*') infra[k] = v.trim()
  }
  return isEmptyInfra(infra) ? undefined : infra
}

function parseEnum<T extends string>(v: unknown, allowed: readonly T[], path: string, issues: Issues): T | undefined {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v.trim().toLowerCase())) return v.trim().toLowerCase() as T
  issues.bad(path, v, `must be one of ${allowed.join(', ')}`)
  return undefined
}

function parseAcceleratorArgs(v: unknown, path: string, issues: Issues): Record<string, unknown> | undefined {
  if (!isMap(v)) {
    issues.bad(path, v, 'must be a mapping (runtime_version, tpu_name, tpu_vm, gcp_queued_resource)')
    return undefined
  }
  checkKeys(issues, path, v, Object.keys(ACCELERATOR_ARGS))
  const out: Record<string, unknown> = {}
  for (const [k, want] of Object.entries(ACCELERATOR_ARGS)) {
    const x = v[k]
    if (x === undefined || x === null) continue
    if (want === 'boolean' && typeof x !== 'boolean') issues.bad(`${path}.${k}`, x, 'must be true or false')
    else if (want === 'string' && typeof x === 'number') out[k] = String(x)
    else if (want === 'string' && typeof x !== 'string') issues.bad(`${path}.${k}`, x, 'must be a string')
    else out[k] = x
  }
  return out
}

function parseJobRecovery(v: unknown, path: string, issues: Issues): JobRecoveryConfig | undefined {
  if (typeof v === 'string') {
    const s = v.trim()
    if (s === '') {
      issues.bad(path, v, 'must name a strategy (e.g. FAILOVER, EAGER_NEXT_REGION) or be a mapping')
      return undefined
    }
    return s.toLowerCase() === 'none' ? undefined : { strategy: s.toUpperCase() }
  }
  if (!isMap(v)) {
    issues.bad(path, v, 'must be a strategy name or a mapping {strategy, max_restarts_on_errors, recover_on_exit_codes}')
    return undefined
  }
  const out: JobRecoveryConfig = {}
  const strategy = v.strategy
  if (strategy !== undefined && strategy !== null) {
    if (typeof strategy !== 'string' || strategy.trim() === '') issues.bad(`${path}.strategy`, strategy, 'must be a strategy name such as FAILOVER or EAGER_NEXT_REGION')
    else if (strategy.trim().toLowerCase() === 'none') return undefined
    else out.strategy = strategy.trim().toUpperCase()
  }
  const mr = v.max_restarts_on_errors
  if (mr !== undefined && mr !== null) {
    if (typeof mr === 'number' && Number.isInteger(mr) && mr >= 0) out.maxRestartsOnErrors = mr
    else issues.bad(`${path}.max_restarts_on_errors`, mr, 'must be a whole number >= 0')
  }
  const codes = v.recover_on_exit_codes
  if (codes !== undefined && codes !== null) {
    const list = Array.isArray(codes) ? codes : [codes]
    const okCodes = list.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= 255)
    if (!okCodes) issues.bad(`${path}.recover_on_exit_codes`, codes, 'must be an exit code 0-255 or a list of them')
    else if (new Set(list).size !== list.length) issues.bad(`${path}.recover_on_exit_codes`, codes, 'must not repeat exit codes')
    else out.recoverOnExitCodes = list as number[]
  }
  const extra: Json = {}
  for (const [k, x] of Object.entries(v)) {
    if (!['strategy', 'max_restarts_on_errors', 'recover_on_exit_codes'].includes(k) && x !== undefined) extra[k] = x
  }
  if (Object.keys(extra).length > 0) out.extra = extra
  return out
}

/** `false`, `true` (5 idle minutes), minutes, `"30m"`/`"2h"`, or a mapping. */
export function parseAutostop(v: unknown, path: string, issues: Issues): AutostopConfig | undefined {
  if (typeof v === 'boolean') return { enabled: v, idleMinutes: v ? DEFAULT_AUTOSTOP_MINUTES : 0, down: false }
  if (typeof v === 'number' || typeof v === 'string') {
    const p = parseMinutes(v)
    if (p.ok) return { enabled: true, idleMinutes: p.value, down: false }
    issues.bad(path, v, `must be true/false, idle minutes, a duration like 30m/2h/1d, or a mapping {idle_minutes, down, wait_for}`)
    return undefined
  }
  if (!isMap(v)) {
    issues.bad(path, v, 'must be true/false, idle minutes, a duration like 30m, or a mapping {idle_minutes, down, wait_for}')
    return undefined
  }
  checkKeys(issues, path, v, ['idle_minutes', 'down', 'wait_for', 'hook', 'hook_timeout'])
  const out: AutostopConfig = { enabled: true, idleMinutes: DEFAULT_AUTOSTOP_MINUTES, down: false }
  if (v.idle_minutes !== undefined && v.idle_minutes !== null) {
    const p = parseMinutes(v.idle_minutes)
    if (p.ok) out.idleMinutes = p.value
    else issues.bad(`${path}.idle_minutes`, v.idle_minutes, p.error)
  }
  if (v.down !== undefined && v.down !== null) {
    if (typeof v.down === 'boolean') out.down = v.down
    else issues.bad(`${path}.down`, v.down, 'must be true or false')
  }
  if (v.wait_for !== undefined && v.wait_for !== null) {
    const w = typeof v.wait_for === 'string' ? v.wait_for.trim().toLowerCase() : undefined
    if (w && (WAIT_FOR as readonly string[]).includes(w)) out.waitFor = w as AutostopConfig['waitFor']
    else issues.bad(`${path}.wait_for`, v.wait_for, `must be one of ${WAIT_FOR.join(', ')}`)
  }
  if (v.hook !== undefined && v.hook !== null) {
    if (typeof v.hook === 'string') out.hook = v.hook
    else issues.bad(`${path}.hook`, v.hook, 'must be a string of bash commands')
  }
  if (v.hook_timeout !== undefined && v.hook_timeout !== null) {
    const t = v.hook_timeout
    if (typeof t === 'number' && Number.isInteger(t) && t >= 1) out.hookTimeout = t
    else issues.bad(`${path}.hook_timeout`, t, 'must be a whole number of seconds >= 1')
  }
  return out
}

/** A mapping of string → scalar; scalar values become strings. */
export function parseStringMap(v: unknown, path: string, issues: Issues, what: string): Record<string, string> | undefined {
  if (!isMap(v)) {
    issues.bad(path, v, `must be a mapping of ${what} names to string values`)
    return undefined
  }
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') out[k] = x
    else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x)
    else issues.bad(child(path, k), x, 'must be a string')
  }
  return out
}

function parseImageId(v: unknown, path: string, issues: Issues): string | Record<string, string> | undefined {
  if (typeof v === 'string') {
    if (v.trim() !== '' && v.trim() !== 'docker:') return v.trim()
    issues.bad(path, v, "must be an image id, 'docker:<image>', or a mapping region → image id")
    return undefined
  }
  if (isMap(v)) {
    const out: Record<string, string> = {}
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && x.trim() !== '') out[k.trim()] = x.trim()
      else issues.bad(child(path, k), x, 'must be an image id string')
    }
    return Object.keys(out).length > 0 ? out : undefined
  }
  issues.bad(path, v, "must be an image id, 'docker:<image>', or a mapping region → image id")
  return undefined
}

/** `termination_hook: {command, timeout}`: a script run before the node goes away (Kubernetes preStop). */
function checkTerminationHook(v: unknown, path: string, issues: Issues): boolean {
  if (!isMap(v)) {
    issues.bad(path, v, 'must be a mapping {command, timeout}')
    return false
  }
  const before = issues.count
  checkKeys(issues, path, v, ['command', 'timeout'])
  if (typeof v.command !== 'string' || v.command.trim() === '') issues.bad(`${path}.command`, v.command, 'is required: the bash commands to run')
  const t = v.timeout
  if (t !== undefined && t !== null && !(typeof t === 'number' && Number.isInteger(t) && t >= 1)) {
    issues.bad(`${path}.timeout`, t, 'must be a whole number of seconds >= 1')
  }
  return issues.count === before
}

function checkLegacyVolumes(v: unknown, path: string, issues: Issues): boolean {
  if (!Array.isArray(v)) {
    issues.bad(path, v, 'must be a list of disk volumes {path, name, disk_size, disk_tier, ...}')
    return false
  }
  const before = issues.count
  v.forEach((vol, i) => {
    const p = `${path}[${i}]`
    if (!isMap(vol)) return issues.bad(p, vol, 'must be a mapping {path, name, disk_size, ...}')
    checkKeys(issues, p, vol, VOLUME_KEYS)
    if (typeof vol.path !== 'string' || vol.path === '') issues.bad(`${p}.path`, vol.path, 'is required: the mount path')
    if (vol.disk_size !== undefined && !parseDiskSize(vol.disk_size).ok) issues.bad(`${p}.disk_size`, vol.disk_size, 'must be a whole number of GB or a size like 100GB')
    if (vol.auto_delete !== undefined && typeof vol.auto_delete !== 'boolean') issues.bad(`${p}.auto_delete`, vol.auto_delete, 'must be true or false')
    for (const k of ['disk_tier', 'name', 'storage_type', 'attach_mode']) {
      if (vol[k] !== undefined && typeof vol[k] !== 'string') issues.bad(`${p}.${k}`, vol[k], 'must be a string')
    }
  })
  return issues.count === before
}
