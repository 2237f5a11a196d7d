// One task document (a mapping of SkyPilot task keys) → Task. Problems are collected in Issues.
import { substituteDeep } from './env-subst'
import { parseFileMounts } from './file-mounts'
import { checkKeys, child, isMap, type Issues, type Json } from './issues'
import { parseResources } from './resources-parse'
import { checkPool, checkService, checkTaskConfig } from './service-parse'
import type { GitWorkdir, ManagedSecretRef, Task } from './types'

export const TASK_KEYS = [
  'name',
  'workdir',
  'num_nodes',
  'resources',
  'envs',
  'secrets',
  'managed_secrets',
  'file_mounts',
  'setup',
  'run',
  'service',
  'pool',
  'config',
  'volumes',
  'volume_mounts',
  'api_server_access',
  'event_callback',
  'inputs',
  'outputs',
  'file_mounts_mapping',
  'experimental',
  '_metadata',
  '_user_specified_yaml',
] as const

/** Keys kept verbatim in Task.extra (validated for shape only). */
const EXTRA_KEYS = ['volume_mounts', 'api_server_access', 'event_callback', 'inputs', 'outputs', 'file_mounts_mapping', 'experimental', '_metadata', '_user_specified_yaml']

export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A usable environment variable name (identifier; `__proto__` is refused). */
export function isEnvName(k: unknown): k is string {
  return typeof k === 'string' && ENV_NAME_RE.test(k) && k !== '__proto__'
}
/** Task/cluster names: alphanumerics with single or double `.`/`_`/`-` separators inside. */
export const TASK_NAME_RE = /^[A-Za-z0-9]+(?:[._-]{1,2}[A-Za-z0-9]+)*$/
const SECRET_REF = 'secrets:'

export interface TaskParseContext {
  /** Path prefix of this task in messages ('' for a single task, 'tasks[1]' in a pipeline). */
  path: string
  envOverrides?: Record<string, string>
  secretOverrides?: Record<string, string>
  /** Original text of non-string scalar env/secret values, e.g. `1.10` stays '1.10'. */
  scalarText?: Record<string, Map<string, string>>
}

export function parseTask(raw: unknown, ctx: TaskParseContext, issues: Issues): Task {
  const root = ctx.path
  const at = (k: string) => child(root, k)
  const task: Task = { numNodes: 1, resources: { mode: 'single', candidates: [{}] }, envs: {}, secrets: {}, fileMounts: {} }
  if (raw === null || raw === undefined) raw = {}
  if (!isMap(raw)) {
    issues.bad(root || 'task', raw, 'a task must be a mapping of task fields (name, resources, setup, run, ...)')
    return task
  }
  checkKeys(issues, root, raw, TASK_KEYS)

  if (raw.name !== undefined && raw.name !== null) {
    const n = raw.name
    if (typeof n !== 'string' || !TASK_NAME_RE.test(n)) {
      issues.bad(at('name'), n, "must be letters/digits separated by single or double '.', '_' or '-' (e.g. my-task)")
    } else task.name = n
  }

  task.envs = parseEnvMap(raw.envs, at('envs'), issues, ctx.scalarText?.envs)
  for (const [k, v] of Object.entries(ctx.envOverrides ?? {})) task.envs[k] = v
  parseSecrets(raw, task, ctx, issues)
  const vars: Record<string, string | null> = { ...task.envs, ...task.secrets }

  if (raw.workdir !== undefined && raw.workdir !== null) task.workdir = parseWorkdir(substituteDeep(raw.workdir, vars), at('workdir'), issues)

  if (raw.num_nodes !== undefined && raw.num_nodes !== null) {
    const n = raw.num_nodes
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1) task.numNodes = n
    else issues.bad(at('num_nodes'), n, 'must be a positive integer')
  }

  task.resources = parseResources(raw.resources, at('resources'), issues)
  task.fileMounts = parseFileMounts(substituteDeep(raw.file_mounts, vars), at('file_mounts'), issues)

  for (const k of ['setup', 'run'] as const) {
    const v = raw[k]
    if (v === undefined || v === null) continue
    if (typeof v === 'string') task[k] = v
    else issues.bad(at(k), v, 'must be a string of bash commands (use `|` for several lines)')
  }

  if (raw.service !== undefined && raw.service !== null) {
    const s = checkService(substituteDeep(raw.service, vars), at('service'), issues)
    if (s) task.service = s
  }
  if (raw.pool !== undefined && raw.pool !== null) {
    if (raw.service !== undefined && raw.service !== null) issues.add(at('pool'), "cannot be used together with 'service' in one task")
    const p = checkPool(raw.pool, at('pool'), issues)
    if (p) task.pool = p
  }
  if (raw.config !== undefined && raw.config !== null) {
    const c = checkTaskConfig(raw.config, at('config'), issues)
    if (c) task.config = c
  }
  if (raw.volumes !== undefined && raw.volumes !== null) {
    const v = substituteDeep(raw.volumes, vars)
    if (!isMap(v)) issues.bad(at('volumes'), v, 'must be a mapping of mount path → volume name or inline volume spec')
    else {
      let good = true
      for (const [p, vol] of Object.entries(v)) {
        if (typeof vol === 'string' ? vol.trim() === '' : !isMap(vol)) {
          issues.bad(child(at('volumes'), p), vol, 'must be a volume name or a mapping like {size: 100Gi}')
          good = false
        }
      }
      if (good) task.volumes = v
    }
  }

  const extra: Json = {}
  for (const k of EXTRA_KEYS) {
    const v = raw[k]
    if (v === undefined || v === null) continue
    if (checkExtra(k, v, at(k), issues)) extra[k] = v
  }
  if (Object.keys(extra).length > 0) task.extra = extra
  return task
}

/** envs-style mapping: identifier → string (scalars converted) or null (must be supplied). */
function parseEnvMap(v: unknown, path: string, issues: Issues, scalarText?: Map<string, string>): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  if (v === undefined || v === null) return out
  if (!isMap(v)) {
    issues.bad(path, v, 'must be a mapping of NAME: value')
    return out
  }
  for (const [k, x] of Object.entries(v)) {
    const p = child(path, k)
    if (!isEnvName(k)) {
      issues.add(p, `'${k}' is not a valid environment variable name (letters, digits and _; not starting with a digit)`)
      continue
    }
    const s = scalarToString(x, scalarText?.get(k))
    if (s === undefined) issues.bad(p, x, 'must be a string, number or boolean, or null to require it with --env/--secret')
    else out[k] = s
  }
  return out
}

function scalarToString(x: unknown, source?: string): string | null | undefined {
  if (x === null || x === undefined) return null
  if (typeof x === 'string') return x
  if (typeof x === 'number' || typeof x === 'boolean') return source ?? String(x)
  return undefined
}

/** `secrets` (mapping of inline values and `secrets:NAME` refs, or a list of refs) and `managed_secrets`. */
function parseSecrets(raw: Json, task: Task, ctx: TaskParseContext, issues: Issues): void {
  const path = child(ctx.path, 'secrets')
  const refs: ManagedSecretRef[] = []
  const sec = raw.secrets
  if (Array.isArray(sec)) {
    sec.forEach((item, i) => {
      if (typeof item === 'string' && item.startsWith(SECRET_REF) && item.length > SECRET_REF.length) refs.push(secretRef(item))
      else issues.bad(child(path, i), item, "list items must be managed secret references like 'secrets:HF_TOKEN'; use a mapping for inline values")
    })
  } else if (isMap(sec)) {
    const inline: Json = {}
    for (const [k, v] of Object.entries(sec)) {
      if (!k.startsWith(SECRET_REF)) inline[k] = v
      else if (v !== null && v !== undefined) issues.bad(child(path, k), v, "a 'secrets:' reference must have a null value; drop the prefix for an inline value")
      else if (k.length === SECRET_REF.length) issues.add(child(path, k), 'secret reference needs a name, e.g. secrets:HF_TOKEN')
      else refs.push(secretRef(k))
    }
    task.secrets = parseEnvMap(inline, path, issues, ctx.scalarText?.secrets)
  } else if (sec !== undefined && sec !== null) {
    issues.bad(path, sec, 'must be a mapping of NAME: value, or a list of secret references')
  }
  for (const [k, v] of Object.entries(ctx.secretOverrides ?? {})) task.secrets[k] = v

  const managed = raw.managed_secrets
  const mp = child(ctx.path, 'managed_secrets')
  if (Array.isArray(managed)) {
    managed.forEach((entry, i) => {
      const p = child(mp, i)
      if (typeof entry === 'string' && entry.trim() !== '') refs.push(secretRef(entry.trim()))
      else if (isMap(entry) && Object.keys(entry).length === 1) {
        const [name, opts] = Object.entries(entry)[0]!
        const ref = secretRef(name)
        if (opts === null || opts === undefined) refs.push(ref)
        else if (!isMap(opts)) issues.bad(child(p, name), opts, 'must be a mapping {mount_path}')
        else {
          checkKeys(issues, child(p, name), opts, ['mount_path'])
          if (opts.mount_path !== undefined && typeof opts.mount_path !== 'string') issues.bad(child(child(p, name), 'mount_path'), opts.mount_path, 'must be a path string')
          else {
            if (typeof opts.mount_path === 'string') ref.mountPath = opts.mount_path
            refs.push(ref)
          }
        }
      } else issues.bad(p, entry, 'must be a secret name or a one-key mapping {NAME: {mount_path: /path}}')
    })
  } else if (managed !== undefined && managed !== null) {
    issues.bad(mp, managed, 'must be a list of secret names or {NAME: {mount_path}} mappings')
  }
  if (refs.length > 0) task.managedSecrets = refs
}

/** `[secrets:][personal.|workspace.|global.]NAME` → ref. */
function secretRef(raw: string): ManagedSecretRef {
  let name = raw.startsWith(SECRET_REF) ? raw.slice(SECRET_REF.length) : raw
  for (const scope of ['personal', 'workspace', 'global']) {
    if (name.startsWith(`${scope}.`)) {
      name = name.slice(scope.length + 1)
      return { name, scope }
    }
  }
  return { name }
}

function parseWorkdir(v: unknown, path: string, issues: Issues): string | GitWorkdir | undefined {
  if (typeof v === 'string') {
    if (v.trim() !== '') return v.trim()
    issues.bad(path, v, 'must be a local directory or a git source {url, ref}')
    return undefined
  }
  if (isMap(v)) {
    checkKeys(issues, path, v, ['url', 'ref'])
    if (typeof v.url !== 'string' || v.url.trim() === '') {
      issues.bad(child(path, 'url'), v.url, 'is required: the git repository URL')
      return undefined
    }
    const w: GitWorkdir = { url: v.url.trim() }
    if (v.ref !== undefined && v.ref !== null) {
      if (typeof v.ref === 'string' && v.ref.trim() !== '') w.ref = v.ref.trim()
      else issues.bad(child(path, 'ref'), v.ref, 'must be a branch, tag or commit')
    }
    return w
  }
  issues.bad(path, v, 'must be a local directory or a git source {url, ref}')
  return undefined
}

function checkExtra(key: string, v: unknown, path: string, issues: Issues): boolean {
  const bad = (allowed: string) => {
    issues.bad(path, v, allowed)
    return false
  }
  switch (key) {
    case 'api_server_access':
      return typeof v === 'boolean' || bad('must be true or false')
    case 'event_callback':
    case '_user_specified_yaml':
      return typeof v === 'string' || bad('must be a string')
    case 'inputs':
    case 'outputs':
      if (isMap(v) && Object.keys(v).length === 1 && typeof Object.values(v)[0] === 'number') return true
      return bad('must be a one-key mapping {path: estimated size in GB}')
    case 'volume_mounts':
      return (Array.isArray(v) && v.every(isMap)) || bad('must be a list of mappings')
    default:
      return isMap(v) || bad('must be a mapping')
  }
}
