// GCP Compute Engine: static facts for the CLI and the optimizer (no SDK here). The provisioner
// (./provisioner.ts) and its Compute calls are loaded on the server only; the client library itself
// comes from its own separately built bundle (../cloud-sdk/gcp.ts), never from the CLI's module graph.
import { vmSshEntries } from '../cloud-vm/ssh'
import { withoutConnect } from '../handle'
import type { InfraDescriptor } from '../types'

export const gcp: InfraDescriptor = {
  name: 'gcp',
  displayName: 'GCP',
  kind: 'cloud',
  planRank: 4,
  // Ports: firewall rules per cluster. Autostop: the head stops or deletes its own instances
  // (gcp.remote_identity), and the API server does it when the head cannot. Storage (buckets) and
  // docker tasks are not built yet (tasks run on the VM).
  capabilities: { stop: true, spot: true, multiNode: true, ports: true, gpus: true, storage: false, containers: false, volumes: false, zones: true, images: true, disks: true, autostop: true },
  label: (region, zone) => (zone || region ? `GCP (${zone ?? region})` : 'GCP'),
  check: async (ctx) => (await import('./check')).checkGcp(ctx),
  clientHandle: withoutConnect,
  sshConfig: vmSshEntries,
  load: async () => (await import('./provisioner')).gcpProvisioner,
}
