// The `local` infra: this machine. Each cluster gets its own share of the CPUs, memory and GPUs
// (an allocation kept by the provisioner); nodes are directories plus processes.
import { withoutConnect } from '../handle'
import type { InfraDescriptor } from '../types'

export const local: InfraDescriptor = {
  name: 'local',
  displayName: 'Local',
  kind: 'live',
  planRank: 2,
  capabilities: { stop: true, spot: false, multiNode: true, ports: true, gpus: true, storage: false, containers: false, volumes: false, zones: false, images: false, disks: false, autostop: true },
  label: () => 'Local',
  check: async () => ({ infra: 'local', enabled: true, reason: 'this machine is always available', regions: ['local'], capabilities: ['compute'] }),
  liveNodes: async () => [(await import('./allocation')).localLiveNode()],
  clientHandle: withoutConnect,
  load: async () => (await import('./provisioner')).localProvisioner,
}
