// The `ssh` infra: machines listed in ~/.sky/ssh_node_pools.yaml. A cluster takes whole hosts.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../../paths'
import { withoutConnect } from '../handle'
import type { InfraDescriptor, SshHostEntry } from '../types'
import type { SshPoolHost } from './pools'

export const ssh: InfraDescriptor = {
  name: 'ssh',
  displayName: 'SSH',
  kind: 'live',
  planRank: 1,
  regionsLabel: 'Node pools',
  regionsNoun: 'Pools',
  regionsAllowList: { key: 'allowed_node_pools', ordered: false },
  // Hosts cannot be stopped (only released); the agent can autodown. Ports are the hosts' own.
  capabilities: { stop: false, spot: false, multiNode: true, ports: true, gpus: true, storage: false, containers: false, volumes: false, zones: false, images: false, disks: false, autostop: true },
  label: (region) => (region ? `SSH (${region})` : 'SSH'),
  check: async (ctx) => (await import('./check')).checkSsh(ctx),
  liveNodes: async (check) => (await import('./provisioner')).sshLiveNodes(check.regions ?? []),
  clientHandle: withoutConnect,
  // `ssh <cluster>` uses the cluster's own key and the host keys sky recorded (strictly checked).
  sshConfig(name, handle): SshHostEntry[] {
    const clusterKey = join(paths.keysDir(), 'clusters', handle.nameOnCloud, 'id_ed25519')
    return handle.nodes.map((n, rank) => {
      const h = n.connect as SshPoolHost
      const e: SshHostEntry = { alias: rank === 0 ? name : `${name}-worker${rank}`, hostName: h.host, user: h.user, port: h.port }
      if (existsSync(clusterKey)) e.identityFile = clusterKey
      else if (h.identityFile) e.identityFile = h.identityFile
      if (h.jump) e.proxyJump = `${h.jump.user}@${h.jump.host}:${h.jump.port}`
      else if (h.proxyCommand) e.proxyCommand = h.proxyCommand
      if (h.knownHosts) e.knownHostsFile = h.knownHosts
      return e
    })
  },
  load: async () => (await import('./provisioner')).sshProvisioner,
}
