// The schema of ~/.sky/config.yaml (and of .sky.yaml, --config and per-request overrides): which
// keys this build reads, with their types, and which SkyPilot keys it knows but does not act on.
// Checking a tree gives errors (wrong types, unknown keys, typos with a did-you-mean) and the
// paths of SkyPilot keys this build ignores, which the CLI reports as "not supported by this build".
//
// A key honoured anywhere in the code must be listed here (and in the README's Configuration
// table); a new key elsewhere in the code without an entry here is reported as unknown.
import type { FieldIssue } from './errors'
import { CLOUD_NAMES } from './task/infra'
import { didYouMean } from './task/issues'

type Check = (v: unknown) => string | undefined

export type Rule =
  /** A key this build reads; `check` returns what is wrong with a value. */
  | { kind: 'value'; check: Check }
  /** A mapping of known keys. `open`: an unknown key far from every known one is a warning, not an error. */
  | { kind: 'section'; keys: Record<string, Rule>; open?: boolean }
  /** A SkyPilot key (with everything under it) that this build does not act on. */
  | { kind: 'unsupported' }

const value = (check: Check): Rule => ({ kind: 'value', check })
const section = (keys: Record<string, Rule>, open = false): Rule => ({ kind: 'section', keys, open })
const unsupported: Rule = { kind: 'unsupported' }
const unsupportedKeys = (...names: string[]) => Object.fromEntries(names.map((n) => [n, unsupported]))

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string')
const nullableStr: Check = (v) => (v === null || typeof v === 'string' ? undefined : 'must be a string')
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false')
const num =
  (o: { min?: number; int?: boolean; above?: number } = {}): Check =>
  (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number'
    if (o.int && !Number.isInteger(v)) return 'must be a whole number'
    if (o.min !== undefined && v < o.min) return `must be at least ${o.min}`
    if (o.above !== undefined && v <= o.above) return `must be greater than ${o.above}`
    return undefined
  }
const strList: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'must be a list of strings')
const url: Check = (v) => (typeof v === 'string' && /^https?:\/\/.+/.test(v) ? undefined : 'must be an http:// or https:// URL')
const token: Check = (v) => (v === null || (typeof v === 'string' && /^sky_.+/.test(v)) ? undefined : "must be a service-account token starting with 'sky_'")
const numOrStr: Check = (v) => (typeof v === 'number' || typeof v === 'string' ? undefined : 'must be a number (or a string like "16GB")')

/** Names `allowed_clouds` may list: SkyPilot's clouds (and storage-only ones) plus this build's `local`. */
const CLOUDS = [...CLOUD_NAMES, 'cloudflare']

const allowedClouds: Check = (v) => {
  const bad = strList(v)
  if (bad) return bad
  for (const name of v as string[]) {
    if (CLOUDS.includes(name.toLowerCase())) continue
    const near = didYouMean(name, CLOUDS)
    return `'${name}' is not a cloud name${near ? `; did you mean '${near}'?` : ` (known: ${CLOUDS.join(', ')})`}`
  }
  return undefined
}

/** A string, or a mapping of names (regions, tag keys) to strings. */
const strOrMap: Check = (v) => (typeof v === 'string' || (isObj(v) && Object.values(v).every((x) => typeof x === 'string')) ? undefined : 'must be a string or a mapping of names to strings')
const tags: Check = (v) => (isObj(v) && Object.values(v).every((x) => ['string', 'number', 'boolean'].includes(typeof x)) ? undefined : 'must be a mapping of tag names to values')

const allowedContexts: Check = (v) => (v === 'all' ? undefined : strList(v) && "must be a list of context names, or 'all'")

/** Kubernetes keys that may also be set per context under `kubernetes.context_configs.<context>`. */
const KUBE_CONTEXT_KEYS: Record<string, Rule> = {
  namespace: value((v) => (typeof v === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? undefined : 'must be a namespace name (lower case letters, digits and -)')),
  provision_timeout: value((v) => (typeof v === 'number' && Number.isFinite(v) && (v >= 0 || v === -1) ? undefined : 'must be seconds (a number >= 0; -1 waits without limit)')),
  pod_config: value((v) => (v && typeof v === 'object' && !Array.isArray(v) ? undefined : 'must be a mapping (a partial Pod manifest: metadata, spec)')),
  ports: value((v) => (v === 'loadbalancer' || v === 'nodeport' ? undefined : "must be 'loadbalancer' or 'nodeport'")),
  autoscaler: value((v) => (['gke', 'karpenter', 'coreweave', 'nebius', 'generic'].includes(v as string) ? undefined : 'must be one of gke, karpenter, coreweave, nebius, generic')),
  set_pod_resource_limits: value((v) => (typeof v === 'boolean' || (typeof v === 'number' && v >= 1) ? undefined : 'must be true/false or a multiplier >= 1')),
}

const kubeContextConfigs: Check = (v) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'must be a mapping of context name → settings'
  for (const [ctx, conf] of Object.entries(v as Record<string, unknown>)) {
    if (!conf || typeof conf !== 'object' || Array.isArray(conf)) return `${ctx}: must be a mapping of settings`
    for (const [k, x] of Object.entries(conf as Record<string, unknown>)) {
      const rule = KUBE_CONTEXT_KEYS[k]
      if (!rule) return `${ctx}.${k}: not a per-context key (known: ${Object.keys(KUBE_CONTEXT_KEYS).join(', ')})`
      const why = rule.kind === 'value' && x !== null ? rule.check(x) : undefined
      if (why) return `${ctx}.${k}: ${why}`
    }
  }
  return undefined
}

export const CONFIG_SCHEMA: Rule = section({
  api_server: section({
    endpoint: value(url),
    service_account_token: value(token),
    requests_retention_hours: value(num()),
    long_workers: value(num({ int: true, min: 1 })),
    short_workers: value(num({ int: true, min: 1 })),
    shutdown_grace_seconds: value(num({ min: 0 })),
    plugins: value(strList),
    initial_admin: value((v) => (typeof v === 'string' && v.includes(':') ? undefined : "must be 'name:password'")),
    lease_seconds: value(num({ above: 0 })),
    status_refresh_seconds: value(num({ above: 0 })),
    orphan_reconcile_minutes: value(num({ min: 0 })),
    // Team server v2 (README, "Deploy for a team").
    trusted_proxies: value((v) => (strList(v) && typeof v !== 'string' ? 'must be a list of IP addresses or CIDRs' : undefined)),
    upload_max_mb: value(num({ above: 0 })),
    upload_quota_mb: value(num({ above: 0 })),
    upload_retention_hours: value(num({ above: 0 })),
    secrets_key_file: value(str),
    ...unsupportedKeys(
      'logs_retention_hours',
      'cluster_event_retention_hours',
      'cluster_debug_event_retention_hours',
      'cluster_terminal_event_retention_hours',
      'launch_attempt_retention_hours',
      'daemon_log_max_bytes',
    ),
  }),
  db: value(str),
  allowed_clouds: value(allowedClouds),
  local: section({
    cpus: value(numOrStr),
    memory: value(numOrStr),
    gpus: value(nullableStr),
    // A deployed server's own machine (README, "Deploy for a team").
    allow_on_deploy: value(bool),
    run_as: value(str),
    sandbox_dir: value((v) => (typeof v === 'string' && v.startsWith('/') ? undefined : 'must be an absolute path')),
  }),
  kubernetes: section(
    {
      allowed_contexts: value(allowedContexts),
      ...KUBE_CONTEXT_KEYS,
      context_configs: value(kubeContextConfigs),
      ...unsupportedKeys(
        'networking', 'high_availability', 'kueue', 'quota', 'dws', 'remote_identity', 'post_provision_runcmd', 'apt_mirrors',
        'pricing', 'auto_mounts', 'enable_docker', 'rdma', 'custom_metadata', 'allowed_nodes', 'ingress',
      ),
    },
    true,
  ),
  // Managed jobs (src/core/jobs/settings.ts); the controller runs in the API server, so SkyPilot's
  // controller-cluster keys have nothing to act on.
  jobs: section(
    {
      controller: section({
        max_concurrent_launches: value(num({ int: true, min: 1 })),
        max_running_jobs: value(num({ int: true, min: 1 })),
        status_check_seconds: value(num({ above: 0 })),
        local_status_check_seconds: value(num({ above: 0 })),
        recovery_retry_gap_seconds: value(num({ min: 0 })),
        launch_retries: value(num({ int: true, min: 0 })),
        task_autodown_minutes: value(num({ int: true, min: 1 })),
        ...unsupportedKeys('resources', 'high_availability', 'autostop', 'consolidation_mode', 'controller_logs_gc_retention_hours', 'task_logs_gc_retention_hours'),
      }),
      ...unsupportedKeys('bucket', 'force_disable_cloud_bucket'),
    },
    true,
  ),
  // Services (src/core/serve/service-ops.ts): where load balancers listen and how a deployed
  // server names their endpoints; the controller runs in the API server.
  serve: section({ load_balancer_host: value(str), endpoint_host: value(str), ...unsupportedKeys('controller') }, true),
  // Read by src/core/provision/aws/config.ts.
  aws: section(
    {
      vpc_name: value(str),
      use_internal_ips: value(bool),
      ssh_proxy_command: value(strOrMap),
      labels: value(tags),
      remote_identity: value(str),
      security_group_name: value(str),
      ssh_user: value(str),
      disk_encrypted: value(bool),
      ...unsupportedKeys('specific_reservations', 'prioritize_reservations', 'post_provision_runcmd', 'use_ssm', 'disk_throughput', 'ssh_key_name', 'capabilities'),
    },
    true,
  ),
  // Test settings, refused unless SKY_HOME is a test home (src/core/testing.ts).
  testing: section({ agent_minute_ms: value(num({ above: 0 })) }),
  // Read by src/core/provision/gcp/config.ts (and gcp/endpoint.ts: compute_endpoint).
  gcp: section(
    {
      compute_endpoint: value(url),
      vpc_name: value(str),
      use_internal_ips: value(bool),
      ssh_proxy_command: value(strOrMap),
      labels: value(tags),
      remote_identity: value(str),
      ssh_user: value(str),
      ...unsupportedKeys('force_enable_external_ips', 'prioritize_reservations', 'specific_reservations', 'managed_instance_group', 'enable_gvnic', 'enable_gpu_direct', 'placement_policy', 'provision_timeout', 'post_provision_runcmd'),
    },
    true,
  ),
  ssh: section({ allowed_node_pools: value(strList), ...unsupportedKeys('pod_config', 'provision_timeout', 'context_configs', 'custom_metadata') }, true),
  ...unsupportedKeys(
    'workspace', 'admin_policy', 'docker', 'nvidia_gpus', 'active_workspace', 'workspaces', 'workspace_config',
    'provision', 'rbac', 'logs', 'daemons', 'data', 'dashboard', 'metrics', 'azure', 'slurm', 'oci', 'vast', 'nebius', 'plugins',
  ),
})

/**
 * Keys a client's config may not change on the API server (they are the server's own, as in
 * SkyPilot): they are dropped from per-request overrides. Dotted ones are single keys of a
 * section: a proxy command runs on the server, the remote identity decides whose cloud
 * credentials go to the nodes, and the Compute endpoint is where the server's Google credentials
 * are sent.
 */
export const SERVER_ONLY_KEYS = ['api_server', 'allowed_clouds', 'workspaces', 'db', 'daemons', 'local', 'aws.ssh_proxy_command', 'aws.remote_identity', 'gcp.ssh_proxy_command', 'gcp.remote_identity', 'gcp.compute_endpoint', 'testing', 'serve.load_balancer_host', 'serve.endpoint_host']

/** A copy of `tree` without the server-only keys. */
export function withoutServerOnly<T extends Record<string, unknown>>(tree: T): T {
  const out: Record<string, unknown> = { ...tree }
  for (const k of SERVER_ONLY_KEYS) {
    const [top, sub] = k.split('.') as [string, string | undefined]
    if (!sub) delete out[top]
    else if (isObj(out[top]) && sub in (out[top] as object)) {
      const section = { ...(out[top] as Record<string, unknown>) }
      delete section[sub]
      out[top] = section
    }
  }
  return out as T
}

export interface ConfigReport {
  issues: FieldIssue[]
  /** Dotted paths of SkyPilot keys this build does not act on. */
  unsupported: string[]
}

function walk(rule: Rule, v: unknown, path: string, report: ConfigReport): void {
  if (rule.kind === 'unsupported') {
    report.unsupported.push(path)
    return
  }
  if (rule.kind === 'value') {
    if (v === null && path !== '') return // an explicit null means "unset"
    const why = rule.check(v)
    if (why) report.issues.push({ path, message: why, value: v })
    return
  }
  if (v === null || v === undefined) return
  if (!isObj(v)) {
    report.issues.push({ path: path || '(top level)', message: 'must be a mapping of config keys', value: v })
    return
  }
  const known = Object.keys(rule.keys)
  for (const [k, sub] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k
    const r = rule.keys[k]
    if (r) {
      walk(r, sub, p, report)
      continue
    }
    const near = didYouMean(k, known)
    if (near) report.issues.push({ path: p, message: `unknown key; did you mean '${near}'?` })
    else if (rule.open) report.unsupported.push(p)
    else report.issues.push({ path: p, message: known.length <= 12 ? `unknown key (known here: ${known.join(', ')})` : 'unknown key (neither a sky nor a SkyPilot config key)' })
  }
}

/** Check a config tree against the schema. */
export function checkConfig(tree: unknown): ConfigReport {
  const report: ConfigReport = { issues: [], unsupported: [] }
  walk(CONFIG_SCHEMA, tree, '', report)
  return report
}
