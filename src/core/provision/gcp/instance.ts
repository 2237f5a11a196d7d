// The `instances.insert` body for one node: machine type and GPUs (guest accelerators on N1 hosts,
// built-in on A2/A3/A4/G2; on-host maintenance TERMINATE whenever there are GPUs), the boot disk
// (image, size, tier), spot (provisioningModel SPOT, deleted when preempted), labels, the network
// tag the cluster's firewall rules target, an external IP unless internal IPs are used, the
// service account `gcp.remote_identity` asks for, and the user's SSH key in the instance metadata
// (the guest agent makes the login user from it; OS Login is turned off for the instance so it is
// honoured).
import { bundledRawCatalog, loadCatalog } from '../../catalog/load'
import { FatalProvisionError, InfraConfigError } from '../errors'
import type { LaunchedResources } from '../types'
import type { GcpSettings } from './config'

/** Catalog GPU names → Compute accelerator types. */
export const ACCELERATOR_TYPES: Record<string, string> = {
  T4: 'nvidia-tesla-t4',
  V100: 'nvidia-tesla-v100',
  P100: 'nvidia-tesla-p100',
  P4: 'nvidia-tesla-p4',
  K80: 'nvidia-tesla-k80',
  L4: 'nvidia-l4',
  A100: 'nvidia-tesla-a100',
  'A100-80GB': 'nvidia-a100-80gb',
  H100: 'nvidia-h100-80gb',
  'H100-MEGA': 'nvidia-h100-mega-80gb',
  H200: 'nvidia-h200-141gb',
  B200: 'nvidia-b200',
}

/** disk_tier → persistent disk type (and IOPS for pd-extreme). */
const DISK_TIERS: Record<string, { type: string; iops?: number }> = {
  low: { type: 'pd-standard' },
  medium: { type: 'pd-balanced' },
  high: { type: 'pd-ssd' },
  ultra: { type: 'pd-extreme', iops: 20000 },
  best: { type: 'pd-ssd' },
}

export const DEFAULT_DISK_GB = 256

/** Images named in the GCP catalog: `cpu`, `gpu` and SkyPilot's `skypilot:<alias>` tags. */
export function catalogImages(): Record<string, string> {
  return bundledRawCatalog('gcp').images ?? {}
}

/** The boot image: image_id (an image or family path, or a skypilot: alias), else the catalog's default. */
export function sourceImage(r: LaunchedResources): string {
  const images = catalogImages()
  const id = r.imageId?.trim()
  if (!id) {
    const img = images[r.accelerators ? 'gpu' : 'cpu']
    if (!img) throw new InfraConfigError('The GCP catalog names no default image.', { infra: 'gcp', hint: 'Set image_id.' })
    return img
  }
  if (id.startsWith('skypilot:')) {
    const img = images[id]
    if (!img) {
      const known = Object.keys(images).filter((k) => k.startsWith('skypilot:'))
      throw new FatalProvisionError(`image_id ${id} is not an image alias sky knows (${known.join(', ')}).`, { infra: 'gcp' })
    }
    return img
  }
  if (/^(https:\/\/[^/]+\/compute\/v1\/)?projects\/[a-z0-9.:-]+\/global\/images\/(family\/)?[a-z0-9-]+$/.test(id)) return id
  throw new FatalProvisionError(`image_id '${id}' is not a GCP image: use projects/<project>/global/images/<image> or projects/<project>/global/images/family/<family>.`, { infra: 'gcp' })
}

/** Whether the machine type comes with its GPUs (A2, A3, A4, G2) rather than taking guest accelerators. */
export function builtInGpus(machineType: string): boolean {
  const offers = loadCatalog().clouds.get('gcp')?.byInstanceType.get(machineType)
  if (offers?.length) return offers.some((o) => !!o.gpu && !o.attached)
  return /^(a2|a3|a4|g2|g4)-/.test(machineType)
}

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/

/** A label value GCE accepts: lower case, letters, digits, `_` and `-`, at most 63 characters. */
export function labelValue(v: string): string {
  return v.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63)
}

/** Check user labels (gcp.labels, resources.labels); the error names the label and the rule. */
export function checkLabels(labels: Record<string, string>, where: string): void {
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) throw new FatalProvisionError(`${where}: label key '${k}' is not valid on GCP (start with a lower-case letter; lower-case letters, digits, '_' and '-'; at most 63).`, { infra: 'gcp' })
    if (!LABEL_VALUE.test(v)) throw new FatalProvisionError(`${where}: label ${k}: value '${v}' is not valid on GCP (lower-case letters, digits, '_' and '-'; at most 63).`, { infra: 'gcp' })
  }
}

export interface InstanceBodyInput {
  name: string
  zone: string
  resources: LaunchedResources
  labels: Record<string, string>
  networkTag: string
  /** `global/networks/<vpc>` or a full URL; the subnetwork's URL when the VPC needs one named. */
  network: string
  subnetwork: string | null
  settings: GcpSettings
  /** `user:ssh-ed25519 AAAA… comment` */
  sshKey: string
  /** A service account to attach (remote identity), or null. */
  serviceAccount: string | null
  description: string
}

export function instanceBody(x: InstanceBodyInput): Record<string, unknown> {
  const r = x.resources
  if (!r.instanceType) throw new InfraConfigError('GCP launches need a machine type.', { infra: 'gcp', scope: 'stop' })
  const tier = DISK_TIERS[(r.diskTier ?? 'medium').toLowerCase()]
  if (!tier) throw new FatalProvisionError(`disk_tier '${r.diskTier}' is not one GCP offers (low, medium, high, ultra, best).`, { infra: 'gcp' })
  const gpus = r.accelerators && r.accelerators.count > 0 ? r.accelerators : null
  let guestAccelerators: { acceleratorType: string; acceleratorCount: number }[] | undefined
  if (gpus && !builtInGpus(r.instanceType)) {
    const type = ACCELERATOR_TYPES[gpus.name] ?? ACCELERATOR_TYPES[gpus.name.toUpperCase()]
    if (!type) throw new FatalProvisionError(`GPU ${gpus.name} cannot be attached to a GCP VM (known: ${Object.keys(ACCELERATOR_TYPES).join(', ')}).`, { infra: 'gcp' })
    guestAccelerators = [{ acceleratorType: `zones/${x.zone}/acceleratorTypes/${type}`, acceleratorCount: gpus.count }]
  }
  const scheduling = r.useSpot
    ? { provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE', onHostMaintenance: 'TERMINATE', automaticRestart: false }
    : { provisioningModel: 'STANDARD', onHostMaintenance: gpus ? 'TERMINATE' : 'MIGRATE', automaticRestart: true }
  const nic: Record<string, unknown> = { network: x.network, ...(x.subnetwork ? { subnetwork: x.subnetwork } : {}) }
  if (!x.settings.useInternalIps) nic.accessConfigs = [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT', networkTier: r.networkTier === 'standard' ? 'STANDARD' : 'PREMIUM' }]
  return {
    name: x.name,
    description: x.description,
    machineType: `zones/${x.zone}/machineTypes/${r.instanceType}`,
    labels: x.labels,
    tags: { items: [x.networkTag] },
    disks: [
      {
        boot: true,
        autoDelete: true,
        initializeParams: {
          sourceImage: sourceImage(r),
          diskSizeGb: String(r.diskSizeGb ?? DEFAULT_DISK_GB),
          diskType: `zones/${x.zone}/diskTypes/${tier.type}`,
          ...(tier.iops ? { provisionedIops: String(tier.iops) } : {}),
          labels: x.labels,
        },
      },
    ],
    networkInterfaces: [nic],
    ...(guestAccelerators ? { guestAccelerators } : {}),
    scheduling,
    metadata: {
      items: [
        { key: 'ssh-keys', value: x.sshKey },
        { key: 'enable-oslogin', value: 'FALSE' },
      ],
    },
    ...(x.serviceAccount ? { serviceAccounts: [{ email: x.serviceAccount, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }] } : {}),
  }
}
