// GCP Compute Engine. Checked and planned (bundled catalog); no provisioner in this build yet
// (issue 15 adds ./provisioner.ts, loaded from an embedded bundle so the SDK stays out of the CLI).
import { withoutConnect } from '../handle'
import type { InfraDescriptor } from '../types'

export const gcp: InfraDescriptor = {
  name: 'gcp',
  displayName: 'GCP',
  kind: 'cloud',
  planRank: 4,
  capabilities: { stop: true, spot: true, multiNode: true, ports: true, gpus: true, storage: true, containers: true, volumes: false, zones: true, images: true, disks: true, autostop: true },
  label: (region, zone) => (zone || region ? `GCP (${zone ?? region})` : 'GCP'),
  check: async (ctx) => (await import('./check')).checkGcp(ctx),
  clientHandle: withoutConnect,
}
