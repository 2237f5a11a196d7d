// Wire types: what crosses the API, apart from how the server stores things. The server, the SDK,
// the CLI and the dashboard all import these (the dashboard and CLI as types only). Names follow
// SkyPilot's JSON: snake_case, and times in seconds since the epoch (fractional where SkyPilot
// keeps floats), so scripts written against `sky status -o json`, `sky queue -o json` and
// `sky api status -o json` keep working. Each is a TypeBox schema (the OpenAPI document is built
// from them) plus the TypeScript type of the same name.
import { Type as T, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox'
import { INFRA_NAMES } from '../core/infra/types'
import { MANAGED_JOB_STATUSES, SCHEDULE_STATES } from '../core/jobs/types'
import { REPLICA_STATUSES, SERVICE_STATUSES } from '../core/serve/status'

const Nullable = <S extends TSchema>(s: S) => T.Union([s, T.Null()])
const Seconds = (description: string) => T.Number({ description: `${description} (seconds since the epoch)` })
/** A union of string literals (an enum in the OpenAPI document). */
const lit = <const V extends readonly string[]>(values: V) => T.Union(values.map((v) => T.Literal(v))) as TUnion<{ -readonly [K in keyof V]: TLiteral<V[K]> }>

// ---- statuses ---------------------------------------------------------------------------------

export const CLUSTER_STATUSES = ['INIT', 'UP', 'STOPPED'] as const
export const ClusterStatus = lit(CLUSTER_STATUSES)
export type ClusterStatus = Static<typeof ClusterStatus>

/** SkyPilot's on-cluster JobStatus, in lifecycle order. */
export const JOB_STATUSES = ['INIT', 'PENDING', 'SETTING_UP', 'RUNNING', 'FAILED_DRIVER', 'SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'CANCELLED'] as const
export const JobStatus = lit(JOB_STATUSES)
export type JobStatus = Static<typeof JobStatus>

export const REQUEST_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const
export const RequestStatus = lit(REQUEST_STATUSES)
export type RequestStatus = Static<typeof RequestStatus>

// ---- errors and requests ----------------------------------------------------------------------

/** A typed error as the server sends it (`{error: ...}`); the SDK rebuilds the same class (src/core/errors.ts). */
export const ErrorPayload = T.Object({
  name: T.String(),
  code: T.String({ description: 'Stable error code, e.g. NOT_FOUND, VALIDATION, RESOURCES_UNAVAILABLE' }),
  message: T.String(),
  details: T.Optional(T.Record(T.String(), T.Unknown())),
  hint: T.Optional(T.String()),
  exitCode: T.Optional(T.Number()),
})
export type ErrorPayload = Static<typeof ErrorPayload>

export const SubmitResponse = T.Object({ request_id: T.String({ description: 'Also in the X-Skypilot-Request-ID header' }) })
export type SubmitResponse = Static<typeof SubmitResponse>

/** A request as `/api/get` and `/api/status` report it (SkyPilot's RequestPayload). */
export const RequestPayload = T.Object({
  request_id: T.String(),
  name: T.String({ description: 'Operation, e.g. sky.launch' }),
  status: RequestStatus,
  user_id: T.String(),
  user_name: T.String(),
  cluster_name: Nullable(T.String()),
  schedule_type: lit(['long', 'short'] as const),
  created_at: Seconds('Submitted'),
  started_at: Nullable(Seconds('Started running')),
  finished_at: Nullable(Seconds('Reached a final status')),
  status_msg: Nullable(T.String()),
  return_value: T.Optional(T.Unknown({ description: "The operation's result (SUCCEEDED); its type is the operation's result schema" })),
  error: T.Optional(Nullable(ErrorPayload)),
})
export type RequestPayload<R = unknown> = Omit<Static<typeof RequestPayload>, 'return_value'> & { return_value?: R }

export const CancelResult = T.Object({ cancelled: T.Array(T.String(), { description: 'Ids of the requests actually cancelled' }) })
export type CancelResult = Static<typeof CancelResult>

export const Health = T.Object({
  status: T.String({ description: 'healthy' }),
  api_version: T.Number(),
  version: T.String(),
  commit: T.String(),
  user: T.Optional(T.Object({ name: T.String(), id: T.String() })),
  deploy: T.Boolean(),
  auth_mode: T.Union([T.Literal('local-token'), T.Literal('password+token')], {
    description: "local-token: one Unix user's server (the owner's token); password+token: users log in (deployed)",
  }),
  basic_auth_enabled: T.Boolean(),
  service_account_token_enabled: T.Boolean(),
  started_at: Seconds('Server start'),
})
export type Health = Static<typeof Health>

// ---- clusters and their jobs ------------------------------------------------------------------

/** A cluster as `sky status` shows it (SkyPilot's StatusResponse, without handle or credentials). */
export const Cluster = T.Object({
  name: T.String(),
  status: ClusterStatus,
  launched_at: Seconds('Launched'),
  status_updated_at: Seconds('Status last changed'),
  last_use: Nullable(T.String({ description: 'The last sky command run on the cluster' })),
  last_activity_time: Nullable(Seconds('Last used')),
  last_event: Nullable(T.String({ description: 'Why the status is what it is (e.g. INIT after a failed health check)' })),
  autostop: T.Integer({ description: 'Idle minutes before autostop; -1 = none' }),
  to_down: T.Boolean({ description: 'Autostop tears the cluster down instead of stopping it' }),
  user_hash: T.String(),
  user_name: T.String(),
  workspace: T.String(),
  cluster_hash: T.String(),
  nodes: T.Integer(),
  cloud: T.String({ description: 'local, ssh, kubernetes, aws or gcp' }),
  region: Nullable(T.String()),
  zone: Nullable(T.String()),
  infra: T.String({ description: 'Display form, e.g. "AWS (us-east-1)"' }),
  resources_str: T.String({ description: 'e.g. "1x(cpus=4, mem=16, L4:1)"' }),
  instance_type: Nullable(T.String()),
  cpus: Nullable(T.Number({ description: 'vCPUs per node' })),
  memory: Nullable(T.Number({ description: 'Memory per node, GB' })),
  accelerators: Nullable(T.Record(T.String(), T.Number(), { description: 'GPU name → count per node' })),
  ports: T.Array(T.String(), { description: 'Exposed ports and ranges, e.g. "8080", "9000-9002"' }),
  head_ip: Nullable(T.String()),
  endpoints: T.Optional(T.Record(T.String(), T.String(), { description: 'Port → host:port where the infra published it (a Kubernetes Service); other ports are on head_ip' })),
})
export type Cluster = Static<typeof Cluster>

/** A job of a cluster's queue (SkyPilot's ClusterJobRecord). */
export const ClusterJob = T.Object({
  job_id: T.Integer(),
  job_name: Nullable(T.String()),
  username: T.String(),
  user_hash: T.String(),
  submitted_at: Seconds('Submitted'),
  start_at: Nullable(Seconds('Started')),
  end_at: Nullable(Seconds('Ended')),
  resources: T.String(),
  status: JobStatus,
  log_path: T.String(),
  num_nodes: T.Integer(),
  priority: T.Integer(),
  exit_code: Nullable(T.Integer()),
  failure: Nullable(T.String()),
})
export type ClusterJob = Static<typeof ClusterJob>

/** What launch and exec return. */
export const JobSubmitted = T.Object({
  cluster_name: T.String(),
  job_id: Nullable(T.Integer({ description: 'null when the task had nothing to run' })),
  job_status: T.Optional(Nullable(T.String({ description: 'Final status when the client waited for the job' }))),
  exit_code: T.Optional(Nullable(T.Integer({ description: "The job's own exit code" }))),
})
export type JobSubmitted = Static<typeof JobSubmitted>

/** What `sky logs` needs to exit like SkyPilot: the agent's JobExitCode plus the job it was about. */
export const LogsResult = T.Object({
  exit_code: T.Integer({ description: 'SkyPilot JobExitCode: 0 succeeded, 100 failed, 101 not finished, 102 not found, 103 cancelled' }),
  job_id: Nullable(T.Integer()),
  job_status: Nullable(T.String()),
  job_exit_code: Nullable(T.Integer({ description: "The job's own exit code, when it ended" })),
})
export type LogsResult = Static<typeof LogsResult>

// ---- planning, catalog and infra --------------------------------------------------------------

export const OptimizeResult = T.Object({
  cluster_status: Nullable(ClusterStatus),
  cluster_owner: Nullable(T.String()),
  plan_text: Nullable(T.String({ description: "The optimizer's table, as the CLI prints it" })),
})
export type OptimizeResult = Static<typeof OptimizeResult>

export const NodeCapacity = T.Object({
  cpus: T.Number(),
  memory_gb: T.Number(),
  gpus: Nullable(T.Object({ name: T.String(), count: T.Number() })),
})
export type NodeCapacity = Static<typeof NodeCapacity>

export const InfraName = lit(INFRA_NAMES)
export type InfraName = Static<typeof InfraName>

export const InfraCheck = T.Object({
  infra: InfraName,
  enabled: T.Boolean(),
  reason: T.String({ description: 'Enabled: where access comes from. Disabled: why, and how to fix it' }),
  regions: T.Optional(T.Array(T.String())),
  capabilities: T.Array(lit(['compute', 'storage'] as const)),
  capacity: T.Optional(NodeCapacity),
})
export type InfraCheck = Static<typeof InfraCheck>

const GpuQuantities = T.Object({ name: T.String(), quantities: T.Array(T.Number()), infra: T.Array(T.String()) })
export const GpuList = T.Object({
  common: T.Array(GpuQuantities),
  other: T.Array(GpuQuantities),
  detail: T.Optional(
    T.Array(
      T.Object({
        gpu: T.String(),
        qty: T.Number(),
        cloud: T.String(),
        instance_type: T.String(),
        device_memory_gb: T.Number(),
        vcpus: T.Optional(T.Number()),
        host_memory_gb: T.Optional(T.Number()),
        price: T.Number(),
        spot_price: T.Optional(T.Number()),
        region: T.String(),
      }),
    ),
  ),
  live: T.Array(
    T.Object({
      infra: T.String({ description: 'A live infra: local, ssh or kubernetes' }),
      region: T.String(),
      gpu: T.String(),
      requestable: T.Array(T.Number()),
      free: T.Number(),
      total: T.Number(),
      nodes: T.Array(T.Object({ name: T.String(), free: T.Number(), total: T.Number() })),
    }),
  ),
  all_regions: T.Boolean(),
})
export type GpuList = Static<typeof GpuList>

export const GpusResult = T.Object({ list: GpuList, text: T.String({ description: 'The tables as `sky gpus list` prints them' }) })
export type GpusResult = Static<typeof GpusResult>

export const HostReport = T.Object({ pool: T.String(), host: T.String(), ok: T.Boolean(), detail: T.String() })
export type HostReport = Static<typeof HostReport>

// ---- users ------------------------------------------------------------------------------------

export const Role = lit(['admin', 'user'] as const)
export type Role = Static<typeof Role>

/** A user (never the password hash). */
export const User = T.Object({ id: T.String(), name: T.String(), role: Role, has_password: T.Boolean(), created_at: Seconds('Created') })
export type User = Static<typeof User>

export const Me = T.Object({ id: T.String(), name: T.String(), role: T.String() })
export type Me = Static<typeof Me>

export const Token = T.Object({
  token_id: T.String(),
  token_name: T.String(),
  user_id: T.String(),
  user_name: T.String(),
  created_at: Seconds('Created'),
  last_used_at: Nullable(Seconds('Last used')),
  expires_at: Nullable(Seconds('Expires')),
  revoked_at: Nullable(Seconds('Revoked')),
  status: lit(['active', 'expired', 'revoked'] as const),
})
export type Token = Static<typeof Token>

export const NewToken = T.Intersect([Token, T.Object({ token: T.String({ description: 'sky_...: shown once' }) })])
export type NewToken = Static<typeof NewToken>

// ---- helpers ----------------------------------------------------------------------------------

/** Epoch milliseconds (how the server stores times) as wire seconds. */
export function seconds(ms: number): number
export function seconds(ms: number | null | undefined): number | null
export function seconds(ms: number | null | undefined): number | null {
  return ms === null || ms === undefined ? null : ms / 1000
}

// ---- uploads ------------------------------------------------------------------------------------

export const UploadMissing = T.Object({
  blobs: T.Array(T.String(), { description: 'Contents (sha256) not uploaded yet, or only in part' }),
  manifests: T.Array(T.String(), { description: 'Manifests not registered yet' }),
  offsets: T.Record(T.String(), T.Integer(), { description: 'Partly uploaded contents: where to resume' }),
})
export type UploadMissing = Static<typeof UploadMissing>

export const UploadProgress = T.Object({ offset: T.Integer({ description: 'Bytes of the blob the server has' }), done: T.Boolean() })
export type UploadProgress = Static<typeof UploadProgress>

export const UploadRegistered = T.Object({ manifest: T.String(), files: T.Integer(), bytes: T.Integer() })
export type UploadRegistered = Static<typeof UploadRegistered>

// ---- managed jobs (sky jobs ...) --------------------------------------------------------------

/** SkyPilot's ManagedJobStatus, in lifecycle order (the list lives with the controller's states). */
export const ManagedJobStatus = lit(MANAGED_JOB_STATUSES)
export type ManagedJobStatus = Static<typeof ManagedJobStatus>

/** One task of a managed job, as `sky jobs queue -o json` lists it (SkyPilot's names, seconds). */
export const ManagedJob = T.Object({
  job_id: T.Integer(),
  task_id: T.Integer(),
  job_name: T.String(),
  task_name: Nullable(T.String()),
  user_name: T.String(),
  user_hash: T.String(),
  workspace: T.String(),
  resources: T.String(),
  status: ManagedJobStatus,
  schedule_state: lit(SCHEDULE_STATES),
  submitted_at: Seconds('Submitted'),
  start_at: Nullable(Seconds('Started')),
  end_at: Nullable(Seconds('Ended')),
  last_recovered_at: Nullable(Seconds('Last recovered')),
  recovery_count: T.Integer(),
  job_duration: T.Number({ description: 'Seconds the job has run' }),
  failure_reason: Nullable(T.String()),
  cluster_name: Nullable(T.String()),
  cloud: Nullable(T.String()),
  region: Nullable(T.String()),
  zone: Nullable(T.String()),
  priority: T.Number(),
  num_tasks: T.Integer({ description: 'Tasks in the job (pipelines > 1)' }),
})
export type ManagedJob = Static<typeof ManagedJob>

export const ManagedJobSubmitted = T.Object({ job_id: T.Integer(), name: T.String() })
export type ManagedJobSubmitted = Static<typeof ManagedJobSubmitted>

export const ManagedJobQueue = T.Object({
  jobs: T.Array(ManagedJob),
  total: T.Integer({ description: 'Jobs matching the filters (the list may be cut to `limit`)' }),
  in_progress: T.Record(T.String(), T.Integer(), { description: 'Unfinished jobs by status' }),
})
export type ManagedJobQueue = Static<typeof ManagedJobQueue>

export const ManagedJobsCancelled = T.Object({
  cancelled: T.Array(T.Integer()),
  still_cancelling: T.Array(T.Integer()),
  already_finished: T.Array(T.Integer()),
  requests_cancelled: T.Array(T.String({ description: 'Queued requests of these jobs, cancelled' })),
})
export type ManagedJobsCancelled = Static<typeof ManagedJobsCancelled>

export const ManagedJobLogsResult = T.Object({
  job_id: T.Integer(),
  status: ManagedJobStatus,
  exit_code: T.Integer({ description: "SkyPilot's exit code for the job's status" }),
})
export type ManagedJobLogsResult = Static<typeof ManagedJobLogsResult>

// ---- services (sky serve ...) -----------------------------------------------------------------

export const ServiceStatus = lit(SERVICE_STATUSES)
export type ServiceStatus = Static<typeof ServiceStatus>
export const ReplicaStatus = lit(REPLICA_STATUSES)
export type ReplicaStatus = Static<typeof ReplicaStatus>

/** One replica of a service (`replica_info` of `sky serve status -o json`). */
export const ServeReplica = T.Object({
  service_name: T.String(),
  replica_id: T.Integer(),
  version: T.Integer(),
  status: ReplicaStatus,
  cluster_name: T.String({ description: 'The replica cluster, <service>-<replica id>' }),
  endpoint: Nullable(T.String({ description: 'Where the load balancer reaches the replica' })),
  infra: Nullable(T.String()),
  is_spot: T.Boolean(),
  launched_at: Nullable(Seconds('Job submitted on the replica')),
  failure: Nullable(T.String()),
})
export type ServeReplica = Static<typeof ServeReplica>

/** A service as `sky serve status -o json` lists it. */
export const Service = T.Object({
  name: T.String(),
  status: ServiceStatus,
  user_name: T.String(),
  endpoint: T.String({ description: 'http[s]://host:port of the load balancer' }),
  uptime: Nullable(Seconds('First replica ready')),
  version: T.Integer({ description: 'Current (latest) version' }),
  active_versions: T.Array(T.Integer(), { description: 'Versions whose ready replicas take traffic' }),
  load_balancing_policy: T.String(),
  tls: T.Boolean(),
  auth: T.Boolean({ description: 'Bearer tokens are required (service.auth)' }),
  requested_resources_str: T.String(),
  created_at: Seconds('Created'),
  failure: Nullable(T.String()),
  replica_info: T.Array(ServeReplica),
})
export type Service = Static<typeof Service>

export const ServeUpResult = T.Object({ service_name: T.String(), endpoint: T.String() })
export type ServeUpResult = Static<typeof ServeUpResult>
export const ServeUpdateResult = T.Object({ service_name: T.String(), version: T.Integer() })
export type ServeUpdateResult = Static<typeof ServeUpdateResult>
export const ServeDownResult = T.Object({
  removed: T.Array(T.String({ description: 'Services (or service/replica) removed' })),
  still_shutting_down: T.Array(T.String()),
})
export type ServeDownResult = Static<typeof ServeDownResult>
export const ServeLogsResult = T.Object({ exit_code: T.Integer() })
export type ServeLogsResult = Static<typeof ServeLogsResult>
export const ServeToken = T.Object({
  name: T.String(),
  hint: T.String({ description: 'The first characters of the token, not secret' }),
  created_by: T.String(),
  created_at: Seconds('Created'),
  revoked_at: Nullable(Seconds('Revoked')),
})
export type ServeToken = Static<typeof ServeToken>
export const ServeTokenCreated = T.Object({ service_name: T.String(), name: T.String(), token: T.String({ description: 'The secret, shown once' }), hint: T.String() })
export type ServeTokenCreated = Static<typeof ServeTokenCreated>
export const ServeTokenRevoked = T.Object({ revoked: T.String() })
export type ServeTokenRevoked = Static<typeof ServeTokenRevoked>
