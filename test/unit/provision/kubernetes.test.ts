// The Kubernetes provisioner's pure parts: GPU types from node labels and the affinity that asks
// for them, quantities, pod requests as the scheduler counts them, settings precedence
// (config < context_configs < the task's config:), pod_config merging and the pod manifest.
import { afterEach, describe, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { podRequest } from '../../../src/core/provision/kubernetes/capacity'
import { gpuAffinityTerms, gpuFromLabel, nodeGpuType } from '../../../src/core/provision/kubernetes/gpus'
import { KEEPALIVE, labelValue, podManifest, podName } from '../../../src/core/provision/kubernetes/pod-spec'
import { cpuQuantity, memoryQuantity, parseQuantity } from '../../../src/core/provision/kubernetes/quantity'
import { DEFAULT_IMAGE, mergeManifest, resolveSettings, type KubeSettings } from '../../../src/core/provision/kubernetes/settings'
import type { LaunchedResources } from '../../../src/core/provision/types'
import { baseResources } from '../../conformance/suite'

const launched = (o: Partial<LaunchedResources> = {}): LaunchedResources => ({ ...baseResources('kubernetes', 'ctx', 1), instanceType: '4CPU--16GB', cpus: 4, memoryGb: 16, ...o })
const settings = (o: Partial<KubeSettings> = {}): KubeSettings => ({ namespace: 'team', provisionTimeoutS: 10, podConfig: null, ports: 'loadbalancer', autoscaler: null, resourceLimits: false, ...o })

describe('GPU labels', () => {
  test('each label convention names the catalog GPU', () => {
    expect(gpuFromLabel('nvidia.com/gpu.product', 'NVIDIA-H100-80GB-HBM3')).toBe('H100')
    expect(gpuFromLabel('nvidia.com/gpu.product', 'NVIDIA-A100-SXM4-80GB')).toBe('A100-80GB')
    expect(gpuFromLabel('nvidia.com/gpu.product', 'NVIDIA-A100-SXM4-40GB')).toBe('A100')
    expect(gpuFromLabel('nvidia.com/gpu.product', 'Tesla-T4')).toBe('T4')
    expect(gpuFromLabel('cloud.google.com/gke-accelerator', 'nvidia-tesla-a100')).toBe('A100')
    expect(gpuFromLabel('cloud.google.com/gke-accelerator', 'nvidia-a100-80gb')).toBe('A100-80GB')
    expect(gpuFromLabel('cloud.google.com/gke-accelerator', 'nvidia-l4')).toBe('L4')
    expect(gpuFromLabel('skypilot.co/accelerator', 'h100')).toBe('H100')
    expect(gpuFromLabel('skypilot.co/accelerator', 'a100-80gb')).toBe('A100-80GB')
  })

  test('the sky label wins over the others; no label, no type', () => {
    expect(nodeGpuType({ 'nvidia.com/gpu.product': 'Tesla-T4', 'skypilot.co/accelerator': 'l4' })).toMatchObject({ name: 'L4', key: 'skypilot.co/accelerator' })
    expect(nodeGpuType({ 'kubernetes.io/os': 'linux' })).toBeNull()
  })

  test('affinity lists every label value that names the GPU on the context, one term per key', () => {
    const nodes: { labels: Record<string, string> }[] = [
      { labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' } },
      { labels: { 'cloud.google.com/gke-accelerator': 'nvidia-h100-80gb' } },
      { labels: { 'nvidia.com/gpu.product': 'NVIDIA-L4' } },
      { labels: {} },
    ]
    expect(gpuAffinityTerms('H100', nodes)).toEqual([
      { matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-H100-80GB-HBM3'] }] },
      { matchExpressions: [{ key: 'cloud.google.com/gke-accelerator', operator: 'In', values: ['nvidia-h100-80gb'] }] },
    ])
    // Nothing names it: the sky label, which a labeler (or an autoscaler's node template) sets.
    expect(gpuAffinityTerms('B200', nodes)).toEqual([{ matchExpressions: [{ key: 'skypilot.co/accelerator', operator: 'In', values: ['b200'] }] }])
  })
})

describe('quantities and requests', () => {
  test('parse and format', () => {
    expect(parseQuantity('7500m')).toBe(7.5)
    expect(parseQuantity('32Gi')).toBe(32 * 2 ** 30)
    expect(parseQuantity('16G')).toBe(16e9)
    expect(parseQuantity('1e3')).toBe(1000)
    expect(parseQuantity('abc')).toBeNaN()
    expect(cpuQuantity(4)).toBe('4')
    expect(cpuQuantity(0.5)).toBe('500m')
    expect(memoryQuantity(16)).toBe('16Gi')
    expect(memoryQuantity(1.5)).toBe('1536Mi')
  })

  test("a pod's request is the scheduler's: containers summed, init containers as a maximum, limits when no request", () => {
    const pod = {
      spec: {
        containers: [{ resources: { requests: { cpu: '500m' } } }, { resources: { limits: { cpu: '1', 'nvidia.com/gpu': '2' } } }],
        initContainers: [{ resources: { requests: { cpu: '4' } } }],
      },
    }
    expect(podRequest(pod, 'cpu')).toBe(4)
    expect(podRequest(pod, 'nvidia.com/gpu')).toBe(2)
    expect(podRequest({ spec: { containers: [{ resources: { requests: { cpu: '1' } } }] } }, 'cpu')).toBe(1)
  })
})

describe('settings', () => {
  const dir = join(process.env.SKY_HOME!, 'kubeconfig-settings')
  afterEach(() => rmSync(dir, { force: true }))

  test('config, then context_configs, then the task config; namespace falls back to the kubeconfig context, then default', () => {
    writeFileSync(dir, 'contexts:\n  - name: ctx\n    context: {cluster: c, namespace: from-kubeconfig}\n  - name: other\n    context: {cluster: c}\n')
    const env = { HOME: '/nonexistent', KUBECONFIG: dir }
    const config = {
      kubernetes: {
        provision_timeout: 30,
        ports: 'nodeport',
        pod_config: { metadata: { labels: { team: 'ml' } } },
        context_configs: { ctx: { provision_timeout: 5, pod_config: { spec: { priorityClassName: 'high' } } } },
      },
    }
    const s = resolveSettings('ctx', { kubernetes: { pod_config: { metadata: { labels: { run: 'x' } } } } }, config, env)
    expect(s).toMatchObject({ namespace: 'from-kubeconfig', provisionTimeoutS: 5, ports: 'nodeport', autoscaler: null })
    expect(s.podConfig).toEqual({ metadata: { labels: { team: 'ml', run: 'x' } }, spec: { priorityClassName: 'high' } })
    expect(resolveSettings('other', undefined, config, env)).toMatchObject({ namespace: 'default', provisionTimeoutS: 30, podConfig: { metadata: { labels: { team: 'ml' } } } })
    // With an autoscaler, an unschedulable pod may wait for a new node (default 10 minutes).
    expect(resolveSettings('other', undefined, { kubernetes: { autoscaler: 'gke', namespace: 'ns1' } }, env)).toMatchObject({ provisionTimeoutS: 600, autoscaler: 'gke', namespace: 'ns1' })
  })

  test('manifest merge: maps deep, named lists by name, containers by index, other lists appended', () => {
    const base = { spec: { containers: [{ name: 'sky', env: [{ name: 'A', value: '1' }], resources: { requests: { cpu: '1' } } }], tolerations: [{ key: 'a' }] } }
    const over = { spec: { containers: [{ env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }], resources: { requests: { memory: '1Gi' } } }], tolerations: [{ key: 'b' }] } }
    expect(mergeManifest(base, over)).toEqual({
      spec: {
        containers: [{ name: 'sky', env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }], resources: { requests: { cpu: '1', memory: '1Gi' } } }],
        tolerations: [{ key: 'a' }, { key: 'b' }],
      },
    })
  })
})

describe('pod manifest', () => {
  const tags = { 'skypilot-cluster-name': 'dev-ab12', 'skypilot-display-name': 'dev', 'skypilot-user': 'ab12cd34' }

  test('names, labels, image, requests; worker rank', () => {
    const p = podManifest({ nameOnCloud: 'dev-ab12', rank: 1, resources: launched({ cpus: 0.5, memoryGb: 2, labels: { 'my/label': 'x y' } }), settings: settings(), tags }) as any
    expect(podName('dev-ab12', 0)).toBe('dev-ab12-head')
    expect(p.metadata).toMatchObject({ name: 'dev-ab12-worker1', namespace: 'team' })
    expect(p.metadata.labels).toMatchObject({ ...tags, 'skypilot-node-rank': '1', 'ray-node-type': 'worker', 'ray-cluster-name': 'dev-ab12', 'my/label': 'x-y' })
    const c = p.spec.containers[0]
    expect(c.image).toBe(DEFAULT_IMAGE)
    expect(c.command).toEqual(['/bin/sh', '-c', KEEPALIVE])
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' } })
    expect(c.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } })
    expect(p.spec.restartPolicy).toBe('Never')
  })

  test('GPUs: requests and limits, toleration, node affinity; limits for CPU and memory when asked', () => {
    const terms = [{ matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-H100-80GB-HBM3'] }] }]
    const p = podManifest({ nameOnCloud: 'g', rank: 0, resources: launched({ accelerators: { name: 'H100', count: 8 }, imageId: 'docker:nvcr.io/nvidia/pytorch:24.05-py3' }), settings: settings({ resourceLimits: 2 }), tags, gpuTerms: terms }) as any
    const c = p.spec.containers[0]
    expect(c.image).toBe('nvcr.io/nvidia/pytorch:24.05-py3')
    expect(c.resources).toEqual({ requests: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '8' }, limits: { 'nvidia.com/gpu': '8', cpu: '8', memory: '32Gi' } })
    expect(p.spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }])
    expect(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual(terms)
  })

  test('pod_config is merged in but cannot rename or move the pod or drop its labels', () => {
    const podConfig = {
      metadata: { name: 'hijack', namespace: 'elsewhere', labels: { team: 'ml', 'skypilot-cluster-name': 'other' } },
      spec: { nodeSelector: { pool: 'a' }, containers: [{ env: [{ name: 'HF_HOME', value: '/cache' }] }] },
    }
    const p = podManifest({ nameOnCloud: 'dev-ab12', rank: 0, resources: launched(), settings: settings({ podConfig }), tags }) as any
    expect(p.metadata).toMatchObject({ name: 'dev-ab12-head', namespace: 'team' })
    expect(p.metadata.labels).toMatchObject({ team: 'ml', 'skypilot-cluster-name': 'dev-ab12' })
    expect(p.spec.nodeSelector).toEqual({ pool: 'a' })
    expect(p.spec.containers).toHaveLength(1)
    expect(p.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual(['SKY_NODE_RANK', 'POD_IP', 'HF_HOME'])
  })

  test('label values are made valid', () => {
    expect(labelValue('my cluster.name_')).toBe('my-cluster.name')
    expect(labelValue('x'.repeat(80))).toHaveLength(63)
  })
})
