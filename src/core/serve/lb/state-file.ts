// The load balancer process's desired state: `<dir>/lb.json`, written by the service controller
// (atomically: temp file + rename, mode 0600 since it holds token hashes) and watched by the
// process, which applies every change at once. The file outlives both: a restarted load balancer
// reads it back, and the controller never has to be up for the endpoint to keep serving.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TargetQps } from '../accelerator-match'
import { LB_POLICIES, type LbPolicyName } from './policies'
import type { ReplicaTarget } from './upstream'

export const STATE_FILE = 'lb.json'
export const CONTROL_SOCKET = 'lb.sock'
export const PID_FILE = 'lb.pid'
export const LOG_FILE = 'lb.log'

export interface LbState {
  service: string
  /** Address to listen on (0.0.0.0 for an endpoint other machines reach). */
  host: string
  port: number
  policy: LbPolicyName
  target_qps_per_replica?: TargetQps
  stream_timeout_seconds: number
  tls?: { keyfile: string; certfile: string }
  /** SHA-256 hashes of the bearer tokens allowed; null: no auth. */
  token_hashes: string[] | null
  /** Ready replicas in rotation. */
  replicas: ReplicaTarget[]
}

/** A short digest of a state: the process reports the one it applied (GET /health `applied`). */
export function stateDigest(s: LbState): string {
  return Bun.hash(JSON.stringify(s)).toString(36)
}

export function writeLbState(dir: string, state: LbState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, STATE_FILE)
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, file)
}

/** The state in `dir`, or an error message saying what is wrong with it. */
export function readLbState(dir: string): LbState | string {
  const file = join(dir, STATE_FILE)
  if (!existsSync(file)) return `${file} does not exist`
  let v: unknown
  try {
    v = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    return `${file} is not valid JSON: ${(e as Error).message}`
  }
  const s = v as Partial<LbState>
  if (typeof s !== 'object' || s === null) return `${file} must hold an object`
  if (typeof s.service !== 'string') return `${file}: service must be a string`
  if (typeof s.host !== 'string') return `${file}: host must be a string`
  if (typeof s.port !== 'number' || !Number.isInteger(s.port) || s.port < 0 || s.port > 65535) return `${file}: port must be a port number`
  if (!LB_POLICIES.includes(s.policy as LbPolicyName)) return `${file}: policy must be one of ${LB_POLICIES.join(', ')}`
  if (typeof s.stream_timeout_seconds !== 'number' || s.stream_timeout_seconds <= 0) return `${file}: stream_timeout_seconds must be > 0`
  if (s.token_hashes !== null && !(Array.isArray(s.token_hashes) && s.token_hashes.every((h) => typeof h === 'string'))) return `${file}: token_hashes must be a list of strings or null`
  if (!Array.isArray(s.replicas) || !s.replicas.every((r) => typeof r?.url === 'string' && /^http:\/\//.test(r.url))) return `${file}: replicas must be a list of {url: http://host:port}`
  if (s.tls && (typeof s.tls.keyfile !== 'string' || typeof s.tls.certfile !== 'string')) return `${file}: tls needs keyfile and certfile`
  return s as LbState
}
