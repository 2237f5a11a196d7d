// Node configuration for the test API server: what a test writes (NodeSpec) and the Node object
// it becomes (allocatable cpu/memory/pods/nvidia.com/gpu, GPU labels, taints, addresses).
import { formatBytes, parseQuantity } from './quantity'
import { newMeta, type KubeObject } from './store'

/** Which GPU node-label conventions a GPU node carries (SkyPilot detects all three). */
export type GpuLabelStyle = 'nvidia' | 'gke' | 'skypilot'

export interface Taint {
  key: string
  value?: string
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
}

export interface NodeSpec {
  name: string
  /** Allocatable CPUs (number or quantity such as "7500m"); default 8. */
  cpu?: number | string
  /** Allocatable memory: a number is GiB, a string a quantity ("64Gi"); default 32 GiB. */
  memory?: number | string
  /** Pod capacity; default 110. */
  pods?: number
  /** Allocatable `nvidia.com/gpu`. */
  gpus?: number
  /** GPU type such as "H100" or "A100-80GB": sets the GPU labels below. */
  gpuType?: string
  /** GPU label conventions to set for gpuType; default all three. */
  gpuLabels?: GpuLabelStyle[]
  labels?: Record<string, string>
  taints?: Taint[]
  /** Cordoned (`spec.unschedulable`). */
  unschedulable?: boolean
}

/** Label values per GPU type: [nvidia.com/gpu.product (GPU Feature Discovery), cloud.google.com/gke-accelerator]. */
const GPU_LABELS: Record<string, [string, string]> = {
  H100: ['NVIDIA-H100-80GB-HBM3', 'nvidia-h100-80gb'],
  H200: ['NVIDIA-H200', 'nvidia-h200-141gb'],
  A100: ['NVIDIA-A100-SXM4-40GB', 'nvidia-tesla-a100'],
  'A100-80GB': ['NVIDIA-A100-SXM4-80GB', 'nvidia-a100-80gb'],
  L4: ['NVIDIA-L4', 'nvidia-l4'],
  L40S: ['NVIDIA-L40S', 'nvidia-l40s'],
  A10G: ['NVIDIA-A10G', 'nvidia-a10g'],
  T4: ['Tesla-T4', 'nvidia-tesla-t4'],
  V100: ['Tesla-V100-SXM2-16GB', 'nvidia-tesla-v100'],
}

export const GPU_LABEL_KEYS = { nvidia: 'nvidia.com/gpu.product', gke: 'cloud.google.com/gke-accelerator', skypilot: 'skypilot.co/accelerator' } as const

/** The node labels a GPU type carries under each convention. */
export function gpuLabels(gpuType: string, styles: GpuLabelStyle[] = ['nvidia', 'gke', 'skypilot']): Record<string, string> {
  const known = GPU_LABELS[gpuType] ?? GPU_LABELS[gpuType.toUpperCase()]
  const out: Record<string, string> = {}
  for (const s of styles) {
    if (s === 'nvidia') out[GPU_LABEL_KEYS.nvidia] = known?.[0] ?? `NVIDIA-${gpuType}`
    if (s === 'gke') out[GPU_LABEL_KEYS.gke] = known?.[1] ?? `nvidia-${gpuType.toLowerCase()}`
    if (s === 'skypilot') out[GPU_LABEL_KEYS.skypilot] = gpuType.toLowerCase()
  }
  return out
}

/** `n` nodes named `${prefix}-${i}` (from 0) sharing one spec. */
export function nodeSpecs(n: number, spec: Omit<NodeSpec, 'name'> & { prefix?: string } = {}): NodeSpec[] {
  const { prefix = 'node', ...rest } = spec
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}`, ...rest }))
}

const memoryBytes = (m: number | string | undefined): number =>
  m === undefined ? 32 * 2 ** 30 : typeof m === 'number' ? m * 2 ** 30 : (parseQuantity(m) ?? 0)

export interface NodeRuntimeInfo {
  internalIP: string
  podCIDR: string
  kubeletVersion: string
}

/** The Node object for a spec (everything but uid/resourceVersion, which the store assigns). */
export function nodeObject(spec: NodeSpec, info: NodeRuntimeInfo): KubeObject {
  const allocatable: Record<string, string> = {
    cpu: String(spec.cpu ?? 8),
    memory: formatBytes(memoryBytes(spec.memory)),
    pods: String(spec.pods ?? 110),
    'ephemeral-storage': '100Gi',
  }
  if (spec.gpus) allocatable['nvidia.com/gpu'] = String(spec.gpus)
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    ...(spec.gpuType ? gpuLabels(spec.gpuType, spec.gpuLabels) : {}),
    ...spec.labels,
  }
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: at, lastTransitionTime: at, reason, message })
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: newMeta({ name: spec.name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } }),
    spec: {
      podCIDR: info.podCIDR,
      podCIDRs: [info.podCIDR],
      ...(spec.taints?.length ? { taints: spec.taints } : {}),
      ...(spec.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity: { ...allocatable },
      allocatable,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: info.internalIP },
        { type: 'Hostname', address: spec.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: 'sky-test',
        osImage: 'sky test node (local processes)',
        containerRuntimeVersion: 'sky-test://1',
        kubeletVersion: info.kubeletVersion,
        kubeProxyVersion: info.kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  }
}
