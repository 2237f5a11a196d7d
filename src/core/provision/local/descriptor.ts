// The `local` infra: this machine. Each cluster gets its own share of the CPUs, memory and GPUs
// (an allocation kept by the provisioner); nodes are directories plus processes. A deployed API
// server keeps it off unless an admin allows it (local.allow_on_deploy); then every job runs as
// its user's sandbox account (src/core/sandbox/users.ts).
import { withoutConnect } from '../handle'
import type { InfraDescriptor } from '../types'
import { localInfraOff, sandboxed } from '../../sandbox/users'

export const local: InfraDescriptor = {
  name: 'local',
  displayName: 'Local',
  kind: 'live',
  planRank: 2,
  capabilities: { stop: true, spot: false, multiNode: true, ports: true, gpus: true, storage: false, containers: false, volumes: false, zones: false, images: false, disks: false, autostop: true },
  label: () => 'Local',
  check: async () => {
    const off = localInfraOff()
    if (off) return { infra: 'local', enabled: false, reason: off, regions: ['local'], capabilities: ['compute'] }
    return { infra: 'local', enabled: true, reason: sandboxed() ? 'this machine; jobs run as sandbox users' : 'this machine is always available', regions: ['local'], capabilities: ['compute'] }
  },
  liveNodes: async () => [(await import('./allocation')).localLiveNode()],
  clientHandle: withoutConnect,
  load: async () => (await import('./provisioner')).localProvisioner,
}
