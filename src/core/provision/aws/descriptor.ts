// AWS EC2. Checked and planned (bundled catalog); no provisioner in this build yet (issue 14
// adds ./provisioner.ts, loaded from an embedded bundle so the SDK stays out of the CLI).
import { withoutConnect } from '../handle'
import type { InfraDescriptor } from '../types'

export const aws: InfraDescriptor = {
  name: 'aws',
  displayName: 'AWS',
  kind: 'cloud',
  planRank: 3,
  capabilities: { stop: true, spot: true, multiNode: true, ports: true, gpus: true, storage: true, containers: true, volumes: false, zones: true, images: true, disks: true, autostop: true },
  label: (region, zone) => (zone || region ? `AWS (${zone ?? region})` : 'AWS'),
  check: async (ctx) => (await import('./check')).checkAws(ctx),
  clientHandle: withoutConnect,
}
