// Shapes shared by the node agent's modules: job statuses, the cluster description written by
// the provisioner (cluster.json), a job submission, and the records the agent reports back.

/** SkyPilot's on-cluster JobStatus (sky/skylet/job_lib.py), in lifecycle order. */
export const JOB_STATUSES = [
  'INIT',
  'PENDING',
  'SETTING_UP',
  'RUNNING',
  'FAILED_DRIVER',
  'SUCCEEDED',
  'FAILED',
  'FAILED_SETUP',
  'CANCELLED',
] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'FAILED_DRIVER', 'CANCELLED']
export const ACTIVE_STATUSES: readonly JobStatus[] = ['INIT', 'PENDING', 'SETTING_UP', 'RUNNING']

export function isTerminal(s: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(s)
}

/** SkyPilot's JobExitCode (sky/exceptions.py), used by `logs`. */
export const JobExitCode = {
  SUCCEEDED: 0,
  FAILED: 100,
  NOT_FINISHED: 101,
  NOT_FOUND: 102,
  CANCELLED: 103,
} as const

export interface GpuSpec {
  name: string
  /** May be fractional in a demand (0.5 = half a device); whole in a node's capacity. */
  count: number
}

export interface NodeCapacity {
  cpus: number
  memoryGb: number
  gpus: GpuSpec | null
}

export interface SshTarget {
  host: string
  port: number
  user: string
  keyPath: string
  /** A 0600 file on the head holding the worker's SSH password (hosts reached by password only). */
  passwordPath?: string
  /** known_hosts on the head holding the worker's host key (then verified, never learnt). */
  knownHosts?: string
}

export interface NodeSpec {
  /** 0 = head (where the agent runs); workers 1..N-1. */
  rank: number
  /** Internal IP, as listed in SKYPILOT_NODE_IPS. */
  ip: string
  /** The node's home directory: HOME for jobs, and the parent of `sky_workdir`. */
  home: string
  /**
   * How the head reaches this node (not which infra it is on): `local` = the head's own machine
   * (the head itself, local nodes), `ssh` = over SSH (SSH pools, VMs, pods running sshd).
   */
  kind: 'local' | 'ssh'
  /** How the head reaches this worker (kind 'ssh', rank > 0). */
  ssh?: SshTarget
  /** Overrides the cluster-wide per-node capacity for this node. */
  capacity?: NodeCapacity
  /** Scratch dir for job files on an ssh worker; default `<home>/.sky-runtime`. */
  runtimeDir?: string
  /**
   * Physical GPU indices this node was given (local nodes share one machine: each cluster gets
   * disjoint devices). Job allocations index into it; absent = devices 0..count-1.
   */
  gpuIndices?: number[]
}

/** cluster.json: written by the provisioner through `init`. */
export interface ClusterSpec {
  name: string
  cloud: string | null
  region: string | null
  zone: string | null
  /** Nodes in rank order (head first). */
  nodes: NodeSpec[]
  /** Capacity of each node unless the node overrides it. */
  capacity: NodeCapacity
  /** Shell command the agent runs when autostop/autodown fires (env SKY_AUTOSTOP_DOWN=1 for down). */
  onAutostop?: string | null
  /**
   * Put in the environment of every process the cluster runs (SKY_AGENT_CLUSTER_TAG), so
   * teardown can find and kill all of them, even ones that left their process group.
   */
  tag?: string | null
  /**
   * Local clusters: the directory of the agent host, one resident process serving every local
   * cluster's agent, instead of one daemon per cluster.
   */
  agentHost?: string | null
  /** Length of one autostop minute in ms (default 60000); set only by a test server (src/core/testing.ts). */
  autostopMinuteMs?: number
  /**
   * Local clusters of a deployed server: the unprivileged account the cluster's jobs (and lifecycle
   * hooks) run as; the agent itself stays with the server.
   */
  runAs?: { user: string; uid: number; gid: number } | null
}

export interface Demand {
  /** Per node. Default 0.5 (SkyPilot's default task CPU demand). */
  cpus?: number
  memoryGb?: number
  gpus?: GpuSpec | null
}

/** The `submit` request body. */
export interface SubmitSpec {
  name: string | null
  user: string
  userHash: string
  numNodes: number
  demand: Demand
  setup: string | null
  run: string | null
  envs: Record<string, string>
  secrets: Record<string, string>
  workdir: string | null
  priority: number
  taskId: string | null
  /** The same key submitted again returns the first job instead of starting another. */
  idempotencyKey?: string | null
}

/** What one job rank holds on one node while it runs. */
export interface RankAlloc {
  /** Cluster rank of the node. */
  node: number
  /** Milli-CPUs. */
  cpuMilli: number
  /** Megabytes. */
  memMb: number
  /** GPU device indices given to the job on this node. */
  gpuIndices: number[]
  /** Thousandths of a device taken from each index in gpuIndices. */
  gpuMilli: number
}

/** A started rank process, persisted so a restarted daemon can adopt it. */
export interface RankProc {
  /** Job rank (0 = the job's head). */
  rank: number
  /** Cluster rank of the node it runs on. */
  node: number
  phase: 'setup' | 'run'
  /** Process group id (= pid of the wrapper, a session leader). */
  pgid: number
  remote: boolean
  /** Bytes of the remote rank log already copied into run.log. */
  offset?: number
}

/** One row of `queue`. Times are epoch milliseconds. */
export interface JobInfo {
  id: number
  name: string | null
  user: string
  userHash: string
  submittedAt: number
  startedAt: number | null
  endedAt: number | null
  resources: string
  status: JobStatus
  exitCode: number | null
  exitCodes: (number | null)[] | null
  priority: number
  numNodes: number
  taskId: string
  logPath: string
  failure: string | null
  idempotencyKey: string | null
}

export type WaitFor = 'jobs_and_ssh' | 'jobs' | 'none'

/** autostop.json */
/** A task's lifecycle hook (`config.hooks`, or `resources.autostop.hook`): run before stop/down. */
export interface LifecycleHook {
  run: string
  events: ('stop' | 'preemption' | 'down')[]
  /** Seconds. */
  timeout: number
}

export interface AutostopConfig {
  /** Hooks run (in order, each within its timeout) before autostop stops or tears down the cluster. */
  hooks?: LifecycleHook[]
  /** < 0 = disabled. */
  idleMinutes: number
  down: boolean
  waitFor: WaitFor
  /** When it was last set (epoch ms); the `none` timer counts from here. */
  setAt: number
  /** Boot time of the machine when it was set; a reboot resets the timer. */
  bootTime: number | null
}
