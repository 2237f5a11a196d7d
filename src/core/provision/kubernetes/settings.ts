// Kubernetes settings of one launch, resolved from the config (`kubernetes:` in ~/.sky/config.yaml,
// the client's layers, `kubernetes.context_configs.<context>`) and the task's own `config:` block,
// in that order of precedence (later wins; pod_config is deep-merged). They are fixed when the
// launch is planned and kept with the launched resources, so `start`, recovery and teardown use
// the namespace and pod shape the cluster was made with even if the config changes later.
// SDK-free: the descriptor (CLI side) imports it.
import { loadConfig } from '../../config'
import { readKubeconfig } from '../../infra/kubeconfig'
import { homedir } from 'node:os'

/** Image when the task names none (`image_id: docker:<image>` overrides): glibc, bash, tar, no GPU libraries. */
export const DEFAULT_IMAGE = 'ubuntu:22.04'

/** Scheduling wait without an autoscaler (SkyPilot's default too); an unschedulable pod fails at once anyway. */
export const DEFAULT_PROVISION_TIMEOUT_S = 10
/** With an autoscaler a new node takes minutes to join. */
export const AUTOSCALER_PROVISION_TIMEOUT_S = 600

export type PortsMode = 'loadbalancer' | 'nodeport'

export interface KubeSettings {
  namespace: string
  /** Seconds a pod may stay unscheduled; -1 = no limit. */
  provisionTimeoutS: number
  /** A partial Pod manifest deep-merged into the one sky makes. */
  podConfig: Record<string, unknown> | null
  ports: PortsMode
  autoscaler: string | null
  /** false: limits only for GPUs; true or a multiplier: CPU and memory limits too. */
  resourceLimits: boolean | number
}

type Tree = Record<string, unknown>
const isTree = (v: unknown): v is Tree => !!v && typeof v === 'object' && !Array.isArray(v)

/** Deep merge for manifests: maps merge, lists of named objects merge by name, `containers` by index, other lists append. */
export function mergeManifest(base: unknown, over: unknown, key = ''): unknown {
  if (isTree(base) && isTree(over)) {
    const out: Tree = { ...base }
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeManifest(base[k], v, k) : v
    return out
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    if (key === 'containers' || key === 'initContainers') {
      const out = [...base]
      over.forEach((c, i) => {
        const at = isTree(c) && typeof c.name === 'string' ? base.findIndex((b) => isTree(b) && b.name === c.name) : -1
        const idx = at >= 0 ? at : i
        out[idx] = idx < base.length ? mergeManifest(base[idx], c) : c
      })
      return out
    }
    const named = (x: unknown) => isTree(x) && typeof x.name === 'string'
    if (over.every(named) && base.every(named)) {
      const out = [...base]
      for (const o of over as Tree[]) {
        const at = out.findIndex((b) => (b as Tree).name === o.name)
        if (at >= 0) out[at] = mergeManifest(out[at], o)
        else out.push(o)
      }
      return out
    }
    const seen = new Set(base.map((b) => JSON.stringify(b)))
    return [...base, ...over.filter((o) => !seen.has(JSON.stringify(o)))]
  }
  return over === undefined ? base : over
}

function layer(section: unknown, context: string): Tree {
  if (!isTree(section)) return {}
  const { context_configs: perCtx, allowed_contexts: _a, ...top } = section
  const ctx = isTree(perCtx) && isTree(perCtx[context]) ? (perCtx[context] as Tree) : {}
  return mergeManifest(top, ctx) as Tree
}

/** The context's namespace as the kubeconfig names it (kubectl's default when unset). */
export function contextNamespace(context: string, env: Record<string, string | undefined> = process.env): string | undefined {
  return readKubeconfig(env, env.HOME || homedir()).contexts.find((c) => c.name === context)?.namespace
}

/** Settings for a launch on `context`, from the config in scope plus the task's `config:` block. */
export function resolveSettings(context: string, taskConfig?: Record<string, unknown> | null, config: Record<string, unknown> = loadConfig(), env: Record<string, string | undefined> = process.env): KubeSettings {
  const fromConfig = layer(config.kubernetes, context)
  const fromTask = layer(isTree(taskConfig) ? taskConfig.kubernetes : undefined, context)
  const s = mergeManifest(fromConfig, fromTask) as Tree
  const autoscaler = typeof s.autoscaler === 'string' ? s.autoscaler : null
  const timeout = typeof s.provision_timeout === 'number' ? s.provision_timeout : autoscaler ? AUTOSCALER_PROVISION_TIMEOUT_S : DEFAULT_PROVISION_TIMEOUT_S
  const limits = s.set_pod_resource_limits
  return {
    namespace: (typeof s.namespace === 'string' && s.namespace) || contextNamespace(context, env) || 'default',
    provisionTimeoutS: timeout,
    podConfig: isTree(s.pod_config) ? s.pod_config : null,
    ports: s.ports === 'nodeport' ? 'nodeport' : 'loadbalancer',
    autoscaler,
    resourceLimits: typeof limits === 'number' || typeof limits === 'boolean' ? limits : false,
  }
}

/** The settings kept with the launched resources; resolved now for records made without them. */
export function settingsOf(r: { region: string; providerConfig?: Record<string, unknown> | null }): KubeSettings {
  const kept = r.providerConfig as Partial<KubeSettings> | undefined | null
  if (kept && typeof kept.namespace === 'string') return { ...resolveSettings(r.region), ...kept } as KubeSettings
  return resolveSettings(r.region)
}
