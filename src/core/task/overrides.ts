// CLI task options (`--cpus 4+`, `--gpus H100:8`, `--env K=V`, ...) applied over a parsed Dag.
// CLI values win over the YAML; the value `none` resets a field to its default.
import { readFileSync } from 'node:fs'
import { ValidationError } from '../errors'
import { parseAcceleratorsField } from './accelerators'
import { type ParseDagOptions, parseDagCollecting } from './dag-parse'
import { parseDotenv } from './dotenv'
import { parseInfra, canonicalCloud, isEmptyInfra } from './infra'
import { describe, Issues } from './issues'
import { DISK_TIERS, MAX_PRIORITY, MIN_PRIORITY, NETWORK_TIERS } from './resources-fields'
import { parseAtLeast, parseDiskSize, parseMemory, parsePorts } from './scalars'
import { isEnvName, TASK_NAME_RE } from './task-parse'
import type { Dag, Resources, Task } from './types'

export interface TaskOverrides {
  name?: string
  workdir?: string
  /** `--git-url`: the workdir becomes this git repository (cloned on the nodes). */
  gitUrl?: string
  /** `--git-ref`: branch, tag or commit of the git workdir. */
  gitRef?: string
  infra?: string
  /** Legacy location flags; cannot be combined with `infra`. */
  cloud?: string
  region?: string
  zone?: string
  numNodes?: number | string
  cpus?: number | string
  memory?: number | string
  /** Accelerators, e.g. `H100:8`, `V100:0.5`. */
  gpus?: string
  instanceType?: string
  useSpot?: boolean
  diskSize?: number | string
  diskTier?: string
  networkTier?: string
  imageId?: string
  /** Each item a port, a range or a comma list. */
  ports?: string[]
  /** `KEY=VAL`, or bare `KEY` to copy the local environment's value. */
  envs?: string[]
  envFile?: string
  secrets?: string[]
  secretFile?: string
  /** -1000..1000, or a priority class name. */
  priority?: number | string
  localDisk?: string
}

export interface OverrideContext {
  /** Environment for bare `--env KEY`; defaults to process.env. */
  processEnv?: Record<string, string | undefined>
  /** Reads --env-file / --secret-file; defaults to the local file system. */
  readFile?: (path: string) => string
}

const isNone = (v: unknown): boolean => typeof v === 'string' && v.trim().toLowerCase() === 'none'

/** The env and secret values given on the command line (files first, then repeated flags). */
export function resolveEnvOverrides(o: TaskOverrides, ctx: OverrideContext = {}, issues = new Issues()): { envs: Record<string, string>; secrets: Record<string, string> } {
  const envs = collect(o.envFile, o.envs, '--env', ctx, issues)
  const secrets = collect(o.secretFile, o.secrets, '--secret', ctx, issues)
  return { envs, secrets }
}

function collect(file: string | undefined, specs: string[] | undefined, flag: string, ctx: OverrideContext, issues: Issues): Record<string, string> {
  const out: Record<string, string> = {}
  if (file !== undefined && file !== '') {
    let text: string | undefined
    try {
      text = (ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(file)
    } catch (e) {
      issues.add(`${flag}-file`, `cannot read '${file}': ${(e as Error).message}`)
    }
    if (text !== undefined) {
      const { values, badLines } = parseDotenv(text)
      for (const line of badLines) issues.add(`${flag}-file`, `'${file}' line ${line} is not KEY=VALUE`)
      for (const [k, v] of Object.entries(values)) {
        if (isEnvName(k)) out[k] = v
        else issues.add(`${flag}-file`, `'${k}' in '${file}' is not a valid variable name`)
      }
    }
  }
  const env = ctx.processEnv ?? process.env
  for (const spec of specs ?? []) {
    const eq = spec.indexOf('=')
    const key = (eq >= 0 ? spec.slice(0, eq) : spec).trim()
    if (!isEnvName(key)) {
      issues.bad(flag, spec, 'must be KEY=VALUE, or KEY to copy it from your environment')
      continue
    }
    if (eq >= 0) out[key] = spec.slice(eq + 1)
    else if (env[key] !== undefined) out[key] = env[key]!
    else issues.add(flag, `'${key}' is not set in your environment; pass ${flag} ${key}=VALUE`)
  }
  return out
}

/** Parse task YAML with CLI overrides: env values reach file_mounts substitution too. */
export function parseDagWithOverrides(yamlText: string, o: TaskOverrides, opts: Pick<ParseDagOptions, 'filePath'> & OverrideContext = {}): Dag {
  const issues = new Issues()
  const { envs, secrets } = resolveEnvOverrides(o, opts, issues)
  const dag = parseDagCollecting(yamlText, { envOverrides: envs, secretOverrides: secrets, filePath: opts.filePath }, issues)
  issues.throwIfAny(opts.filePath ? `in ${opts.filePath}` : undefined)
  return applyOverridesCollecting(dag, { ...o, envs: undefined, envFile: undefined, secrets: undefined, secretFile: undefined }, opts, issues, { envs, secrets })
}

/** Apply CLI options to every task of `dag` (returns a new Dag). Throws ValidationError. */
export function applyOverrides(dag: Dag, o: TaskOverrides, ctx: OverrideContext = {}): Dag {
  const issues = new Issues()
  const resolved = resolveEnvOverrides(o, ctx, issues)
  return applyOverridesCollecting(dag, o, ctx, issues, resolved)
}

function applyOverridesCollecting(
  dag: Dag,
  o: TaskOverrides,
  _ctx: OverrideContext,
  issues: Issues,
  resolved: { envs: Record<string, string>; secrets: Record<string, string> },
): Dag {
  const out: Dag = structuredClone(dag)
  const patch = resourcePatch(o, issues)
  let numNodes: number | undefined
  if (o.numNodes !== undefined && o.numNodes !== '') {
    if (isNone(o.numNodes)) numNodes = 1
    else {
      const n = typeof o.numNodes === 'number' ? o.numNodes : /^\s*\d+\s*$/.test(o.numNodes) ? Number(o.numNodes) : NaN
      if (Number.isInteger(n) && n >= 1) numNodes = n
      else issues.bad('--num-nodes', o.numNodes, 'must be a positive integer')
    }
  }
  if (o.name !== undefined && !isNone(o.name) && !TASK_NAME_RE.test(o.name)) {
    issues.bad('--name', o.name, "must be letters/digits separated by single or double '.', '_' or '-'")
  }
  const given = (v: string | undefined) => v !== undefined && v !== ''
  if (given(o.gitUrl) && given(o.workdir)) issues.add('--git-url', 'cannot be combined with --workdir (the git repository is the workdir)')
  if (given(o.gitRef) && !given(o.gitUrl) && dag.tasks.some((t) => !t.workdir || typeof t.workdir === 'string')) {
    issues.add('--git-ref', 'needs a git workdir: give --git-url, or a YAML with workdir: {url: ...}')
  }
  issues.throwIfAny()

  if (o.name !== undefined) {
    const name = isNone(o.name) ? undefined : o.name
    if (out.tasks.length === 1) setOrDelete(out.tasks[0]!, 'name', name)
    setOrDelete(out, 'name', name)
  }
  for (const t of out.tasks) {
    if (numNodes !== undefined) t.numNodes = numNodes
    if (o.workdir !== undefined && o.workdir !== '') setOrDelete(t, 'workdir', isNone(o.workdir) ? undefined : o.workdir)
    if (given(o.gitUrl)) t.workdir = { url: o.gitUrl!.trim(), ...(given(o.gitRef) ? { ref: o.gitRef!.trim() } : {}) }
    else if (given(o.gitRef) && t.workdir && typeof t.workdir === 'object') t.workdir = { ...t.workdir, ref: o.gitRef!.trim() }
    Object.assign(t.envs, resolved.envs)
    Object.assign(t.secrets, resolved.secrets)
    if (patch.length > 0) {
      const candidates: Resources[] = []
      for (const r of t.resources.candidates) {
        const next = patch.reduce((acc, f) => f(acc), structuredClone(r))
        if (!candidates.some((c) => JSON.stringify(c) === JSON.stringify(next))) candidates.push(next)
      }
      t.resources = { mode: candidates.length === 1 ? 'single' : t.resources.mode, candidates }
    }
  }
  return out
}

type Patch = (r: Resources) => Resources

function setOrDelete<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete obj[key]
  else obj[key] = value
}

/** Turn resource flags into per-candidate patches; flag problems go to `issues`. */
function resourcePatch(o: TaskOverrides, issues: Issues): Patch[] {
  const patches: Patch[] = []
  const given = (v: unknown) => v !== undefined && v !== ''
  const simple = <K extends keyof Resources>(flag: string, raw: unknown, key: K, parse: () => Resources[K] | undefined) => {
    if (!given(raw)) return
    if (isNone(raw)) return void patches.push((r) => (delete r[key], r))
    const v = parse()
    if (v !== undefined) patches.push((r) => ((r[key] = v), r))
  }

  // Location.
  const legacy = (['cloud', 'region', 'zone'] as const).filter((k) => given(o[k]))
  if (given(o.infra) && legacy.length > 0) issues.add(`--${legacy[0]}`, "cannot be combined with --infra; put everything in --infra, e.g. aws/us-east-1")
  else if (given(o.infra)) {
    if (isNone(o.infra)) patches.push((r) => (delete r.infra, r))
    else {
      const p = parseInfra(o.infra!)
      if (!p.ok) issues.bad('--infra', o.infra, p.error)
      else patches.push((r) => (p.value ? (r.infra = { ...p.value }) : delete r.infra, r))
    }
  } else if (legacy.length > 0) {
    let cloud: string | undefined | null
    if (given(o.cloud)) {
      if (isNone(o.cloud) || o.cloud === '*') cloud = null
      else {
        cloud = canonicalCloud(o.cloud!)
        if (!cloud) issues.bad('--cloud', o.cloud, 'is not a known cloud/infra name')
      }
    }
    patches.push((r) => {
      const infra = { ...(r.infra ?? {}) }
      if (cloud !== undefined && (cloud ?? undefined) !== infra.cloud) {
        delete infra.region
        delete infra.zone
        if (cloud === null) delete infra.cloud
        else infra.cloud = cloud
      }
      for (const k of ['region', 'zone'] as const) {
        const v = o[k]
        if (!given(v)) continue
        if (isNone(v) || v === '*') delete infra[k]
        else infra[k] = v!.trim()
      }
      if (isEmptyInfra(infra)) delete r.infra
      else r.infra = infra
      return r
    })
  }

  simple('--instance-type', o.instanceType, 'instanceType', () => o.instanceType!.trim())
  simple('--cpus', o.cpus, 'cpus', () => fromParsed('--cpus', o.cpus, parseAtLeast(o.cpus), issues))
  simple('--memory', o.memory, 'memory', () => fromParsed('--memory', o.memory, parseMemory(o.memory), issues))
  simple('--gpus', o.gpus, 'accelerator', () => {
    const { choice, problems } = parseAcceleratorsField(o.gpus, false)
    for (const p of problems) issues.add('--gpus', p.error, p.value)
    return problems.length === 0 ? choice.options[0] : undefined
  })
  if (o.useSpot !== undefined) patches.push((r) => ((r.useSpot = o.useSpot), r))
  simple('--disk-size', o.diskSize, 'diskSize', () => fromParsed('--disk-size', o.diskSize, parseDiskSize(typeof o.diskSize === 'string' && /^\d+(\.\d+)?$/.test(o.diskSize) ? Number(o.diskSize) : o.diskSize), issues))
  simple('--disk-tier', o.diskTier, 'diskTier', () => enumValue('--disk-tier', o.diskTier!, DISK_TIERS, issues))
  simple('--network-tier', o.networkTier, 'networkTier', () => enumValue('--network-tier', o.networkTier!, NETWORK_TIERS, issues))
  simple('--image-id', o.imageId, 'imageId', () => o.imageId!.trim())
  simple('--local-disk', o.localDisk, 'localDisk', () => o.localDisk!.trim())
  if (o.ports !== undefined && o.ports.length > 0) {
    if (o.ports.some(isNone)) patches.push((r) => (delete r.ports, r))
    else {
      const p = parsePorts(o.ports)
      if (p.ok) patches.push((r) => ((r.ports = [...p.value]), r))
      else issues.bad('--ports', o.ports.join(','), p.error)
    }
  }
  if (given(o.priority)) {
    if (isNone(o.priority)) patches.push((r) => (delete r.priority, delete r.priorityClass, r))
    else {
      const s = String(o.priority).trim()
      if (/^[-+]?\d+$/.test(s)) {
        const n = Number(s)
        if (n >= MIN_PRIORITY && n <= MAX_PRIORITY) patches.push((r) => ((r.priority = n), r))
        else issues.bad('--priority', o.priority, `must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}, or a priority class name`)
      } else if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s)) patches.push((r) => ((r.priorityClass = s), r))
      else issues.bad('--priority', o.priority, `must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}, or a priority class name`)
    }
  }
  return patches
}

function fromParsed<T>(flag: string, raw: unknown, p: { ok: true; value: T } | { ok: false; error: string }, issues: Issues): T | undefined {
  if (p.ok) return p.value
  issues.bad(flag, raw, p.error)
  return undefined
}

function enumValue<T extends string>(flag: string, raw: string, allowed: readonly T[], issues: Issues): T | undefined {
  const v = raw.trim().toLowerCase()
  if ((allowed as readonly string[]).includes(v)) return v as T
  issues.bad(flag, raw, `must be one of ${allowed.join(', ')}, or none`)
  return undefined
}

/** A task for an inline command: `sky launch -- echo hi`. */
export function taskFromCommand(cmd: string): Task {
  if (typeof cmd !== 'string' || cmd.trim() === '') {
    throw new ValidationError([{ path: 'command', message: `${describe(cmd)} — give a command to run, e.g. sky launch -- python train.py` }])
  }
  return { run: cmd, numNodes: 1, resources: { mode: 'single', candidates: [{}] }, envs: {}, secrets: {}, fileMounts: {} }
}

export function dagFromTask(task: Task): Dag {
  const dag: Dag = { tasks: [task] }
  if (task.name !== undefined) dag.name = task.name
  return dag
}

/**
 * Secrets stored on an API server (`secrets:NAME`, `managed_secrets`) that this build cannot
 * supply: each needs its value from `--secret NAME=VALUE` (which then stands in for it).
 */
export function unresolvedSecretRefs(t: Task): string[] {
  return (t.managedSecrets ?? []).filter((r) => t.secrets[r.name] === undefined || t.secrets[r.name] === null).map((r) => r.name)
}

/** Before launching: every `envs`/`secrets` value left null in the YAML must have been supplied. */
export function checkRequiredValues(dag: Dag): void {
  const issues = new Issues()
  dag.tasks.forEach((t, i) => {
    const prefix = dag.tasks.length > 1 ? `tasks[${i}].` : ''
    for (const [k, v] of Object.entries(t.envs)) {
      if (v === null) issues.add(`${prefix}envs.${k}`, `has no value; set it with --env ${k}=VALUE (use "" for empty)`)
    }
    for (const [k, v] of Object.entries(t.secrets)) {
      if (v === null) issues.add(`${prefix}secrets.${k}`, `has no value; set it with --secret ${k}=VALUE (use "" for empty)`)
    }
    for (const name of unresolvedSecretRefs(t)) {
      issues.add(`${prefix}secrets:${name}`, `is a secret stored on the API server, and this build has no secret store; set it with --secret ${name}=VALUE`)
    }
  })
  issues.throwIfAny()
}
