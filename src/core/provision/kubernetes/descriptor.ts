// Kubernetes: pods as nodes, contexts as regions. Checked and planned; no provisioner in this
// build yet (issue 13 adds ./provisioner.ts and a `load` line below).
import { withoutConnect } from '../handle'
import type { InfraDescriptor } from '../types'

export const kubernetes: InfraDescriptor = {
  name: 'kubernetes',
  displayName: 'Kubernetes',
  aliases: ['k8s'],
  kind: 'live',
  planRank: 0,
  regionsLabel: 'Allowed contexts',
  regionsNoun: 'Contexts',
  regionsAllowList: { key: 'allowed_contexts', ordered: true },
  // Pods cannot be stopped (autodown only); ports through Services.
  capabilities: { stop: false, spot: false, multiNode: true, ports: true, gpus: true, storage: true, containers: true, volumes: true, zones: false, images: true, disks: false, autostop: true },
  label: (region) => (region ? `Kubernetes (${region})` : 'Kubernetes'),
  check: async (ctx) => (await import('./check')).checkKubernetes(ctx),
  clientHandle: withoutConnect,
}
