// Validation of the `submit` request body into a SubmitSpec.
import { ValidationError, type FieldIssue } from '../errors'
import type { Demand, SubmitSpec } from './types'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function str(v: unknown, path: string, issues: FieldIssue[], required = false): string | null {
  if (v === undefined || v === null || v === '') {
    if (required) issues.push({ path, message: 'is required' })
    return null
  }
  if (typeof v === 'string') return v
  issues.push({ path, message: 'must be a string', value: v })
  return null
}

function envMap(v: unknown, path: string, issues: FieldIssue[]): Record<string, string> {
  if (v === undefined || v === null) return {}
  if (!isObj(v)) {
    issues.push({ path, message: 'must be a map of names to strings' })
    return {}
  }
  const out: Record<string, string> = {}
  for (const [k, val] of Object.entries(v)) {
    if (!ENV_NAME.test(k)) issues.push({ path: `${path}.${k}`, message: 'is not a valid environment variable name' })
    else if (val === null || val === undefined) out[k] = ''
    else if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[k] = String(val)
    else issues.push({ path: `${path}.${k}`, message: 'must be a string' })
  }
  return out
}

function demand(v: unknown, issues: FieldIssue[]): Demand {
  if (v === undefined || v === null) return {}
  if (!isObj(v)) {
    issues.push({ path: 'demand', message: 'must be {cpus?, memoryGb?, gpus?}' })
    return {}
  }
  const out: Demand = {}
  for (const key of ['cpus', 'memoryGb'] as const) {
    const x = v[key]
    if (x === undefined || x === null) continue
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) issues.push({ path: `demand.${key}`, message: 'must be a number >= 0', value: x })
    else out[key] = x
  }
  const g = v.gpus
  if (g !== undefined && g !== null) {
    if (!isObj(g) || typeof g.name !== 'string' || !g.name || typeof g.count !== 'number' || !(g.count > 0)) {
      issues.push({ path: 'demand.gpus', message: 'must be {name, count > 0}', value: g })
    } else if (g.count > 1 && !Number.isInteger(g.count)) {
      issues.push({ path: 'demand.gpus.count', message: 'must be a whole number when above 1', value: g.count })
    } else {
      out.gpus = { name: g.name, count: g.count }
    }
  }
  return out
}

export function parseSubmitSpec(raw: unknown): SubmitSpec {
  if (!isObj(raw)) throw new ValidationError('submit expects a JSON object on stdin')
  const issues: FieldIssue[] = []
  const numNodes = raw.numNodes ?? 1
  if (typeof numNodes !== 'number' || !Number.isInteger(numNodes) || numNodes < 1) {
    issues.push({ path: 'numNodes', message: 'must be a whole number >= 1', value: numNodes })
  }
  const priority = raw.priority ?? 0
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < -1000 || priority > 1000) {
    issues.push({ path: 'priority', message: 'must be a whole number in -1000..1000', value: priority })
  }
  const spec: SubmitSpec = {
    name: str(raw.name, 'name', issues),
    user: str(raw.user, 'user', issues) ?? 'unknown',
    userHash: str(raw.userHash, 'userHash', issues) ?? 'unknown',
    numNodes: typeof numNodes === 'number' ? numNodes : 1,
    demand: demand(raw.demand, issues),
    setup: str(raw.setup, 'setup', issues),
    run: str(raw.run, 'run', issues),
    envs: envMap(raw.envs, 'envs', issues),
    secrets: envMap(raw.secrets, 'secrets', issues),
    workdir: str(raw.workdir, 'workdir', issues),
    priority: typeof priority === 'number' ? priority : 0,
    taskId: str(raw.taskId, 'taskId', issues),
    idempotencyKey: str(raw.idempotencyKey, 'idempotencyKey', issues),
  }
  if (spec.setup !== null && !spec.setup.trim()) spec.setup = null
  if (spec.run !== null && !spec.run.trim()) spec.run = null
  if (issues.length) throw new ValidationError(issues)
  return spec
}
