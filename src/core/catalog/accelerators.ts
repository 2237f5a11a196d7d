// Canonical accelerator names (case-insensitive lookup, catalog spelling out), device memory,
// which GPUs `sky gpus list` calls common, and mapping of `nvidia-smi` device names to them.

/** Catalog spelling → device memory in GB. */
const KNOWN: Record<string, number> = {
  A10: 24,
  A10G: 24,
  A100: 40,
  'A100-80GB': 80,
  A40: 48,
  A6000: 48,
  B200: 180,
  B300: 288,
  GB200: 186,
  GH200: 96,
  H100: 80,
  'H100-MEGA': 80,
  H200: 141,
  K80: 12,
  L4: 24,
  L40: 48,
  L40S: 48,
  P100: 16,
  P4: 8,
  'RTX4090': 24,
  'RTX6000': 24,
  'RTXPRO6000': 96,
  T4: 16,
  T4g: 16,
  V100: 16,
  'V100-32GB': 32,
}

/** GPUs shown in the COMMON_GPU table of `sky gpus list`; everything else is OTHER_GPU. */
export const COMMON_GPUS: readonly string[] = [
  'A10',
  'A10G',
  'A100',
  'A100-80GB',
  'B200',
  'H100',
  'H200',
  'L4',
  'L40S',
  'T4',
  'V100',
  'V100-32GB',
]

let lowerIndex: Map<string, string> | undefined

function index(): Map<string, string> {
  if (!lowerIndex) lowerIndex = new Map(Object.keys(KNOWN).map((k) => [k.toLowerCase(), k]))
  return lowerIndex
}

/** Catalog spelling of a GPU name (`h100` → `H100`, `a100-80gb` → `A100-80GB`); unknown names unchanged. */
export function canonicalAcceleratorName(name: string): string {
  return index().get(name.toLowerCase()) ?? name
}

export function isKnownAccelerator(name: string): boolean {
  return index().has(name.toLowerCase())
}

export function acceleratorMemoryGb(name: string): number | undefined {
  return KNOWN[canonicalAcceleratorName(name)]
}

export function isCommonGpu(name: string): boolean {
  return COMMON_GPUS.includes(canonicalAcceleratorName(name))
}

export function sameAccelerator(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/**
 * Map an `nvidia-smi` product name (e.g. `NVIDIA H100 80GB HBM3`, `Tesla V100-SXM2-32GB`,
 * `NVIDIA A100-SXM4-80GB`, `NVIDIA GeForce RTX 4090`) to the catalog spelling. Memory (MiB, from
 * `memory.total`) separates the 40/80 GB A100 and 16/32 GB V100 when the name does not.
 */
export function gpuNameFromDevice(device: string, memoryMiB?: number): string {
  const raw = device.trim()
  const s = raw.toUpperCase().replace(/^NVIDIA\s+/, '').replace(/^TESLA\s+/, '').replace(/^GEFORCE\s+/, '')
  const memGb = memoryMiB ? memoryMiB / 1024 : undefined
  const rules: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/^GB200/, () => 'GB200'],
    [/^GH200/, () => 'GH200'],
    [/^B300/, () => 'B300'],
    [/^B200/, () => 'B200'],
    [/^H200/, () => 'H200'],
    [/^H100/, () => 'H100'],
    [/^A100/, () => (/80G/.test(s) || (memGb ?? 0) > 60 ? 'A100-80GB' : 'A100')],
    [/^A10G/, () => 'A10G'],
    [/^A10\b/, () => 'A10'],
    [/^A40\b/, () => 'A40'],
    [/^L40S/, () => 'L40S'],
    [/^L40\b/, () => 'L40'],
    [/^L4\b/, () => 'L4'],
    [/^T4G/, () => 'T4g'],
    [/^T4\b/, () => 'T4'],
    [/^V100/, () => (/32G/.test(s) || (memGb ?? 0) > 24 ? 'V100-32GB' : 'V100')],
    [/^P100/, () => 'P100'],
    [/^P4\b/, () => 'P4'],
    [/^K80/, () => 'K80'],
    [/^RTX\s*PRO\s*6000/, () => 'RTXPRO6000'],
    [/^RTX\s*A(\d{4})/, (m) => `A${m[1]}`],
    [/^RTX\s*(\d{4})/, (m) => `RTX${m[1]}`],
  ]
  for (const [re, f] of rules) {
    const m = s.match(re)
    if (m) return f(m)
  }
  // Unknown device: a compact spelling of the product name.
  return s.replace(/\s+/g, '-')
}
