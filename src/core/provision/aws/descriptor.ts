// AWS EC2: static facts for the CLI and the optimizer (no SDK here). The provisioner (./provisioner.ts)
// and its SDK adapter are loaded on the server only; the SDK itself comes from the separately built
// cloud SDK bundle (../cloud-sdk/), never from the CLI's module graph.
import { vmSshEntries } from '../cloud-vm/ssh'
import { withoutConnect } from '../handle'
import type { InfraDescriptor } from '../types'

export const aws: InfraDescriptor = {
  name: 'aws',
  displayName: 'AWS',
  kind: 'cloud',
  planRank: 3,
  // Ports: a security group per cluster. Autostop: the head stops or terminates its own instances
  // (aws.remote_identity), and the API server does it when the head cannot.
  capabilities: { stop: true, spot: true, multiNode: true, ports: true, gpus: true, storage: false, containers: false, volumes: false, zones: true, images: true, disks: true, autostop: true },
  label: (region, zone) => (zone || region ? `AWS (${zone ?? region})` : 'AWS'),
  check: async (ctx) => (await import('./check')).checkAws(ctx),
  clientHandle: withoutConnect,
  sshConfig: vmSshEntries,
  load: async () => (await import('./provisioner')).awsProvisioner,
}
