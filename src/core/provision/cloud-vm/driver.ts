// What a cloud's VM API must offer so the shared cloud-VM provisioner (./provisioner.ts) can run
// clusters on it. A cloud folder (src/core/provision/aws/, .../gcp/) implements CloudVmDriver with
// its SDK; everything else — idempotent create-or-resume with ranks, waiting, SSH through an
// optional proxy command, installing the runtime without root, node-to-node keys, autostop on the
// node, queries batched per region, teardown that verifies, orphan reconciliation — is shared.
//
// Every instance of a cluster carries these tags (AWS tags, GCP labels: lower case, digits, `-`):
//   skypilot-cluster-name = <name on cloud>   how every operation finds the cluster's instances
//   skypilot-node-rank    = 0..N-1            rank (0 = head); set at creation, repaired on resume
//   skypilot-head-node    = 1 | 0
//   skypilot-server       = <server id>       which API server made it (orphan reconciliation)
//   skypilot-user, skypilot-display-name      from the cluster layer, plus the user's labels
// Drivers throw the typed failures of ../errors.ts (see ./failover.ts for a table-driven mapper).
import type { Capabilities, LaunchedResources, NodeState } from '../types'

export const TAG_CLUSTER = 'skypilot-cluster-name'
export const TAG_RANK = 'skypilot-node-rank'
export const TAG_HEAD = 'skypilot-head-node'
export const TAG_SERVER = 'skypilot-server'
export const TAG_USER = 'skypilot-user'

/** One instance as the driver reads it from the cloud. */
export interface VmInstance {
  id: string
  /** Name on cloud, from TAG_CLUSTER. */
  cluster: string
  /** From TAG_RANK; null when the tag is missing (a crash between create and tagging). */
  rank: number | null
  state: NodeState
  /** The cloud's word for the state and why (spot preemption, user initiated), for messages. */
  reason?: string
  zone: string | null
  privateIp: string | null
  publicIp: string | null
  spot: boolean
  /** TAG_SERVER, when present. */
  server?: string
  /** TAG_USER: whose key the instance was launched with. */
  userHash?: string
  /** Creation time (ms), for ordering and orphan age. */
  launchedAt?: number
}

export interface VmOpOptions {
  signal?: AbortSignal
  log?: (line: string) => void
}

export interface BootstrapRequest {
  region: string
  /** The zone to launch in. */
  zone: string | null
  nameOnCloud: string
  userHash: string
  /** The user's SSH public key (`ssh-ed25519 AAAA… comment`) and a short fingerprint of it. */
  publicKey: string
  keyFingerprint: string
  resources: LaunchedResources
  signal: AbortSignal
  log: (line: string) => void
}

export interface CreateRequest extends BootstrapRequest {
  /** What bootstrap returned (network, firewall, key names), opaque to the shared code. */
  network: Record<string, unknown>
  /** One new instance per rank, created together (all or none). */
  ranks: number[]
  /** Tags for every new instance (cluster, user, server, labels); the driver adds TAG_RANK / TAG_HEAD per instance. */
  tags: Record<string, string>
}

/** How the API server (and `ssh <cluster>`) reaches the nodes of a region. */
export interface VmAccess {
  /** Login user of the image (`ubuntu` on AWS). */
  user: string
  /** Dial private IPs (the API server is inside the network, or a proxy command gets there). */
  useInternalIps: boolean
  /** OpenSSH-style ProxyCommand with %h/%p, or null. */
  proxyCommand: string | null
}

/** What the head node needs to stop or terminate its own cluster (autostop), or null when it cannot. */
export interface NodeRelease {
  /** Environment for the release command (endpoints, credential file locations relative to $HOME). */
  env: Record<string, string>
  /** Files written under the head's runtime dir (credentials), 0600. */
  files: { name: string; content: string }[]
}

export interface CloudVmDriver {
  readonly infra: string
  readonly displayName: string
  readonly capabilities: Capabilities
  /** Give up on instances that make no progress towards running after this long (AWS 90 s). */
  readonly bootTimeoutMs: number
  access(region: string, r: LaunchedResources): VmAccess
  /** Networking, firewall / security group (SSH + the task's ports), key registration. Idempotent. */
  bootstrap(req: BootstrapRequest): Promise<Record<string, unknown>>
  /** Create one instance per rank in req.zone; ids in the order of req.ranks. Typed errors. */
  create(req: CreateRequest): Promise<string[]>
  /** Tag an instance of cluster `nameOnCloud` with its rank (and head flag). */
  setRank(region: string, nameOnCloud: string, id: string, rank: number, o?: VmOpOptions): Promise<void>
  /** Instances of these clusters in the region (null: every instance any sky made there). Terminated ones too, while the cloud lists them. */
  list(region: string, clusters: string[] | null, o?: VmOpOptions): Promise<VmInstance[]>
  start(region: string, ids: string[], o?: VmOpOptions): Promise<void>
  stop(region: string, ids: string[], o?: VmOpOptions): Promise<void>
  terminate(region: string, ids: string[], o?: VmOpOptions): Promise<void>
  openPorts(region: string, nameOnCloud: string, ports: string[], o?: VmOpOptions): Promise<void>
  closePorts(region: string, nameOnCloud: string, ports: string[], o?: VmOpOptions): Promise<void>
  /** After every instance is gone: what bootstrap made for the cluster alone (security group, firewall rules). */
  cleanup(region: string, nameOnCloud: string, o?: VmOpOptions): Promise<void>
  /** Regions to look in for tagged instances (orphan reconciliation, listClusters). */
  regions(): string[]
  /** What the head needs to release its own instances; null when it cannot (the server does it). */
  nodeRelease(region: string): Promise<NodeRelease | null>
}
