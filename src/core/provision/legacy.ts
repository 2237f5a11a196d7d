// The v1 provisioner interface, kept only until local and ssh move to the v2 contract in types.ts.
import type { ClusterSpec, NodeCapacity, NodeSpec } from '../agent/types'
import type { CommandRunner } from '../runner/types'

/** Everything needed to reach a cluster again; stored as the cluster row's `handle`. */
export interface ClusterHandle {
  cloud: string
  region: string | null
  zone: string | null
  /** Nodes in rank order; node 0 is the head, where the agent runs. */
  /** `connect`: how the API server reaches the node (SSH target), kept out of cluster.json. */
  nodes: (NodeSpec & { connect?: unknown })[]
  headIp: string
  /** Agent runtime dir on the head node. */
  runtimeDir: string
  /** Shell words that run this binary on the head node (before `_agent ...`). */
  agentCmd: string[]
  capacity: NodeCapacity
  instanceType: string | null
}

export interface ProvisionRequest {
  clusterName: string
  numNodes: number
  region: string | null
  zone: string | null
  capacityNeeded: NodeCapacity
  /** Live infra: the nodes the optimizer picked (SSH hosts), in rank order. */
  nodeNames?: string[]
  /** Set when re-provisioning a known (stopped or partly made) cluster. */
  existing?: ClusterHandle | null
  signal: AbortSignal
  log: (line: string) => void
}

export interface Provisioner {
  readonly name: string
  /** Create or restart the nodes and return how to reach them. Idempotent. */
  provision(req: ProvisionRequest): Promise<ClusterHandle>
  /** A runner for one node. */
  runner(handle: ClusterHandle, rank: number): CommandRunner
  /** Release compute but keep disks (local: kill processes, keep the node dirs). */
  stop(handle: ClusterHandle): Promise<void>
  /** Remove everything the cluster made. Idempotent. */
  terminate(handle: ClusterHandle): Promise<void>
  /** The cluster description the head agent gets. */
  clusterSpec(name: string, handle: ClusterHandle): ClusterSpec
  /** Whether `stop` is supported (SSH pools can only be torn down). */
  readonly canStop: boolean
}
