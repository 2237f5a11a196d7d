// The local provisioner. A cluster is `$SKY_HOME/local/<name-on-cloud>/`: its allocation
// (allocation.ts), one directory per node (`node-<rank>`, the node's HOME) and the processes it
// runs, every one of which carries SKY_AGENT_CLUSTER_TAG=<tag> in its environment; that tag and the
// directory are how teardown finds everything, with or without a handle. Agents of all local
// clusters run in one resident agent host, reached in-process (no process per agent call).
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { ensureSandboxUser, sandboxed } from '../../sandbox/users'
import { join } from 'node:path'
import type { ClusterSpec } from '../../agent/types'
import { InternalError } from '../../errors'
import { LocalRunner } from '../../runner/local'
import { localAgentCommand, shellQuote } from '../agent-command'
import { inProcessTransport } from '../agent-transport'
import { CapacityError } from '../errors'
import type { AgentTransport, ClusterHandle, ClusterRef, NodeStatus, OpOptions, PortEndpoint, ProvisionRecord, ProvisionRequest, Provisioner } from '../types'
import { local } from './descriptor'
import {
  allocate,
  clusterDir,
  clusterDirs,
  isStopped,
  localDir,
  nodeRequest,
  readAllocation,
  stoppedMarker,
  withLedger,
  writeAllocation,
  type Allocation,
} from './allocation'

const TAG_VAR = 'SKY_AGENT_CLUSTER_TAG'

/** The tag every process of the cluster carries: from its directory, so unique per SKY_HOME. */
export function localTag(nameOnCloud: string): string {
  return `local-${Bun.hash(clusterDir(nameOnCloud)).toString(36)}`
}

const nodeHome = (nameOnCloud: string, rank: number) => join(clusterDir(nameOnCloud), `node-${rank}`)
/** The agent's directory: in the head's home, or (sandboxed) beside it, out of the job's reach. */
const runtimeDir = (nameOnCloud: string, sandbox: boolean) => (sandbox ? join(clusterDir(nameOnCloud), 'runtime') : join(nodeHome(nameOnCloud, 0), '.sky-runtime'))
export const agentHostDir = () => join(localDir(), '.agent-host')

function handleFrom(a: Allocation): ClusterHandle {
  const head = a.nodes[0]!
  return {
    infra: 'local',
    region: 'local',
    zone: null,
    nameOnCloud: a.nameOnCloud,
    nodes: a.nodes.map((n) => ({
      id: `node-${n.rank}`,
      rank: n.rank,
      ip: n.ip,
      home: nodeHome(a.nameOnCloud, n.rank),
      kind: 'local' as const,
      ...(n.gpuIndices.length ? { gpuIndices: n.gpuIndices } : {}),
    })),
    headIp: head.ip,
    runtimeDir: runtimeDir(a.nameOnCloud, !!a.runAs),
    agentCmd: localAgentCommand(),
    capacity: { cpus: head.cpus, memoryGb: head.memoryGb, gpus: head.gpuName && head.gpuIndices.length ? { name: head.gpuName, count: head.gpuIndices.length } : null },
    instanceType: null,
  }
}

/** Stop the cluster's agent (in the host) and every process carrying its tag; verify none is left. */
async function killAll(ref: ClusterRef): Promise<void> {
  const root = ref.handle?.runtimeDir ?? runtimeDir(ref.nameOnCloud, !!readAllocation(ref.nameOnCloud)?.runAs)
  if (existsSync(join(root, 'agent.db'))) {
    await inProcessTransport(root)
      .call('stop-all')
      .catch(() => undefined)
  }
  const { killTagged } = await import('../../agent/proc')
  const left = await killTagged(localTag(ref.nameOnCloud), TAG_VAR)
  if (left.length) {
    throw new InternalError(`Processes of cluster '${ref.name}' did not exit after SIGKILL (pids ${left.join(', ')}); try again.`, {
      details: { pids: left },
    })
  }
}

/**
 * A sandboxed cluster's directories: the sandbox dir and the cluster's (root, 0711: passable, not
 * listable), the agent's (root, 0700) and each node's home (the sandbox user's, 0700).
 */
function prepareSandbox(nameOnCloud: string, a: Allocation): void {
  const u = a.runAs!
  for (const d of [localDir(), clusterDir(nameOnCloud)]) {
    mkdirSync(d, { recursive: true })
    chmodSync(d, 0o711)
  }
  for (const d of [agentHostDir(), runtimeDir(nameOnCloud, true)]) {
    mkdirSync(d, { recursive: true, mode: 0o700 })
    chmodSync(d, 0o700)
  }
  for (const n of a.nodes) {
    const home = nodeHome(nameOnCloud, n.rank)
    mkdirSync(home, { recursive: true, mode: 0o700 })
    chownSync(home, u.uid, u.gid)
    chmodSync(home, 0o700)
  }
}

export const localProvisioner: Provisioner = {
  infra: 'local',
  capabilities: local.capabilities,

  async provision(req: ProvisionRequest): Promise<ProvisionRecord> {
    const { name, nameOnCloud } = req.cluster
    const r = req.resources
    // On a deployed server that allows this machine: the owner's sandbox account (made on first use).
    const runAs = sandboxed() ? ensureSandboxUser(req.cluster.userHash) : undefined
    const made = await withLedger(() => {
      const prev = readAllocation(nameOnCloud)
      // Already holding its share: nothing to do (a repeated or resumed provision).
      if (prev && !isStopped(nameOnCloud)) return prev
      const a: Allocation = { ...allocate(name, nameOnCloud, r.numNodes, nodeRequest(r), prev), ...(runAs ? { runAs } : {}) }
      writeAllocation(a)
      rmSync(stoppedMarker(nameOnCloud), { force: true })
      return a
    }, req.signal)
    if (made.runAs) prepareSandbox(nameOnCloud, made)
    else for (const n of made.nodes) mkdirSync(nodeHome(nameOnCloud, n.rank), { recursive: true })
    if (made.nodes.length !== r.numNodes) {
      throw new CapacityError(`Cluster '${name}' already has ${made.nodes.length} local nodes; ${r.numNodes} were asked for.`, { infra: 'local', scope: 'stop' })
    }
    req.log(`└── ${made.nodes.length === 1 ? 'Node is' : `${made.nodes.length} nodes are`} up.`)
    const ids = made.nodes.map((n) => `node-${n.rank}`)
    return { infra: 'local', region: 'local', zone: null, createdIds: req.resume ? [] : ids, resumedIds: req.resume ? ids : [] }
  },

  async wait() {},

  async clusterInfo(ref: ClusterRef): Promise<ClusterHandle> {
    const a = readAllocation(ref.nameOnCloud)
    if (!a) throw new InternalError(`Local cluster '${ref.name}' has no allocation; provision it first.`)
    return handleFrom(a)
  },

  async setupRuntime(handle: ClusterHandle) {
    return handle
  },

  async query(ref: ClusterRef): Promise<NodeStatus[]> {
    const a = readAllocation(ref.nameOnCloud)
    const n = ref.resources.numNodes
    if (!a) return Array.from({ length: n }, (_, rank) => ({ id: `node-${rank}`, rank, state: 'terminated' as const }))
    const stopped = isStopped(ref.nameOnCloud)
    return a.nodes.map((x) => ({
      id: `node-${x.rank}`,
      rank: x.rank,
      state: stopped ? ('stopped' as const) : existsSync(nodeHome(ref.nameOnCloud, x.rank)) ? ('running' as const) : ('terminated' as const),
    }))
  },

  async stop(ref: ClusterRef): Promise<void> {
    await killAll(ref)
    if (existsSync(clusterDir(ref.nameOnCloud))) await withLedger(() => Bun.write(stoppedMarker(ref.nameOnCloud), `${Date.now()}\n`))
  },

  async terminate(ref: ClusterRef): Promise<void> {
    await killAll(ref)
    const dir = clusterDir(ref.nameOnCloud)
    // An agent that was just told to stop may still be closing its DB (WAL files) for a moment.
    for (let i = 0; i < 40 && existsSync(dir); i++) {
      await withLedger(() => {
        try {
          rmSync(dir, { recursive: true, force: true })
        } catch {}
      })
      if (existsSync(dir)) await Bun.sleep(50)
    }
    if (existsSync(dir)) throw new InternalError(`Could not remove ${dir}.`)
  },

  // Nodes listen on their own loopback address; nothing stands between them and local clients.
  async openPorts() {},
  async cleanupPorts() {},
  async endpoints(ref: ClusterRef, ports: string[]): Promise<PortEndpoint[]> {
    const ip = ref.handle?.headIp ?? readAllocation(ref.nameOnCloud)?.nodes[0]?.ip
    if (!ip) return []
    return expandPorts(ports).map((port) => ({ port, address: `${ip}:${port}` }))
  },

  runner(handle: ClusterHandle, rank: number) {
    const node = handle.nodes[rank]!
    const runAs = readAllocation(handle.nameOnCloud)?.runAs
    return new LocalRunner({ label: `local:node-${rank}`, home: node.home, env: { [TAG_VAR]: localTag(handle.nameOnCloud) }, ...(runAs ? { runAs } : {}) })
  },

  agent(handle: ClusterHandle): AgentTransport {
    return inProcessTransport(handle.runtimeDir)
  },

  clusterSpec(ref): ClusterSpec {
    const h = ref.handle
    const agent = [...h.agentCmd, '_agent'].map(shellQuote).join(' ')
    const dir = shellQuote(clusterDir(ref.nameOnCloud))
    // Autostop releases the share itself: stop → kill everything, mark STOPPED; down → remove it.
    const release = `if [ "$SKY_AUTOSTOP_DOWN" = 1 ]; then rm -rf ${dir}; else date +%s > ${shellQuote(stoppedMarker(ref.nameOnCloud))}; fi`
    return {
      name: ref.name,
      cloud: 'local',
      region: 'local',
      zone: null,
      nodes: h.nodes.map(({ connect: _c, id: _i, ...n }) => n),
      capacity: h.capacity,
      onAutostop: `${agent} stop-all --root ${shellQuote(h.runtimeDir)}; ${release}`,
      tag: localTag(ref.nameOnCloud),
      agentHost: agentHostDir(),
      runAs: ((u) => (u ? { user: u.name, uid: u.uid, gid: u.gid } : null))(readAllocation(ref.nameOnCloud)?.runAs),
    }
  },

  async listClusters(): Promise<string[]> {
    return clusterDirs()
  },
}

/** `8080`, `9000-9002` → [8080, 9000, 9001, 9002]. */
export function expandPorts(ports: string[]): number[] {
  const out: number[] = []
  for (const p of ports) {
    const [a, b] = p.split('-').map(Number)
    if (!Number.isInteger(a)) continue
    for (let x = a!; x <= (Number.isInteger(b) ? b! : a!) && out.length < 10_000; x++) out.push(x)
  }
  return out
}
