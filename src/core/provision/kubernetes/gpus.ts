// GPU types of Kubernetes nodes, from the node labels SkyPilot recognises (the first present wins):
//   skypilot.co/accelerator           `h100`, `a100-80gb`        (sky gpus label, or set by hand)
//   nvidia.com/gpu.product            `NVIDIA-H100-80GB-HBM3`    (NVIDIA GPU Feature Discovery)
//   cloud.google.com/gke-accelerator  `nvidia-h100-80gb`         (GKE)
// and how a pod asks for one: `nvidia.com/gpu` in requests and limits, plus a required node
// affinity on the label values that name the GPU on that context's nodes, and a toleration for
// the `nvidia.com/gpu` taint GPU node pools usually carry.
import { canonicalAcceleratorName, gpuNameFromDevice, sameAccelerator } from '../../catalog/accelerators'

export const GPU_RESOURCE = 'nvidia.com/gpu'
export const GPU_LABEL_KEYS = ['skypilot.co/accelerator', 'nvidia.com/gpu.product', 'cloud.google.com/gke-accelerator'] as const

/** Catalog spelling of a GPU label value under `key`. */
export function gpuFromLabel(key: string, value: string): string {
  if (key === 'skypilot.co/accelerator') return canonicalAcceleratorName(value)
  // `nvidia-tesla-a100` → `TESLA A100`; `NVIDIA-A100-SXM4-80GB` → `NVIDIA A100 SXM4 80GB`.
  const spaced = (key === 'cloud.google.com/gke-accelerator' ? value.replace(/^nvidia-/i, '') : value).replace(/[-_]+/g, ' ')
  return gpuNameFromDevice(spaced)
}

/** The GPU type a node's labels name (first known label key wins), with the label it came from. */
export function nodeGpuType(labels: Record<string, string> | undefined): { name: string; key: string; value: string } | null {
  for (const key of GPU_LABEL_KEYS) {
    const value = labels?.[key]
    if (value) return { name: gpuFromLabel(key, value), key, value }
  }
  return null
}

/** Node affinity terms (ORed) matching the nodes of `nodes` whose labels name GPU `name`. */
export function gpuAffinityTerms(name: string, nodes: { labels?: Record<string, string> }[]): { matchExpressions: { key: string; operator: 'In'; values: string[] }[] }[] {
  const byKey = new Map<string, Set<string>>()
  for (const n of nodes) {
    for (const key of GPU_LABEL_KEYS) {
      const v = n.labels?.[key]
      if (v && sameAccelerator(gpuFromLabel(key, v), name)) byKey.set(key, (byKey.get(key) ?? new Set()).add(v))
    }
  }
  // No node names it (yet): ask for the label sky's own labeler would set, so an autoscaler can match it.
  if (!byKey.size) byKey.set('skypilot.co/accelerator', new Set([name.toLowerCase()]))
  return [...byKey].map(([key, values]) => ({ matchExpressions: [{ key, operator: 'In', values: [...values].sort() }] }))
}
