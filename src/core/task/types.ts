// The normalized task model shared by the parser, the optimizer, the provisioners and the node
// agent. Parsing (yaml.ts / validate.ts) turns user YAML and CLI flags into these shapes; the
// serializer turns them back into SkyPilot-format YAML. Everything here is plain JSON-able data.

/** Where to run: `aws/us-east-1/us-east-1a`, `k8s/<context>`, `ssh/<pool>`, `local`, `*` parts = any. */
export interface Infra {
  /** Canonical lower-case infra name: aws, gcp, kubernetes, ssh, local, ... ; undefined = any. */
  cloud?: string
  /** Region; for kubernetes the context, for ssh the pool name. */
  region?: string
  zone?: string
}

/** A number with an optional `+` (at least). */
export interface AtLeast {
  value: number
  orMore: boolean
  /** memory only: `value` is GB per vCPU (the internal `4x` form). */
  perCpu?: boolean
}

export interface Accelerator {
  /** GPU/TPU name in catalog spelling, e.g. `A100-80GB`, `H100`, `L4`, `tpu-v5e-8`. */
  name: string
  /** May be fractional (e.g. 0.5) for scheduling on a shared node. */
  count: number
  /**
   * Set when the user asked by GPU memory instead of by name (`80GB+`, `nvidia:48GB:2`); `name`
   * then holds that spec without the count, and the optimizer expands it to matching GPUs.
   */
  byMemory?: { memoryGb: number; orMore: boolean; manufacturer?: string }
}

export type DiskTier = 'low' | 'medium' | 'high' | 'ultra' | 'best'
export type NetworkTier = 'standard' | 'best'

export interface AutostopConfig {
  enabled: boolean
  idleMinutes: number
  down: boolean
  waitFor?: 'jobs_and_ssh' | 'jobs' | 'none'
  hook?: string
  hookTimeout?: number
}

export interface JobRecoveryConfig {
  /** Upper-case strategy name (FAILOVER, EAGER_NEXT_REGION, ...); undefined = default. */
  strategy?: string
  maxRestartsOnErrors?: number
  recoverOnExitCodes?: number[]
  /** Other (plugin) keys of the `job_recovery` mapping, carried through. */
  extra?: Record<string, unknown>
}

/** One concrete-or-partial resource request (no alternatives inside: see ResourcesSpec). */
export interface Resources {
  infra?: Infra
  instanceType?: string
  cpus?: AtLeast
  memory?: AtLeast
  accelerator?: Accelerator
  acceleratorArgs?: Record<string, unknown>
  useSpot?: boolean
  /** GB. */
  diskSize?: number
  diskTier?: DiskTier
  networkTier?: NetworkTier
  /** Normalized to strings: `8080` or `8000-8010`. */
  ports?: string[]
  /** A single image, or a map region → image. */
  imageId?: string | Record<string, string>
  labels?: Record<string, string>
  maxHourlyCost?: number
  autostop?: AutostopConfig
  jobRecovery?: JobRecoveryConfig
  priority?: number
  priorityClass?: string
  /** `[nvme|ssd:]SIZE[+]` local disk request. */
  localDisk?: string
  /** Keys of the SkyPilot format we accept and carry but do not act on (kept for round-trip). */
  extra?: Record<string, unknown>
}

/**
 * What the user asked for: one or more alternatives. `any_of` and accelerator sets are
 * unordered (cheapest wins); `ordered` and accelerator lists are tried in the user's order.
 */
export interface ResourcesSpec {
  mode: 'single' | 'any_of' | 'ordered'
  candidates: Resources[]
}

export interface GitWorkdir {
  url: string
  ref?: string
}

/** A file mount value: a local path, a cloud URI, or a storage object. */
export type FileMount =
  | { kind: 'local'; source: string }
  | { kind: 'uri'; source: string }
  | {
      kind: 'storage'
      name?: string
      source?: string | string[]
      store?: string
      mode?: 'MOUNT' | 'COPY' | 'MOUNT_CACHED'
      persistent?: boolean
      config?: Record<string, unknown>
      mountOptions?: string
      /** File-mount type preset (e.g. DATASET_RO). */
      type?: string
      /** Internal `_...` keys, carried through. */
      extra?: Record<string, unknown>
    }

/** A reference to a secret stored on the API server (`secrets:NAME`, `managed_secrets:`). */
export interface ManagedSecretRef {
  name: string
  /** personal | workspace | global; undefined = default lookup. */
  scope?: string
  /** Mount the secret as a file at this path instead of an env var. */
  mountPath?: string
}

export interface Task {
  name?: string
  workdir?: string | GitWorkdir
  numNodes: number
  resources: ResourcesSpec
  /** null = must be supplied with --env. */
  envs: Record<string, string | null>
  /** Redacted whenever printed. */
  secrets: Record<string, string | null>
  /** Managed secret references, resolved on the server. */
  managedSecrets?: ManagedSecretRef[]
  /** Remote path → mount. */
  fileMounts: Record<string, FileMount>
  setup?: string
  run?: string
  service?: Record<string, unknown>
  /** Pool spec (`pool:` top-level key: workers, min_workers, max_workers, ...). */
  pool?: Record<string, unknown>
  config?: Record<string, unknown>
  volumes?: Record<string, unknown>
  /** Other accepted top-level keys of the SkyPilot format, carried through untouched. */
  extra?: Record<string, unknown>
}

/** A parsed YAML file: one task, or a pipeline / job group of several. */
export interface Dag {
  name?: string
  execution?: 'serial' | 'parallel'
  /** Job groups: tasks whose completion ends the group (others are auxiliary); default all. */
  primaryTasks?: string[]
  /** Job groups: delay before auxiliary tasks are stopped, e.g. `30s`, or per task {default, <task>}. */
  terminationDelay?: string | Record<string, string>
  tasks: Task[]
}
