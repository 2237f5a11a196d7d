// The test API server's scheduler: requests (cpu, memory, nvidia.com/gpu) against allocatable,
// GPU node labels through nodeSelector and node affinity, taints, cordoned nodes, and the real
// scheduler's words when nothing fits (PodScheduled=False/Unschedulable + a FailedScheduling event).
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../harness/k8s'
import { kubectl, kubectlBinaries } from '../../harness/k8s/kubectl'
import { call, createPod, getPod, waitPod } from './http'

let k8s: KubeHarness
let base: string
beforeAll(async () => {
  k8s = await startKubeApi({
    contexts: [
      {
        name: 'sched',
        nodes: [
          ...nodeSpecs(2, { prefix: 'cpu', cpu: 4, memory: 16 }),
          { name: 'h100-0', cpu: 32, memory: 256, gpus: 8, gpuType: 'H100' },
          { name: 'l4-0', cpu: 8, memory: 32, gpus: 1, gpuType: 'L4', gpuLabels: ['gke'], taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
        ],
      },
    ],
  })
  base = k8s.contexts[0]!.url
})
afterAll(() => k8s?.stop())

const gpuToleration = { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }
const unschedulable = (p: any) => p?.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False')

async function failedScheduling(name: string): Promise<any[]> {
  const r = await call(base, 'GET', `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${name},reason%3DFailedScheduling`)
  return r.body.items
}

test('GPU pods land on the node whose GPU label they select (all three label conventions)', async () => {
  await createPod(base, 'gfd', { limits: { 'nvidia.com/gpu': '2' }, nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' } })
  await createPod(base, 'sky', { limits: { 'nvidia.com/gpu': '2' }, nodeSelector: { 'skypilot.co/accelerator': 'h100' } })
  await createPod(base, 'gke', {
    limits: { 'nvidia.com/gpu': '1' },
    extra: {
      ...gpuToleration,
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cloud.google.com/gke-accelerator', operator: 'In', values: ['nvidia-l4'] }] }] } } },
    },
  })
  expect((await waitPod(base, 'gfd')).spec.nodeName).toBe('h100-0')
  expect((await waitPod(base, 'sky')).spec.nodeName).toBe('h100-0')
  expect((await waitPod(base, 'gke')).spec.nodeName).toBe('l4-0')
  const events = (await call(base, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dgke,reason%3DScheduled')).body.items
  expect(events[0]).toMatchObject({ type: 'Normal', message: 'Successfully assigned default/gke to l4-0', source: { component: 'default-scheduler' } })
})

test('too many GPUs: Pending, Unschedulable with the scheduler message, and a FailedScheduling event', async () => {
  await createPod(base, 'greedy', { limits: { 'nvidia.com/gpu': '16' } })
  const p = await waitPod(base, 'greedy', unschedulable)
  const msg =
    '0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu. ' +
    'preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.'
  expect(p.status.phase).toBe('Pending')
  expect(unschedulable(p)).toMatchObject({ reason: 'Unschedulable', message: msg })
  const ev = await failedScheduling('greedy')
  expect(ev).toHaveLength(1)
  expect(ev[0]).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', message: msg, involvedObject: { kind: 'Pod', name: 'greedy' } })
  await call(base, 'DELETE', '/api/v1/namespaces/default/pods/greedy')
})

test('affinity that matches no node, and a taint without toleration', async () => {
  await createPod(base, 'a100', { limits: { 'nvidia.com/gpu': '1' }, nodeSelector: { 'skypilot.co/accelerator': 'a100' } })
  expect(unschedulable(await waitPod(base, 'a100', unschedulable)).message).toBe(
    "0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
  )
  await createPod(base, 'l4-no-tol', { limits: { 'nvidia.com/gpu': '1' }, nodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-l4' } })
  expect(unschedulable(await waitPod(base, 'l4-no-tol', unschedulable)).message).toStartWith('0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 node(s)')
  for (const n of ['a100', 'l4-no-tol']) await call(base, 'DELETE', `/api/v1/namespaces/default/pods/${n}`)
})

test('a Pending pod is scheduled once capacity frees up', async () => {
  // gfd and sky hold 4 of h100-0's 8 GPUs.
  await createPod(base, 'big', { limits: { 'nvidia.com/gpu': '5' }, nodeSelector: { 'skypilot.co/accelerator': 'h100' } })
  const pending = await waitPod(base, 'big', unschedulable)
  expect(unschedulable(pending).message).toContain('Insufficient nvidia.com/gpu')
  await call(base, 'DELETE', '/api/v1/namespaces/default/pods/gfd?gracePeriodSeconds=0')
  expect((await waitPod(base, 'big')).spec.nodeName).toBe('h100-0')
  expect(unschedulable(await getPod(base, 'big'))).toBeUndefined()
})

test('cpu and memory requests count against allocatable; cordoned nodes are skipped', async () => {
  await createPod(base, 'fat', { requests: { cpu: '3500m', memory: '12Gi' }, nodeSelector: { 'kubernetes.io/hostname': 'cpu-0' } })
  expect((await waitPod(base, 'fat')).spec.nodeName).toBe('cpu-0')
  await createPod(base, 'fatter', { requests: { cpu: '1', memory: '8Gi' }, nodeSelector: { 'kubernetes.io/hostname': 'cpu-0' } })
  expect(unschedulable(await waitPod(base, 'fatter', unschedulable)).message).toStartWith(
    "0/4 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 node(s) didn't match Pod's node affinity/selector.",
  )
  // Cordon and uncordon with real kubectl (a PATCH of spec.unschedulable), or the harness API without one.
  const bin = kubectlBinaries().found.at(-1)
  const kc = bin && kubectl(bin, k8s.kubeconfig())
  const cordon = async (on: boolean) => {
    if (kc) expect((await kc.run([on ? 'cordon' : 'uncordon', 'cpu-1'])).code).toBe(0)
    else k8s.contexts[0]!.cluster.updateNode({ name: 'cpu-1', cpu: 4, memory: 16, unschedulable: on })
  }
  await cordon(true)
  await createPod(base, 'cordoned', { nodeSelector: { 'kubernetes.io/hostname': 'cpu-1' } })
  expect(unschedulable(await waitPod(base, 'cordoned', unschedulable)).message).toContain('1 node(s) were unschedulable')
  await cordon(false)
  expect((await waitPod(base, 'cordoned')).spec.nodeName).toBe('cpu-1')
})
