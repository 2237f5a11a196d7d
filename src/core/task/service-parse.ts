// Shape checks for the `service:` (SkyServe), `pool:` and `config:` sections. The sections are
// carried as plain mappings (the serve/jobs code reads them); here we only make sure every key
// is one the SkyPilot format knows and every value has the right type.
import { checkKeys, child, isMap, type Issues, type Json } from './issues'

type Check = (v: unknown) => string | undefined

export const LB_POLICIES = ['round_robin', 'least_load', 'instance_aware_least_load']

const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number')
const nonNeg: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'must be a number >= 0')
const int0: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? undefined : 'must be a whole number >= 0')
const int1: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? undefined : 'must be a whole number >= 1')
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false')
const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string')
const port: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined : 'must be a port number 1-65535')
const nonEmpty: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : `must be a policy name such as ${LB_POLICIES.join(', ')}`)

const POOL: Record<string, Check> = {
  workers: int0,
  min_workers: int0,
  max_workers: int0,
  queue_length_threshold: int1,
  upscale_delay_seconds: nonNeg,
  downscale_delay_seconds: nonNeg,
}

const PROBE: Record<string, Check> = {
  path: str,
  initial_delay_seconds: num,
  timeout_seconds: num,
  endpoint_probe_interval_seconds: num,
  consecutive_failure_threshold_timeout: num,
  post_data: (v) => (typeof v === 'string' || isMap(v) ? undefined : 'must be a JSON string or a mapping'),
  headers: (v) => (isMap(v) && Object.values(v).every((h) => typeof h === 'string') ? undefined : 'must be a mapping of header → string'),
}

const TARGET_QPS: Check = (v) => {
  if (typeof v === 'number') return v >= 0 ? undefined : 'must be a number >= 0'
  if (isMap(v)) {
    for (const [k, q] of Object.entries(v)) {
      if (!/^[A-Za-z0-9-]+(?::[0-9]+)?$/.test(k)) return `key '${k}' must be an accelerator like 'H100:1'`
      if (typeof q !== 'number' || q < 0) return `value for '${k}' must be a number >= 0`
    }
    return undefined
  }
  return "must be a number, or a mapping accelerator → QPS like {'H100:1': 10}"
}

const any: Check = () => undefined

// Keys that older or experimental SkyServe versions accepted; carried through unchecked so
// existing YAMLs keep working.
const LEGACY_REPLICA_POLICY: Record<string, Check> = {
  auto_restart: any,
  num_extra: any,
  num_init_replicas: any,
  init_replicas: any,
  spot_mixer: any,
  spot_policy: any,
  spot_zones: any,
  qps_upper_threshold: any,
  qps_lower_threshold: any,
}
const LEGACY_SERVICE_KEYS = ['route53_hosted_zone', 'external_load_balancers', 'https', 'controller_resources']

const REPLICA_POLICY: Record<string, Check> = {
  ...LEGACY_REPLICA_POLICY,
  min_replicas: int0,
  max_replicas: int0,
  num_overprovision: int0,
  target_qps_per_replica: TARGET_QPS,
  dynamic_ondemand_fallback: bool,
  base_ondemand_fallback_replicas: int0,
  spot_placer: str,
  upscale_delay_seconds: num,
  downscale_delay_seconds: num,
}


const SERVICE_KEYS = ['readiness_probe', 'load_balancer', 'pool', 'replica_policy', 'ports', 'replicas', 'workers', 'load_balancing_policy', 'tls', ...LEGACY_SERVICE_KEYS]

function checkFields(v: Json, path: string, fields: Record<string, Check>, issues: Issues, required: string[] = []): void {
  checkKeys(issues, path, v, Object.keys(fields))
  for (const r of required) if (v[r] === undefined || v[r] === null) issues.add(child(path, r), 'is required')
  for (const [k, check] of Object.entries(fields)) {
    const x = v[k]
    if (x === undefined || x === null) continue
    const err = check(x)
    if (err) issues.bad(child(path, k), x, err)
  }
}

function section(v: unknown, path: string, issues: Issues, what: string): Json | undefined {
  if (isMap(v)) return v
  issues.bad(path, v, `must be a mapping (${what})`)
  return undefined
}

/** `service:`; returns the mapping when it has the right shape. */
export function checkService(value: unknown, path: string, issues: Issues): Json | undefined {
  const v = section(value, path, issues, 'readiness_probe, replicas or replica_policy, ...')
  if (!v) return undefined
  const before = issues.count
  checkKeys(issues, path, v, SERVICE_KEYS)
  const probe = v.readiness_probe
  if (probe !== undefined && probe !== null) {
    if (typeof probe === 'string') {
      if (!probe.startsWith('/')) issues.bad(child(path, 'readiness_probe'), probe, "must be an HTTP path starting with '/', e.g. /health")
    } else if (isMap(probe)) checkFields(probe, child(path, 'readiness_probe'), PROBE, issues, ['path'])
    else issues.bad(child(path, 'readiness_probe'), probe, 'must be a path like /health or a mapping {path, initial_delay_seconds, ...}')
  }
  const policy = v.replica_policy
  if (policy !== undefined && policy !== null) {
    const p = section(policy, child(path, 'replica_policy'), issues, 'min_replicas, max_replicas, target_qps_per_replica, ...')
    if (p) {
      checkFields(p, child(path, 'replica_policy'), REPLICA_POLICY, issues, ['min_replicas'])
      if (typeof p.min_replicas === 'number' && typeof p.max_replicas === 'number' && p.max_replicas < p.min_replicas) {
        issues.bad(child(child(path, 'replica_policy'), 'max_replicas'), p.max_replicas, `must be >= min_replicas (${p.min_replicas})`)
      }
    }
    if (v.replicas !== undefined && v.replicas !== null) issues.add(child(path, 'replicas'), "cannot be used together with 'replica_policy'; set replica_policy.min_replicas instead")
  }
  // Policy names are checked by the serve controller (plugins and newer versions add policies).
  const simple: Record<string, Check> = { ports: port, replicas: int0, workers: int0, load_balancing_policy: nonEmpty }
  for (const [k, check] of Object.entries(simple)) {
    const x = v[k]
    if (x === undefined || x === null) continue
    const err = check(x)
    if (err) issues.bad(child(path, k), x, err)
  }
  if (v.load_balancer !== undefined && v.load_balancer !== null) {
    const lb = section(v.load_balancer, child(path, 'load_balancer'), issues, 'stream_timeout_seconds')
    if (lb) checkFields(lb, child(path, 'load_balancer'), { stream_timeout_seconds: num }, issues)
  }
  if (v.pool !== undefined && v.pool !== null) {
    const p = section(v.pool, child(path, 'pool'), issues, 'workers, min_workers, max_workers, ...')
    if (p) checkFields(p, child(path, 'pool'), POOL, issues)
  }
  if (v.tls !== undefined && v.tls !== null) {
    const t = section(v.tls, child(path, 'tls'), issues, 'keyfile, certfile')
    if (t) checkFields(t, child(path, 'tls'), { keyfile: str, certfile: str }, issues, ['keyfile', 'certfile'])
  }
  return issues.count === before ? v : undefined
}

/** Top-level `pool:` (workers spec for `sky jobs pool`). */
export function checkPool(value: unknown, path: string, issues: Issues): Json | undefined {
  const v = section(value, path, issues, 'workers, min_workers, max_workers, ...')
  if (!v) return undefined
  const before = issues.count
  checkFields(v, path, POOL, issues)
  return issues.count === before ? v : undefined
}

const HOOK_EVENTS = ['stop', 'preemption', 'down']

/** `config:` — task overrides of ~/.sky/config.yaml plus lifecycle `hooks`. */
export function checkTaskConfig(value: unknown, path: string, issues: Issues): Json | undefined {
  const v = section(value, path, issues, 'overrides of ~/.sky/config.yaml keys, and hooks')
  if (!v) return undefined
  const before = issues.count
  const hooks = v.hooks
  const hp = child(path, 'hooks')
  if (hooks !== undefined && hooks !== null) {
    if (!Array.isArray(hooks)) issues.bad(hp, hooks, 'must be a list of {run, events, timeout}')
    else {
      if (hooks.length > 32) issues.add(hp, `has ${hooks.length} hooks — at most 32 are allowed`)
      hooks.forEach((h, i) => {
        const p = child(hp, i)
        if (!isMap(h)) return issues.bad(p, h, 'must be a mapping {run, events, timeout}')
        checkKeys(issues, p, h, ['run', 'events', 'timeout'])
        if (typeof h.run !== 'string' || h.run === '') issues.bad(child(p, 'run'), h.run, 'is required: a non-empty string of bash commands')
        else if (Buffer.byteLength(h.run) > 16 * 1024) issues.add(child(p, 'run'), 'is longer than 16 KiB; put the script in workdir and call it')
        if (h.events !== undefined) {
          const ev = h.events
          const okEvents = Array.isArray(ev) && ev.length > 0 && ev.every((e) => HOOK_EVENTS.includes(e as string)) && new Set(ev).size === ev.length
          if (!okEvents) issues.bad(child(p, 'events'), ev, `must be a non-empty list of distinct events from ${HOOK_EVENTS.join(', ')}`)
        }
        if (h.timeout !== undefined) {
          const err = int1(h.timeout)
          if (err) issues.bad(child(p, 'timeout'), h.timeout, `${err} (seconds)`)
        }
      })
    }
  }
  return issues.count === before ? v : undefined
}
