// The provisioner contract (v2). One folder per infra under src/core/provision/<infra>/ holds a
// descriptor (static facts, SDK-free, safe for the CLI to import) and a provisioner (loaded only
// on the server, where the infra's SDK may be used). Nothing infra-specific lives outside that
// folder; the registry (registry.ts) lists the descriptors. Every provisioner passes the shared
// conformance suite in test/conformance/ against its test peer.
//
// Who calls what (src/core/clusters/ orchestrates; provisioners never touch the state store):
//
//   optimizer candidate ─► LaunchedResources (persisted on the INIT row *before* any call below)
//     provision(req)      create or resume the nodes, tagged with nameOnCloud   → ProvisionRecord
//     wait(ref)           until every node is running (typed errors on failure)
//     clusterInfo(ref)    how to reach each node                                  → ClusterHandle
//     setupRuntime(h)     install this binary without root in the login user's home (or no-op)
//     agent(h) / runner(h, rank) / clusterSpec(ref)   → the cluster layer starts the agent
//   later: query(ref) · stop(ref) · terminate(ref) · openPorts / cleanupPorts / endpoints
//
// Failure contract: provision/wait throw ProvisionFailure subclasses from ./errors
// (CapacityError → zone, QuotaError → region, InfraAuthError / InfraConfigError /
// UnsupportedError → infra, FatalProvisionError → stop). Anything else thrown is treated as fatal
// (a bug is never "failed over"). After a failed attempt the cluster layer calls terminate(ref)
// so a partly made attempt never leaks.
import type { ClusterSpec, NodeCapacity, NodeSpec } from '../agent/types'
import type { LiveNode } from '../infra/types'
import type { CommandRunner } from '../runner/types'

// ── What an infra can do ────────────────────────────────────────────────────────────────────

/** Declared by each infra; `sky check`, the optimizer and the CLI derive what is possible. */
export interface Capabilities {
  /** Nodes can be stopped and started again with their disks (sky stop, autostop without --down). */
  stop: boolean
  /** Spot / preemptible capacity (`use_spot`). */
  spot: boolean
  /** Clusters of more than one node. */
  multiNode: boolean
  /** Ports opened to clients (`resources.ports`): firewall rules, security groups, Services. */
  ports: boolean
  /** GPUs or other accelerators. */
  gpus: boolean
  /** Cloud storage (buckets) for file_mounts. */
  storage: boolean
  /** Tasks in a container image (`image_id: docker:...`). */
  containers: boolean
  /** Volumes (`volumes:`, Kubernetes PVCs). */
  volumes: boolean
  /** Zones exist below regions (failover tries every zone of a region first). */
  zones: boolean
  /** `image_id` is honoured. */
  images: boolean
  /** `disk_size` / `disk_tier` are honoured. */
  disks: boolean
  /** The node agent can release the compute itself (autostop/autodown keep working without the server). */
  autostop: boolean
}

export type CapabilityName = keyof Capabilities

// ── What the optimizer chose, as the provisioner receives it ────────────────────────────────

/**
 * The launched resources: the optimizer's chosen candidate made concrete, per node. Written to
 * the cluster row (status INIT) before the provider is asked for anything, and re-requested
 * exactly by `start` and by recovery. JSON-serializable; never holds secrets.
 */
export interface LaunchedResources {
  infra: string
  /** Cloud region, Kubernetes context, SSH pool name, or `local`. */
  region: string
  /** The zone the nodes are in (for a provision attempt: the zone to try); null when zone-less. */
  zone: string | null
  /** Catalog instance type, or a virtual one (`4CPU--16GB--L4:1`) on live infra. */
  instanceType: string | null
  useSpot: boolean
  numNodes: number
  /** Per node. Fractional CPUs are allowed where the infra shares machines (local, Kubernetes). */
  cpus: number
  memoryGb: number
  accelerators: { name: string; count: number } | null
  diskSizeGb: number | null
  diskTier: string | null
  networkTier: string | null
  imageId: string | null
  /** `8080`, `9000-9010`: opened on launch when the infra has the `ports` capability. */
  ports: string[]
  /** User labels (cloud tags / Kubernetes labels), on top of the cluster tags. */
  labels: Record<string, string>
  /** Live infra: the nodes the optimizer picked (SSH hosts, Kubernetes nodes), in rank order. */
  hosts: string[] | null
  /** USD per hour for one node (0 on live infra). */
  hourlyPrice: number
  /**
   * Infra settings fixed when the launch was planned (descriptor.launchConfig: e.g. the Kubernetes
   * namespace and pod_config from the config and the task's `config:`), so start, recovery and
   * teardown use what the cluster was made with.
   */
  providerConfig?: Record<string, unknown> | null
}

/** Which cluster: its names plus what it was asked to be (and, once made, how to reach it). */
export interface ClusterRef {
  /** The user's cluster name. */
  name: string
  /** The name provider resources carry (see naming.ts): tags, labels, directories. */
  nameOnCloud: string
  resources: LaunchedResources
  /** Null until clusterInfo returned once (a crash may leave provider resources without it). */
  handle: ClusterHandle | null
}

export interface OpOptions {
  signal?: AbortSignal
  log?: (line: string) => void
}

export interface ProvisionRequest {
  cluster: { name: string; nameOnCloud: string; userHash: string }
  /** `zone` set to the one zone to try (null on zone-less infra). */
  resources: LaunchedResources
  /** Tags every provider resource of the cluster must carry (see clusterTags in naming.ts). */
  tags: Record<string, string>
  /** Existing nodes to resume (start, or a resumed launch); null for a fresh attempt. */
  resume: ClusterHandle | null
  signal: AbortSignal
  log: (line: string) => void
}

/** What provision() made (SkyPilot's ProvisionRecord). */
export interface ProvisionRecord {
  infra: string
  region: string
  zone: string | null
  /** Provider ids, head first when known. */
  createdIds: string[]
  resumedIds: string[]
}

// ── How to reach a cluster ──────────────────────────────────────────────────────────────────

/** One node as the API server knows it: the agent's NodeSpec plus provider facts. */
export interface NodeHandle extends NodeSpec {
  /** Provider id (instance id, pod name, `host:port`, node directory). */
  id: string
  /** How the API server reaches the node; provider-specific, never sent to clients or nodes. */
  connect?: unknown
}

/** Stored as the cluster row's handle; what clients see of it comes from the descriptor. */
export interface ClusterHandle {
  infra: string
  region: string | null
  zone: string | null
  nameOnCloud: string
  /** Rank order; node 0 is the head, where the agent runs. */
  nodes: NodeHandle[]
  headIp: string
  /** Agent runtime dir on the head node. */
  runtimeDir: string
  /** Shell words that run this binary on the head node (before `_agent ...`). */
  agentCmd: string[]
  /** Per node, as launched (what jobs are scheduled against). */
  capacity: NodeCapacity
  instanceType: string | null
  /** Provider-specific data (VPC, security group, namespace...), opaque to everything else. */
  provider?: Record<string, unknown>
}

// ── What the provider says ──────────────────────────────────────────────────────────────────

/**
 * A node as the provider sees it. `unknown`: the provider could not be asked (network blip,
 * unreachable host); callers must not change a cluster's status on it.
 */
export type NodeState = 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated' | 'unknown'

export interface NodeStatus {
  id: string
  /** Rank when known (provider tags carry it). */
  rank: number | null
  state: NodeState
  /** Why (spot preemption, host unreachable...), for events and `sky status -v`. */
  reason?: string
}

export interface PortEndpoint {
  port: number
  /** `host:port` a client can connect to. */
  address: string
}

// ── The node agent, reached through the provisioner ─────────────────────────────────────────

/** Calls into the head node's agent (`sky _agent <sub>`): over a runner, or in-process on local. */
export interface AgentTransport {
  /** Run a subcommand; its JSON result, or its typed error. */
  call<T>(sub: string, args?: string[], stdin?: unknown, signal?: AbortSignal): Promise<T>
  /** Stream a job's log; resolves with the agent's exit code (0/100/101/102/103). */
  logs(o: { job?: number; follow: boolean; tail?: number; onChunk: (s: string) => void; onStderr?: (s: string) => void; signal?: AbortSignal }): Promise<number>
  close(): Promise<void>
}

// ── The contract ────────────────────────────────────────────────────────────────────────────

export interface Provisioner {
  readonly infra: string
  readonly capabilities: Capabilities
  /** Create the nodes, or resume `req.resume`'s. Idempotent for the same cluster and zone. */
  provision(req: ProvisionRequest): Promise<ProvisionRecord>
  /** Until every node runs (or a typed error). */
  wait(ref: ClusterRef, o: OpOptions): Promise<void>
  /** How to reach each node, in rank order. */
  clusterInfo(ref: ClusterRef, o: OpOptions): Promise<ClusterHandle>
  /** Make the head able to run the agent (install this binary); returns the final handle. */
  setupRuntime(handle: ClusterHandle, o: OpOptions): Promise<ClusterHandle>
  /** Each node as the provider sees it; works without a handle (finds resources by tag). */
  query(ref: ClusterRef, o?: OpOptions): Promise<NodeStatus[]>
  /**
   * Optional: `query` for many clusters at once (one provider call per region, not per cluster),
   * keyed by cluster name; clusters it could not ask about are left out. Used by refresh.
   */
  queryMany?(refs: ClusterRef[], o?: OpOptions): Promise<Map<string, NodeStatus[]>>
  /** Release compute, keep disks. Only when capabilities.stop. Idempotent. */
  stop(ref: ClusterRef, o: OpOptions): Promise<void>
  /**
   * Remove everything the cluster made, found by tag when the handle is missing, and verify it
   * is gone (every process / instance). Idempotent: terminating twice succeeds.
   */
  terminate(ref: ClusterRef, o: OpOptions): Promise<void>
  /** Open `resources.ports` (firewall, security group, Service). Only when capabilities.ports. */
  openPorts(ref: ClusterRef, ports: string[], o: OpOptions): Promise<void>
  cleanupPorts(ref: ClusterRef, o: OpOptions): Promise<void>
  /** Where clients reach each opened port. */
  endpoints(ref: ClusterRef, ports: string[]): Promise<PortEndpoint[]>
  /** A runner for one node (commands, uploads). */
  runner(handle: ClusterHandle, rank: number): CommandRunner
  /** The head agent. */
  agent(handle: ClusterHandle): AgentTransport
  /** The cluster description the head agent gets (cluster.json). */
  clusterSpec(ref: ClusterRef & { handle: ClusterHandle }): ClusterSpec
  /** Clusters the provider holds resources for (by tag), for reconciling after a crash. */
  listClusters(o?: OpOptions): Promise<string[]>
  /**
   * Optional, for nodes plain OpenSSH cannot reach (Kubernetes pods): a byte stream to an SSH
   * server on node `rank`, carried through the API server for `ssh <cluster>` (sky _ssh-proxy).
   * Resolves when the stream ends.
   */
  sshStream?(handle: ClusterHandle, rank: number, io: { input: AsyncIterable<Uint8Array>; onData: (b: Uint8Array) => void; onError: (text: string) => void; signal: AbortSignal }): Promise<void>
}

// ── The infra descriptor: static facts, no SDKs (the CLI imports these) ─────────────────────

export type CheckCapability = 'compute' | 'storage'

/** One `sky check` line. */
export interface InfraCheck {
  infra: string
  /** True only when this build can provision there and the credentials were validated. */
  enabled: boolean
  /** Enabled: where access comes from. Disabled: why (`not supported by this build`, `credentials invalid: ...`). */
  reason: string
  /** SSH pools or Kubernetes contexts that can be used; `['local']` for the local infra. */
  regions?: string[]
  capabilities: CheckCapability[]
  /** `sky check -v`: what was looked at (contexts, pools, config filters) beyond the reason. */
  details?: string[]
}

export interface CheckContext {
  env: Record<string, string | undefined>
  home: string
  /** Merged config (allowed contexts / pools...). */
  config?: Record<string, unknown>
  /** Whether a cheap API call may be made to validate credentials (false in unit tests). */
  validate: boolean
}

/** A host entry for the generated OpenSSH config (`ssh <cluster>`). */
export interface SshHostEntry {
  alias: string
  hostName: string
  user: string
  port: number
  identityFile?: string
  proxyJump?: string
  proxyCommand?: string
  /** known_hosts with the node's recorded key: then checked strictly (else not checked). */
  knownHostsFile?: string
}

export interface InfraDescriptor {
  /** Registry key, lower case: `aws`. */
  name: string
  /** How SkyPilot prints it: `AWS`, `Kubernetes`, `SSH`, `Local`. */
  displayName: string
  /** Other spellings users type (`k8s`). */
  aliases?: string[]
  /** `cloud`: catalog prices per region/zone; `live`: nodes with capacity, no price. */
  kind: 'cloud' | 'live'
  capabilities: Capabilities
  /** Search order and tie-break at equal cost in the optimizer (lower first). */
  planRank: number
  /** How `sky check` titles the regions it lists (`Node pools`, `Allowed contexts`). */
  regionsLabel?: string
  /** What one of its regions is called in `sky check -v` (`Pools`, `Contexts`; default `Regions`). */
  regionsNoun?: string
  /**
   * The config list under this infra's section that narrows its regions (`allowed_contexts`,
   * `allowed_node_pools`); `ordered`: regions are tried in the list's order.
   */
  regionsAllowList?: { key: string; ordered: boolean }
  /** The INFRA column: `SSH (my-pool)`, `AWS (us-east-1)`, `Local`. */
  label(region: string | null | undefined, zone: string | null | undefined): string
  /** Settings of a launch in `region` to keep with its launched resources (config + the task's `config:`). */
  launchConfig?(region: string, taskConfig: Record<string, unknown> | undefined): Record<string, unknown>
  /** `sky check` for this infra. Must not load SDKs unless validating with a provisioner present. */
  check(ctx: CheckContext): Promise<InfraCheck>
  /** Live infra: nodes with what is still free (for the optimizer). */
  liveNodes?(check: InfraCheck): Promise<LiveNode[]>
  /** What a client may see of a handle (no connect info, no secrets). */
  clientHandle(handle: ClusterHandle): Record<string, unknown>
  /** `ssh <cluster>` entries; absent when nodes cannot be reached with plain OpenSSH. */
  sshConfig?(name: string, handle: ClusterHandle): SshHostEntry[]
  /**
   * Loads the provisioner (server side only). Absent: the infra is planned and checked but not
   * launchable in this build. Cloud SDKs must stay out of the CLI's module graph: load them from
   * an embedded bundle (see design.md, start-up budget), never with a static import here.
   */
  load?: () => Promise<Provisioner>
}
