// Shared by the Compute test server's tests: real @google-cloud/compute clients pointed at the
// server through the provisioner's two settings, and the wait-for-operation loop a provisioner
// needs (the 7.8.0 client resolves an insert to `[{ latestResponse, done: false }]`, no promise()).
import compute from '@google-cloud/compute'
import { computeClientOptions } from '../../harness/gce/client.ts'
import type { GceServer } from '../../harness/gce/server.ts'

export function clients(gce: GceServer, token = gce.token, endpoint = gce.env.GOOGLE_COMPUTE_CUSTOM_ENDPOINT!) {
  const o = computeClientOptions(endpoint, token)
  return {
    instances: new compute.InstancesClient(o),
    zoneOps: new compute.ZoneOperationsClient(o),
    globalOps: new compute.GlobalOperationsClient(o),
    firewalls: new compute.FirewallsClient(o),
    zones: new compute.ZonesClient(o),
    regions: new compute.RegionsClient(o),
    machineTypes: new compute.MachineTypesClient(o),
    acceleratorTypes: new compute.AcceleratorTypesClient(o),
    networks: new compute.NetworksClient(o),
    subnetworks: new compute.SubnetworksClient(o),
    projects: new compute.ProjectsClient(o),
  }
}

export type Clients = ReturnType<typeof clients>

type Op = { name?: string | null; status?: string | null; error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null }

/** Wait on a zone (or global, when zone is undefined) operation until it is DONE. */
export async function waitDone(c: Clients, project: string, zone: string | undefined, lro: unknown): Promise<Op> {
  let op = ((lro as { latestResponse?: Op }).latestResponse ?? lro) as Op
  for (let i = 0; i < 100 && op.status !== 'DONE'; i++) {
    const [next] = zone
      ? await c.zoneOps.wait({ project, zone, operation: op.name! })
      : await c.globalOps.wait({ project, operation: op.name! })
    op = next as Op
  }
  if (op.status !== 'DONE') throw new Error(`operation ${op.name} not DONE`)
  return op
}

export function vm(name: string, opts: { zone?: string; machineType?: string; spot?: boolean; gpu?: string; labels?: Record<string, string>; sshKey?: string; external?: boolean } = {}) {
  const zone = opts.zone ?? 'us-central1-a'
  return {
    name,
    machineType: `zones/${zone}/machineTypes/${opts.machineType ?? 'n1-standard-8'}`,
    labels: opts.labels ?? {},
    disks: [{ boot: true, autoDelete: true, initializeParams: { diskSizeGb: 256, sourceImage: 'projects/deeplearning-platform-release/global/images/family/common-cu121' } }],
    networkInterfaces: [{ network: 'global/networks/default', ...(opts.external === false ? {} : { accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] }) }],
    ...(opts.gpu ? { guestAccelerators: [{ acceleratorType: `zones/${zone}/acceleratorTypes/${opts.gpu}`, acceleratorCount: 1 }] } : {}),
    scheduling: opts.spot
      ? { provisioningModel: 'SPOT', onHostMaintenance: 'TERMINATE', automaticRestart: false, instanceTerminationAction: 'STOP' }
      : { onHostMaintenance: opts.gpu || /^(a2|a3|g2)-/.test(opts.machineType ?? '') ? 'TERMINATE' : 'MIGRATE' },
    ...(opts.sshKey ? { metadata: { items: [{ key: 'ssh-keys', value: `sky:${opts.sshKey}` }] } } : {}),
  }
}

/** The error a client call rejects with (GoogleError), or a failure if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<{ code: number; message: string; reason?: string; errorInfoMetadata?: Record<string, string> }> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  )
  if (!err) throw new Error('expected the call to fail')
  return err
}
