// The `local` infra: this machine as a provider. Each node is a directory under
// $SKY_HOME/local/<cluster>/node-<rank> plus the processes the agent starts there; CPUs, memory
// and GPUs come from detection (or `local.*` config) and are enforced by the agent as capacity.
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ClusterSpec } from '../../agent/types'
import { loadConfig } from '../../config'
import { ResourcesUnavailableError } from '../../errors'
import { detectLocalCapacity } from '../../infra/local-capacity'
import { paths } from '../../paths'
import { LocalRunner } from '../../runner/local'
import { localAgentCommand, shellQuote } from '../agent-command'
import type { ClusterHandle, ProvisionRequest, Provisioner } from '../legacy'

export function localCapacity() {
  const cap = detectLocalCapacity(loadConfig())
  return { cpus: cap.cpus, memoryGb: cap.memoryGb, gpus: cap.gpus ? { name: cap.gpus.name, count: cap.gpus.count } : null }
}

/** Remove a local cluster's node directories by name (also when no handle was ever saved). */
export function removeLocalCluster(name: string): void {
  rmSync(join(paths.localNodesDir(), name), { recursive: true, force: true })
}

export const localProvisioner: Provisioner = {
  name: 'local',
  canStop: true,

  async provision(req: ProvisionRequest): Promise<ClusterHandle> {
    const capacity = localCapacity()
    const need = req.capacityNeeded
    if (need.cpus > capacity.cpus || need.memoryGb > capacity.memoryGb || (need.gpus && (!capacity.gpus || need.gpus.count > capacity.gpus.count))) {
      throw new ResourcesUnavailableError(`This machine cannot hold the request (it has ${capacity.cpus} CPUs, ${capacity.memoryGb} GB memory${capacity.gpus ? `, ${capacity.gpus.count}x ${capacity.gpus.name}` : ', no GPUs'}).`)
    }
    const base = join(paths.localNodesDir(), req.clusterName)
    const nodes = Array.from({ length: req.numNodes }, (_, rank) => {
      const home = join(base, `node-${rank}`)
      mkdirSync(home, { recursive: true })
      return { rank, ip: '127.0.0.1', home, kind: 'local' as const }
    })
    req.log(`└── ${req.numNodes === 1 ? 'Node is' : `${req.numNodes} nodes are`} up.`)
    return {
      cloud: 'local',
      region: 'local',
      zone: null,
      nodes,
      headIp: '127.0.0.1',
      runtimeDir: join(nodes[0]!.home, '.sky-runtime'),
      agentCmd: localAgentCommand(),
      capacity,
      instanceType: null,
    }
  },

  runner(handle: ClusterHandle, rank: number) {
    const node = handle.nodes[rank]!
    return new LocalRunner({ label: `local:node-${rank}`, home: node.home })
  },

  async stop() {
    // Nothing to release beyond the processes, which the cluster layer stops through the agent.
  },

  async terminate(handle: ClusterHandle) {
    const base = handle.nodes[0] ? join(handle.nodes[0].home, '..') : undefined
    if (base && base.startsWith(paths.localNodesDir())) rmSync(base, { recursive: true, force: true })
  },

  clusterSpec(name: string, handle: ClusterHandle): ClusterSpec {
    const agent = [...handle.agentCmd, '_agent'].map(shellQuote).join(' ')
    return {
      name,
      cloud: 'local',
      region: 'local',
      zone: null,
      nodes: handle.nodes,
      capacity: handle.capacity,
      // Autostop on this machine: stop every job and the agent; the server notices at refresh.
      onAutostop: `${agent} stop-all --root ${shellQuote(handle.runtimeDir)}`,
    }
  },
}
