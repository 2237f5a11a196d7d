// Validation of the task YAML's `service:` section, exactly as SkyPilot defines it plus our
// `auth`. Every problem becomes a FieldIssue naming the field (did-you-mean for unknown keys);
// nothing unknown is carried through. Defaults and the typed spec live in spec.ts.
import { checkKeys, child, didYouMean, isMap, type Issues, type Json } from '../task/issues'
import { LB_POLICIES } from './lb/policies'

type Check = (v: unknown) => string | undefined

export const SPOT_PLACERS = ['dynamic_fallback']
export const AUTH_TYPES = ['bearer']

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const nonNeg: Check = (v) => (isNum(v) && v >= 0 ? undefined : 'must be a number of seconds >= 0')
const positive: Check = (v) => (isNum(v) && v > 0 ? undefined : 'must be a number of seconds > 0')
const int0: Check = (v) => (isNum(v) && Number.isInteger(v) && v >= 0 ? undefined : 'must be a whole number >= 0')
const int1: Check = (v) => (isNum(v) && Number.isInteger(v) && v >= 1 ? undefined : 'must be a whole number >= 1')
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false')
const path: Check = (v) => (typeof v === 'string' && v.startsWith('/') ? undefined : "must be an HTTP path starting with '/', e.g. /health")
const file: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'must be a path to a PEM file')
const port: Check = (v) => (isNum(v) && Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined : 'must be one port number 1-65535 (the port every replica listens on)')

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

const postData: Check = (v) => {
  if (isMap(v)) return undefined
  if (typeof v !== 'string') return 'must be a mapping or a JSON string (the body of a POST probe)'
  try {
    JSON.parse(v)
    return undefined
  } catch {
    return 'is not valid JSON; give a mapping or a JSON string'
  }
}

const headers: Check = (v) => {
  if (!isMap(v)) return 'must be a mapping of header name → string value'
  for (const [k, x] of Object.entries(v)) {
    if (!HEADER_NAME.test(k)) return `'${k}' is not a valid header name`
    if (typeof x !== 'string' || /[\r\n]/.test(x)) return `value of '${k}' must be a single-line string`
  }
  return undefined
}

const targetQps: Check = (v) => {
  if (isNum(v)) return v > 0 ? undefined : 'must be a number > 0'
  if (isMap(v)) {
    if (Object.keys(v).length === 0) return "must not be an empty mapping; give {'H100:1': 10, ...} or a number"
    for (const [k, q] of Object.entries(v)) {
      if (!/^[A-Za-z0-9-]+(?::[0-9]+)?$/.test(k)) return `key '${k}' must be an accelerator like 'H100' or 'H100:1'`
      if (!isNum(q) || q <= 0) return `value for '${k}' must be a number > 0`
    }
    return undefined
  }
  return "must be a number, or a mapping accelerator → QPS like {'H100:1': 10, 'A100': 5}"
}

function oneOf(allowed: readonly string[]): Check {
  return (v) => {
    if (typeof v === 'string' && allowed.includes(v.toLowerCase())) return undefined
    const guess = typeof v === 'string' ? didYouMean(v, allowed) : undefined
    return `must be one of ${allowed.join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}`
  }
}

export const PROBE_FIELDS: Record<string, Check> = {
  path,
  initial_delay_seconds: nonNeg,
  timeout_seconds: positive,
  endpoint_probe_interval_seconds: positive,
  consecutive_failure_threshold_timeout: nonNeg,
  post_data: postData,
  headers,
}

export const REPLICA_POLICY_FIELDS: Record<string, Check> = {
  min_replicas: int0,
  max_replicas: int0,
  target_qps_per_replica: targetQps,
  num_overprovision: int0,
  upscale_delay_seconds: nonNeg,
  downscale_delay_seconds: nonNeg,
  dynamic_ondemand_fallback: bool,
  base_ondemand_fallback_replicas: int0,
  spot_placer: oneOf(SPOT_PLACERS),
}

export const POOL_FIELDS: Record<string, Check> = {
  workers: int0,
  min_workers: int0,
  max_workers: int0,
  queue_length_threshold: int1,
  upscale_delay_seconds: nonNeg,
  downscale_delay_seconds: nonNeg,
}

export const SERVICE_KEYS = ['readiness_probe', 'replicas', 'replica_policy', 'load_balancing_policy', 'load_balancer', 'ports', 'tls', 'auth', 'pool', 'workers']

/** Keys older SkyServe releases used, with what replaced them (a better hint than did-you-mean). */
const RENAMED: Record<string, string> = {
  https: "was replaced by 'tls: {keyfile, certfile}'",
  controller_resources: "is not part of the service section; the service controller runs inside the API server",
  auto_restart: 'is no longer supported; failed replicas are always replaced',
  init_replicas: "was renamed 'min_replicas'",
  num_init_replicas: "was renamed 'min_replicas'",
  qps_upper_threshold: "was replaced by 'target_qps_per_replica'",
  qps_lower_threshold: "was replaced by 'target_qps_per_replica'",
}

function unknownKeys(issues: Issues, at: string, v: Json, known: string[]): void {
  const plain: Json = {}
  for (const [k, x] of Object.entries(v)) {
    if (!known.includes(k) && RENAMED[k]) issues.add(child(at, k), `unknown field: ${RENAMED[k]}`)
    else plain[k] = x
  }
  checkKeys(issues, at, plain, known)
}

function checkFields(v: Json, at: string, fields: Record<string, Check>, issues: Issues, required: string[] = []): void {
  unknownKeys(issues, at, v, Object.keys(fields))
  for (const r of required) if (v[r] === undefined || v[r] === null) issues.add(child(at, r), 'is required')
  for (const [k, check] of Object.entries(fields)) {
    const x = v[k]
    if (x === undefined || x === null) continue
    const err = check(x)
    if (err) issues.bad(child(at, k), x, err)
  }
}

function mapping(v: unknown, at: string, issues: Issues, what: string): Json | undefined {
  if (isMap(v)) return v
  issues.bad(at, v, `must be a mapping (${what})`)
  return undefined
}

const has = (v: Json, k: string) => v[k] !== undefined && v[k] !== null

function checkReplicaPolicy(p: Json, at: string, issues: Issues): void {
  checkFields(p, at, REPLICA_POLICY_FIELDS, issues, ['min_replicas'])
  const min = p.min_replicas
  const max = p.max_replicas
  const okInt = (x: unknown): x is number => isNum(x) && Number.isInteger(x) && x >= 0
  if (okInt(min) && okInt(max) && max < min) issues.bad(child(at, 'max_replicas'), max, `must be >= min_replicas (${min})`)
  if (has(p, 'target_qps_per_replica') && !has(p, 'max_replicas')) {
    issues.add(child(at, 'max_replicas'), 'is required when target_qps_per_replica is set (the autoscaler needs an upper bound)')
  }
  if (!has(p, 'target_qps_per_replica') && okInt(min) && okInt(max) && max !== min) {
    issues.add(child(at, 'target_qps_per_replica'), `is required when max_replicas (${max}) differs from min_replicas (${min}): autoscaling follows the request rate`)
  }
  if (okInt(max) && okInt(p.base_ondemand_fallback_replicas) && p.base_ondemand_fallback_replicas > max) {
    issues.bad(child(at, 'base_ondemand_fallback_replicas'), p.base_ondemand_fallback_replicas, `must be <= max_replicas (${max})`)
  }
}

/** Checks `service:`; returns the mapping when it is valid. */
export function checkServiceSection(value: unknown, at: string, issues: Issues): Json | undefined {
  const v = mapping(value, at, issues, 'readiness_probe, replicas or replica_policy, ports, ...')
  if (!v) return undefined
  const before = issues.count
  unknownKeys(issues, at, v, SERVICE_KEYS)

  const probe = v.readiness_probe
  if (has(v, 'readiness_probe')) {
    const pa = child(at, 'readiness_probe')
    if (typeof probe === 'string') {
      const err = path(probe)
      if (err) issues.bad(pa, probe, err)
    } else if (isMap(probe)) checkFields(probe, pa, PROBE_FIELDS, issues, ['path'])
    else issues.bad(pa, probe, 'must be a path like /health or a mapping {path, initial_delay_seconds, timeout_seconds, post_data, headers}')
  }

  if (has(v, 'replica_policy')) {
    const pa = child(at, 'replica_policy')
    const p = mapping(v.replica_policy, pa, issues, 'min_replicas, max_replicas, target_qps_per_replica, ...')
    if (p) checkReplicaPolicy(p, pa, issues)
    if (has(v, 'replicas')) issues.add(child(at, 'replicas'), "cannot be used together with 'replica_policy'; set replica_policy.min_replicas instead")
  }

  const simple: Record<string, Check> = { replicas: int0, ports: port, load_balancing_policy: oneOf(LB_POLICIES), workers: int0 }
  for (const [k, check] of Object.entries(simple)) {
    if (!has(v, k)) continue
    const err = check(v[k])
    if (err) issues.bad(child(at, k), v[k], err)
  }

  if (has(v, 'load_balancer')) {
    const pa = child(at, 'load_balancer')
    const lb = mapping(v.load_balancer, pa, issues, 'stream_timeout_seconds')
    if (lb) checkFields(lb, pa, { stream_timeout_seconds: positive }, issues)
  }
  if (has(v, 'tls')) {
    const pa = child(at, 'tls')
    const t = mapping(v.tls, pa, issues, 'keyfile, certfile')
    if (t) checkFields(t, pa, { keyfile: file, certfile: file }, issues, ['keyfile', 'certfile'])
  }
  if (has(v, 'auth')) {
    const pa = child(at, 'auth')
    const a = v.auth
    if (typeof a !== 'boolean') {
      const m = mapping(a, pa, issues, "true, or {type: bearer}: callers need 'Authorization: Bearer <token>' from sky serve token create")
      if (m) checkFields(m, pa, { type: oneOf(AUTH_TYPES) }, issues, ['type'])
    }
  }
  if (has(v, 'pool')) {
    const pa = child(at, 'pool')
    const p = mapping(v.pool, pa, issues, 'workers, min_workers, max_workers, ...')
    if (p) checkFields(p, pa, POOL_FIELDS, issues)
  }
  return issues.count === before ? v : undefined
}

/** Top-level `pool:` (workers spec for `sky jobs pool`). */
export function checkPoolSection(value: unknown, at: string, issues: Issues): Json | undefined {
  const v = mapping(value, at, issues, 'workers, min_workers, max_workers, ...')
  if (!v) return undefined
  const before = issues.count
  checkFields(v, at, POOL_FIELDS, issues)
  return issues.count === before ? v : undefined
}
