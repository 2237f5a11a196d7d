// What the Compute test server offers: regions and zones (with each region's default subnet, as
// an auto-mode "default" network has them), machine types and GPU types. Every zone offers every
// type unless the server's options narrow it.

export interface RegionDef {
  name: string
  zones: string[]
  /** The default subnet's range. */
  cidr: string
}

export interface MachineTypeDef {
  name: string
  cpus: number
  memoryMb: number
  accelerators?: { type: string; count: number }[]
  sharedCpu?: boolean
}

export interface AcceleratorTypeDef {
  name: string
  description: string
  maxPerInstance: number
}

const DEFAULT_ZONES: Record<string, string[]> = {
  'us-central1': ['a', 'b', 'c', 'f'],
  'us-east1': ['b', 'c', 'd'],
  'us-east4': ['a', 'b', 'c'],
  'us-west1': ['a', 'b', 'c'],
  'europe-west4': ['a', 'b', 'c'],
  'asia-east1': ['a', 'b', 'c'],
}

/** Auto-mode default subnet ranges of real regions (all inside 10.128.0.0/9). */
const CIDRS: Record<string, string> = {
  'us-central1': '10.128.0.0/20',
  'europe-west1': '10.132.0.0/20',
  'us-west1': '10.138.0.0/20',
  'asia-east1': '10.140.0.0/20',
  'us-east1': '10.142.0.0/20',
  'asia-northeast1': '10.146.0.0/20',
  'us-east4': '10.150.0.0/20',
  'europe-west4': '10.164.0.0/20',
}

export const regionOfZone = (zone: string) => zone.replace(/-[a-z]$/, '')

export function buildRegions(zones?: string[]): RegionDef[] {
  const byRegion = new Map<string, string[]>()
  if (zones) for (const z of zones) byRegion.set(regionOfZone(z), [...(byRegion.get(regionOfZone(z)) ?? []), z])
  else for (const [r, suffixes] of Object.entries(DEFAULT_ZONES)) byRegion.set(r, suffixes.map((s) => `${r}-${s}`))
  let spare = 0
  return [...byRegion].map(([name, zs]) => ({ name, zones: zs, cidr: CIDRS[name] ?? `10.${200 + spare++}.0.0/20` }))
}

const GB = 1024
function family(prefix: string, sizes: number[], memPerCpuMb: number): MachineTypeDef[] {
  return sizes.map((n) => ({ name: `${prefix}-${n}`, cpus: n, memoryMb: Math.round(n * memPerCpuMb) }))
}

const G2_L4: Record<number, number> = { 4: 1, 8: 1, 12: 1, 16: 1, 24: 2, 32: 1, 48: 4, 96: 8 }

export const MACHINE_TYPES: MachineTypeDef[] = [
  { name: 'e2-micro', cpus: 2, memoryMb: 1 * GB, sharedCpu: true },
  { name: 'e2-small', cpus: 2, memoryMb: 2 * GB, sharedCpu: true },
  ...family('e2-standard', [2, 4, 8, 16, 32], 4 * GB),
  ...family('n1-standard', [1, 2, 4, 8, 16, 32, 64, 96], 3.75 * GB),
  ...family('n1-highmem', [2, 4, 8, 16, 32, 64, 96], 6.5 * GB),
  ...family('n2-standard', [2, 4, 8, 16, 32, 48, 64, 80, 96, 128], 4 * GB),
  ...Object.entries(G2_L4).map(([n, gpus]) => ({ name: `g2-standard-${n}`, cpus: Number(n), memoryMb: Number(n) * 4 * GB, accelerators: [{ type: 'nvidia-l4', count: gpus }] })),
  ...[1, 2, 4, 8].map((k) => ({ name: `a2-highgpu-${k}g`, cpus: 12 * k, memoryMb: 85 * GB * k, accelerators: [{ type: 'nvidia-tesla-a100', count: k }] })),
  { name: 'a2-megagpu-16g', cpus: 96, memoryMb: 1360 * GB, accelerators: [{ type: 'nvidia-tesla-a100', count: 16 }] },
  ...[1, 2, 4, 8].map((k) => ({ name: `a2-ultragpu-${k}g`, cpus: 12 * k, memoryMb: 170 * GB * k, accelerators: [{ type: 'nvidia-a100-80gb', count: k }] })),
  { name: 'a3-highgpu-8g', cpus: 208, memoryMb: 1872 * GB, accelerators: [{ type: 'nvidia-h100-80gb', count: 8 }] },
]

export const ACCELERATOR_TYPES: AcceleratorTypeDef[] = [
  { name: 'nvidia-tesla-t4', description: 'NVIDIA T4', maxPerInstance: 4 },
  { name: 'nvidia-tesla-v100', description: 'NVIDIA V100', maxPerInstance: 8 },
  { name: 'nvidia-tesla-p100', description: 'NVIDIA P100', maxPerInstance: 4 },
  { name: 'nvidia-l4', description: 'NVIDIA L4', maxPerInstance: 8 },
  { name: 'nvidia-tesla-a100', description: 'NVIDIA A100 40GB', maxPerInstance: 16 },
  { name: 'nvidia-a100-80gb', description: 'NVIDIA A100 80GB', maxPerInstance: 8 },
  { name: 'nvidia-h100-80gb', description: 'NVIDIA H100 80GB', maxPerInstance: 8 },
]

/** What a zone offers: names or globs ("a2-*"); absent means everything. */
export interface ZoneOffering {
  machineTypes?: string[]
  acceleratorTypes?: string[]
}

function globMatch(pattern: string, name: string): boolean {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(name)
}

export function offers(offering: ZoneOffering | undefined, kind: keyof ZoneOffering, name: string): boolean {
  const list = offering?.[kind]
  return !list || list.some((p) => globMatch(p, name))
}

/** Quota metric names Compute uses for a GPU type (NVIDIA_L4_GPUS, PREEMPTIBLE_NVIDIA_A100_80GB_GPUS, ...). */
export function gpuQuotaMetric(accelerator: string, spot: boolean): string {
  const special: Record<string, string> = { 'nvidia-h100-80gb': 'NVIDIA_H100_GPUS' }
  const base = special[accelerator] ?? `${accelerator.replace(/^nvidia-(tesla-)?/, 'NVIDIA_').replace(/-/g, '_').toUpperCase()}_GPUS`
  return spot ? `PREEMPTIBLE_${base}` : base
}
