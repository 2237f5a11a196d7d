// Dag/Task/Resources → SkyPilot-format YAML. parseDag(serializeDag(d)) gives back `d` for any
// `d` that parseDag produced; secrets can be redacted for display and logs.
import { acceleratorToString } from './accelerators'
import { fileMountToYaml } from './file-mounts'
import { infraToString } from './infra'
import type { Json } from './issues'
import { atLeastToYaml } from './scalars'
import type { AutostopConfig, Dag, JobRecoveryConfig, ManagedSecretRef, Resources, ResourcesSpec, Task } from './types'
import { dumpYaml } from './yaml-io'

export const REDACTED = '<redacted>'

export interface SerializeOptions {
  redactSecrets: boolean
}

export function serializeDag(dag: Dag, opts: SerializeOptions = { redactSecrets: true }): string {
  const docs: unknown[] = []
  const single = dag.tasks.length === 1
  const needsHeader =
    dag.execution !== undefined ||
    dag.primaryTasks !== undefined ||
    dag.terminationDelay !== undefined ||
    (dag.name !== undefined && !(single && dag.tasks[0]!.name === dag.name))
  if (needsHeader) {
    const header: Json = {}
    if (dag.name !== undefined) header.name = dag.name
    if (dag.execution !== undefined) header.execution = dag.execution
    if (dag.primaryTasks !== undefined) header.primary_tasks = [...dag.primaryTasks]
    if (dag.terminationDelay !== undefined) header.termination_delay = dag.terminationDelay
    docs.push(header)
  }
  const tasks = dag.tasks.length > 0 ? dag.tasks : [{ numNodes: 1, resources: { mode: 'single', candidates: [{}] }, envs: {}, secrets: {}, fileMounts: {} } as Task]
  tasks.forEach((t, i) => {
    const cfg = taskToConfig(t, opts)
    // A first document holding only `name` would read back as a pipeline header.
    if (i === 0 && !needsHeader && tasks.length > 1 && Object.keys(cfg).every((k) => k === 'name')) cfg.num_nodes = t.numNodes
    docs.push(cfg)
  })
  return docs.map((d) => dumpYaml(d)).join('---\n')
}

export function serializeTask(task: Task, opts: SerializeOptions = { redactSecrets: true }): string {
  return dumpYaml(taskToConfig(task, opts))
}

/** Task → the YAML mapping SkyPilot would read. */
export function taskToConfig(t: Task, opts: SerializeOptions = { redactSecrets: true }): Json {
  const cfg: Json = {}
  if (t.name !== undefined) cfg.name = t.name
  if (t.workdir !== undefined) cfg.workdir = typeof t.workdir === 'string' ? t.workdir : { ...t.workdir }
  if (t.numNodes !== 1) cfg.num_nodes = t.numNodes
  const res = resourcesSpecToConfig(t.resources, opts)
  if (Object.keys(res).length > 0) cfg.resources = res
  if (Object.keys(t.envs).length > 0) cfg.envs = { ...t.envs }
  if (Object.keys(t.secrets).length > 0) {
    cfg.secrets = Object.fromEntries(Object.entries(t.secrets).map(([k, v]) => [k, opts.redactSecrets ? REDACTED : v]))
  }
  if (t.managedSecrets && t.managedSecrets.length > 0) cfg.managed_secrets = t.managedSecrets.map(managedSecretToYaml)
  const mounts = Object.entries(t.fileMounts)
  if (mounts.length > 0) cfg.file_mounts = Object.fromEntries(mounts.map(([k, m]) => [k, fileMountToYaml(m)]))
  if (t.volumes !== undefined) cfg.volumes = t.volumes
  if (t.setup !== undefined) cfg.setup = t.setup
  if (t.run !== undefined) cfg.run = t.run
  if (t.service !== undefined) cfg.service = t.service
  if (t.pool !== undefined) cfg.pool = t.pool
  if (t.config !== undefined) cfg.config = t.config
  if (t.extra) for (const [k, v] of Object.entries(t.extra)) if (!(k in cfg)) cfg[k] = v
  return cfg
}

function managedSecretToYaml(r: ManagedSecretRef): unknown {
  const name = r.scope ? `${r.scope}.${r.name}` : r.name
  return r.mountPath !== undefined ? { [name]: { mount_path: r.mountPath } } : name
}

/** ResourcesSpec → the `resources:` mapping (alternatives as any_of / ordered lists). */
export function resourcesSpecToConfig(spec: ResourcesSpec, opts: SerializeOptions = { redactSecrets: true }): Json {
  const list = spec.candidates.map((r) => resourcesToConfig(r, opts))
  if (spec.mode === 'single') return list[0] ?? {}
  return { [spec.mode]: list }
}

/** One Resources → its YAML mapping. */
export function resourcesToConfig(r: Resources, opts: SerializeOptions = { redactSecrets: true }): Json {
  const c: Json = {}
  const infra = infraToString(r.infra)
  if (infra !== undefined) c.infra = infra
  if (r.instanceType !== undefined) c.instance_type = r.instanceType
  if (r.cpus) c.cpus = atLeastToYaml(r.cpus)
  if (r.memory) c.memory = atLeastToYaml(r.memory)
  if (r.accelerator) c.accelerators = acceleratorToString(r.accelerator)
  if (r.acceleratorArgs !== undefined) c.accelerator_args = r.acceleratorArgs
  if (r.useSpot !== undefined) c.use_spot = r.useSpot
  if (r.jobRecovery) c.job_recovery = jobRecoveryToYaml(r.jobRecovery)
  if (r.diskSize !== undefined) c.disk_size = r.diskSize
  if (r.diskTier !== undefined) c.disk_tier = r.diskTier
  if (r.networkTier !== undefined) c.network_tier = r.networkTier
  if (r.localDisk !== undefined) c.local_disk = r.localDisk
  if (r.maxHourlyCost !== undefined) c.max_hourly_cost = r.maxHourlyCost
  if (r.ports !== undefined) c.ports = [...r.ports]
  if (r.imageId !== undefined) c.image_id = typeof r.imageId === 'string' ? r.imageId : { ...r.imageId }
  if (r.labels !== undefined) c.labels = { ...r.labels }
  if (r.autostop) c.autostop = autostopToYaml(r.autostop)
  if (r.priority !== undefined) c.priority = r.priority
  if (r.priorityClass !== undefined) c.priority_class = r.priorityClass
  if (r.extra) {
    for (const [k, v] of Object.entries(r.extra)) {
      if (k in c) continue
      c[k] = k === '_docker_login_config' && opts.redactSecrets ? redactDockerLogin(v) : v
    }
  }
  return c
}

function redactDockerLogin(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'password' in v) return { ...(v as Json), password: REDACTED }
  return v
}

export function autostopToYaml(a: AutostopConfig): unknown {
  if (!a.enabled) return false
  const out: Json = { idle_minutes: a.idleMinutes, down: a.down }
  if (a.waitFor !== undefined) out.wait_for = a.waitFor
  if (a.hook !== undefined) out.hook = a.hook
  if (a.hookTimeout !== undefined) out.hook_timeout = a.hookTimeout
  return out
}

function jobRecoveryToYaml(j: JobRecoveryConfig): unknown {
  const keys = Object.keys(j).filter((k) => (j as Json)[k] !== undefined)
  if (keys.length === 1 && j.strategy !== undefined) return j.strategy
  const out: Json = {}
  if (j.strategy !== undefined) out.strategy = j.strategy
  if (j.maxRestartsOnErrors !== undefined) out.max_restarts_on_errors = j.maxRestartsOnErrors
  if (j.recoverOnExitCodes !== undefined) out.recover_on_exit_codes = [...j.recoverOnExitCodes]
  if (j.extra) for (const [k, v] of Object.entries(j.extra)) if (!(k in out)) out[k] = v
  return out
}
