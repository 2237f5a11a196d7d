// The Pod of one node: `<name-on-cloud>-head` (rank 0) or `<name-on-cloud>-worker<rank>`, labelled
// with the cluster's tags (skypilot-cluster-name, skypilot-display-name, skypilot-user), its rank
// and SkyPilot's ray-* labels, asking for the launched CPUs, memory and GPUs, then deep-merged with
// `kubernetes.pod_config` (config, context_configs, the task's `config:`).
//
// The container only keeps the pod alive: there is no sshd and nothing to install in the image.
// The API server execs into it to install this binary (~/.sky-runtime/bin/sky) and run the agent.
// On workers the container also supervises `sky _sshd`, the node's SSH endpoint on the pod
// network (port 10022, key-only), through which the head's agent starts and watches job ranks; it
// starts as soon as the runtime lands and is restarted if it ever exits.
import type { LaunchedResources } from '../types'
import { GPU_RESOURCE } from './gpus'
import { cpuQuantity, memoryQuantity } from './quantity'
import { DEFAULT_IMAGE, mergeManifest, type KubeSettings } from './settings'

export const CONTAINER = 'sky'
export const NODE_SSH_PORT = 10022
export const RANK_LABEL = 'skypilot-node-rank'
export const CLUSTER_LABEL = 'skypilot-cluster-name'

export const podName = (nameOnCloud: string, rank: number): string => (rank === 0 ? `${nameOnCloud}-head` : `${nameOnCloud}-worker${rank}`)

/** A valid label value (≤ 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends). */
export function labelValue(v: string): string {
  return v.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
}

/** The image of `image_id` (`docker:<image>` or a plain image name), or the default. */
export function imageOf(imageId: string | null): string {
  if (!imageId) return DEFAULT_IMAGE
  return imageId.replace(/^docker:/, '').trim() || DEFAULT_IMAGE
}

/** PID 1 of the container: waits for TERM; workers also keep `sky _sshd` running once installed. */
export const KEEPALIVE = [
  `trap 'exit 0' TERM INT`,
  `B="$HOME/.sky-runtime/bin/sky"`,
  `if [ "$SKY_NODE_RANK" != 0 ]; then`,
  `  ( until [ -x "$B" ]; do sleep 0.2; done`,
  `    while :; do "$B" _sshd --listen "\${POD_IP:-0.0.0.0}:${NODE_SSH_PORT}" --root "$HOME/.sky-runtime" >>"$HOME/.sky-runtime/sshd.log" 2>&1; sleep 1; done ) &`,
  `fi`,
  `while :; do sleep 3600 & wait $!; done`,
].join('\n')

export interface PodInput {
  nameOnCloud: string
  rank: number
  resources: LaunchedResources
  settings: KubeSettings
  /** Cluster tags (naming.ts clusterTags). */
  tags: Record<string, string>
  /** Node affinity terms for the GPU type (from the context's node labels). */
  gpuTerms?: unknown[]
}

export function podManifest(o: PodInput): Record<string, unknown> {
  const r = o.resources
  const labels: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...r.labels, ...o.tags })) labels[k] = labelValue(v)
  Object.assign(labels, {
    [CLUSTER_LABEL]: o.nameOnCloud,
    [RANK_LABEL]: String(o.rank),
    'ray-cluster-name': o.nameOnCloud,
    'ray-node-type': o.rank === 0 ? 'head' : 'worker',
  })
  const requests: Record<string, string> = {}
  const limits: Record<string, string> = {}
  if (r.cpus > 0) requests.cpu = cpuQuantity(r.cpus)
  if (r.memoryGb > 0) requests.memory = memoryQuantity(r.memoryGb)
  const gpus = r.accelerators?.count ?? 0
  if (gpus > 0) requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = String(Math.ceil(gpus))
  const m = o.settings.resourceLimits
  if (m) {
    const f = m === true ? 1 : m
    if (r.cpus > 0) limits.cpu = cpuQuantity(r.cpus * f)
    if (r.memoryGb > 0) limits.memory = memoryQuantity(r.memoryGb * f)
  }
  const spec: Record<string, unknown> = {
    restartPolicy: 'Never',
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 10,
    containers: [
      {
        name: CONTAINER,
        image: imageOf(r.imageId),
        command: ['/bin/sh', '-c', KEEPALIVE],
        env: [
          { name: 'SKY_NODE_RANK', value: String(o.rank) },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        resources: { requests, ...(Object.keys(limits).length ? { limits } : {}) },
      },
    ],
  }
  if (gpus > 0) {
    spec.tolerations = [{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }]
    if (o.gpuTerms?.length) spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: o.gpuTerms } } }
  }
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName(o.nameOnCloud, o.rank), namespace: o.settings.namespace, labels }, spec }
  if (!o.settings.podConfig) return pod
  const merged = mergeManifest(pod, o.settings.podConfig) as typeof pod
  // The identity of the pod is sky's: pod_config may add labels, not rename or move the pod.
  merged.metadata = { ...merged.metadata, name: pod.metadata.name, namespace: pod.metadata.namespace, labels: { ...merged.metadata.labels, ...labels } }
  return merged
}
