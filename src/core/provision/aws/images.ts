// Which AMI a cluster boots, per region. `image_id` wins (an AMI id, or a per-region map resolved by
// the optimizer); otherwise a documented lookup by owner and name, newest first:
//   CPU: Canonical's Ubuntu server images (owner 099720109477, `ubuntu/images/hvm-ssd*/ubuntu-*-<arch>-server-*`),
//        LTS releases first (24.04, 22.04, 20.04);
//   GPU: AWS Deep Learning AMIs on Ubuntu (owners 898082745236 / amazon, `Deep Learning*Ubuntu*`),
//        the OSS NVIDIA driver base images first.
// `image_id: skypilot:cpu-ubuntu-2204` / `skypilot:gpu-ubuntu-2204` (SkyPilot's aliases) ask for the
// same lookups. Results are cached per region for half an hour.
import type { LaunchedResources } from '../types'
import { FatalProvisionError, InfraConfigError } from '../errors'
import { ec2, endpointKey, type EC2 } from './ec2'

export interface AwsImage {
  id: string
  rootDevice: string
  name: string
}

type Kind = 'cpu' | 'gpu'

const LOOKUP: Record<Kind, { owners: string[]; name: (arch: string) => string; rank: (name: string) => number }> = {
  cpu: {
    owners: ['099720109477'],
    name: (arch) => `ubuntu/images/hvm-ssd*/ubuntu-*-${arch === 'arm64' ? 'arm64' : 'amd64'}-server-*`,
    rank: (n) => (/noble-24\.04/.test(n) ? 0 : /jammy-22\.04/.test(n) ? 1 : /focal-20\.04/.test(n) ? 2 : 3),
  },
  gpu: {
    owners: ['898082745236', 'amazon'],
    name: () => 'Deep Learning*Ubuntu*',
    rank: (n) => (/OSS Nvidia Driver/i.test(n) && /24\.04/.test(n) ? 0 : /OSS Nvidia Driver/i.test(n) ? 1 : /Base/i.test(n) ? 2 : 3),
  },
}

/** Graviton families (m6g, c7gn, g5g…) boot arm64 images. */
export function archOf(instanceType: string | null): 'x86_64' | 'arm64' {
  const family = (instanceType ?? '').split('.')[0] ?? ''
  return /^[a-z]+\d+g/.test(family) ? 'arm64' : 'x86_64'
}

const cache = new Map<string, { at: number; image: Promise<AwsImage> }>()
const TTL_MS = 30 * 60_000

function pick(images: EC2.Image[], rank: (n: string) => number): EC2.Image | undefined {
  return [...images].sort((a, b) => rank(a.Name ?? '') - rank(b.Name ?? '') || (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0]
}

async function lookup(region: string, kind: Kind, arch: 'x86_64' | 'arm64', signal?: AbortSignal): Promise<AwsImage> {
  const l = LOOKUP[kind]
  const out = await ec2(region, 'DescribeImages', { Owners: l.owners, Filters: [{ Name: 'name', Values: [l.name(arch)] }, { Name: 'architecture', Values: [arch] }, { Name: 'state', Values: ['available'] }] }, { signal })
  const img = pick(out.Images ?? [], l.rank)
  if (!img?.ImageId) {
    throw new InfraConfigError(`No ${kind === 'gpu' ? 'Deep Learning (Ubuntu)' : 'Ubuntu'} ${arch} image found in ${region}.`, { infra: 'aws', region, scope: 'region', hint: 'Set image_id to an AMI of this region.' })
  }
  return { id: img.ImageId, rootDevice: img.RootDeviceName ?? '/dev/sda1', name: img.Name ?? img.ImageId }
}

async function byId(region: string, id: string, signal?: AbortSignal): Promise<AwsImage> {
  const out = await ec2(region, 'DescribeImages', { ImageIds: [id] }, { signal })
  const img = out.Images?.[0]
  if (!img?.ImageId) throw new InfraConfigError(`image_id ${id} is not an AMI in ${region}.`, { infra: 'aws', region, scope: 'region', hint: 'Use a per-region map: image_id: {us-east-1: ami-..., us-west-2: ami-...}' })
  return { id: img.ImageId, rootDevice: img.RootDeviceName ?? '/dev/sda1', name: img.Name ?? img.ImageId }
}

export function resolveImage(region: string, r: LaunchedResources, signal?: AbortSignal): Promise<AwsImage> {
  const arch = archOf(r.instanceType)
  let key: string
  let load: () => Promise<AwsImage>
  const alias = r.imageId?.startsWith('skypilot:') ? r.imageId.slice('skypilot:'.length) : null
  if (r.imageId && !alias) {
    key = `${endpointKey()}|${region}/id/${r.imageId}`
    load = () => byId(region, r.imageId!, signal)
  } else {
    if (alias && !/^(cpu|gpu)-/.test(alias)) {
      return Promise.reject(new FatalProvisionError(`image_id skypilot:${alias} is not an image alias sky knows (skypilot:cpu-ubuntu-2204, skypilot:gpu-ubuntu-2204).`, { infra: 'aws' }))
    }
    const kind: Kind = alias ? (alias.startsWith('gpu') ? 'gpu' : 'cpu') : r.accelerators ? 'gpu' : 'cpu'
    key = `${endpointKey()}|${region}/${kind}/${arch}`
    load = () => lookup(region, kind, arch, signal)
  }
  const hit = cache.get(key)
  if (hit && Date.now() - hit.at < TTL_MS) return hit.image
  const image = load()
  cache.set(key, { at: Date.now(), image })
  image.catch(() => cache.delete(key))
  return image
}
