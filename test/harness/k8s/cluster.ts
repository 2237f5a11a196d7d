// One test cluster (one kubeconfig context): its store, nodes, scheduler loop, kubelet and
// services. The HTTP layer calls createPod/deletePod/...; tests may also change nodes directly.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ImageConfig } from './containers'
import { recordEvent } from './events'
import { Kubelet } from './kubelet'
import { nodeObject, type NodeSpec } from './nodes'
import type { Sandboxes } from './sandbox'
import { podRequests, schedule, type Requests } from './scheduler'
import { Services } from './services'
import { newMeta, now, Store, type KubeObject } from './store'

export interface ClusterOptions {
  name: string
  index: number
  nodes: NodeSpec[]
  dir: string
  runId: string
  /** Second octet of this run's 127.x addresses. */
  octet: number
  sandboxes: Sandboxes
  images: Record<string, ImageConfig>
  restartBackoffMs: number
  kubeletVersion: string
  serviceProxy: boolean
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease']

export class Cluster {
  readonly store = new Store()
  readonly kubelet: Kubelet
  readonly services: Services
  private readonly nodeIPs = new Map<string, string>()
  private nodeSerial = 0
  private pendingRun = false

  constructor(readonly o: ClusterOptions) {
    mkdirSync(join(o.dir, 'pods'), { recursive: true })
    this.kubelet = new Kubelet({
      store: this.store,
      sandboxes: o.sandboxes,
      dir: o.dir,
      runId: o.runId,
      images: o.images,
      restartBackoffMs: o.restartBackoffMs,
      nodeIP: (n) => this.nodeIPs.get(n) ?? '',
      onRelease: () => this.scheduleSoon(),
    })
    this.services = new Services(
      this.store,
      {
        clusterIP: (n) => `10.96.${o.index}.${n % 250 + 1}`,
        loadBalancerIP: (n) => `127.${o.octet}.${220 + o.index}.${n % 250 + 1}`,
        nodeIPs: () => [...this.nodeIPs.values()],
      },
      o.serviceProxy,
    )
    for (const name of SYSTEM_NAMESPACES) {
      this.store.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: newMeta({ name, labels: { 'kubernetes.io/metadata.name': name } }),
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      })
    }
    for (const n of o.nodes) this.addNode(n)
    // New pods and changed nodes (kubectl cordon/uncordon, label, capacity) may change placements.
    this.store.subscribe((e) => {
      if ((e.resource === 'pods' && e.type === 'ADDED') || e.resource === 'nodes') this.scheduleSoon()
    })
  }

  addNode(spec: NodeSpec): KubeObject {
    const i = ++this.nodeSerial
    if (i > 254) throw new Error('k8s harness: at most 254 nodes per cluster')
    const ip = `127.${this.o.octet}.${200 + this.o.index}.${i}`
    this.nodeIPs.set(spec.name, ip)
    return this.store.create('nodes', nodeObject(spec, { internalIP: ip, podCIDR: `10.244.${i}.0/24`, kubeletVersion: this.o.kubeletVersion }))
  }

  /** Replace a node's spec-derived fields (capacity, labels, taints) keeping its identity. */
  updateNode(spec: NodeSpec): KubeObject {
    const ip = this.nodeIPs.get(spec.name)
    if (!ip) throw new Error(`k8s harness: no node ${spec.name}`)
    const cur = this.store.mustGet('nodes', undefined, spec.name)
    const next = nodeObject(spec, { internalIP: ip, podCIDR: cur.spec.podCIDR, kubeletVersion: this.o.kubeletVersion })
    return this.store.update('nodes', undefined, spec.name, (n) => ({ ...n, metadata: { ...n.metadata, labels: next.metadata.labels }, spec: next.spec, status: next.status }))
  }

  removeNode(name: string): void {
    this.store.remove('nodes', undefined, name)
    this.nodeIPs.delete(name)
  }

  nodeIP(name: string): string | undefined {
    return this.nodeIPs.get(name)
  }

  /** After a pod was stored: schedule it (the response to the create goes out first). */
  scheduleSoon(): void {
    if (this.pendingRun) return
    this.pendingRun = true
    setImmediate(() => {
      this.pendingRun = false
      this.scheduleAll()
    })
  }

  private scheduleAll(): void {
    const pods = this.store.list('pods')
    const used = new Map<string, Requests>()
    for (const p of pods) {
      const node = p.spec.nodeName as string | undefined
      if (!node || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue
      const u = used.get(node) ?? {}
      for (const [k, v] of Object.entries(podRequests(p))) u[k] = (u[k] ?? 0) + v
      used.set(node, u)
    }
    const nodes = this.store.list('nodes')
    const pending = pods.filter((p) => !p.spec.nodeName && !p.metadata.deletionTimestamp)
    pending.sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp))
    for (const pod of pending) {
      const d = schedule(pod, nodes, used)
      if ('node' in d) {
        const u = used.get(d.node) ?? {}
        for (const [k, v] of Object.entries(podRequests(pod))) u[k] = (u[k] ?? 0) + v
        used.set(d.node, u)
        this.bind(pod, d.node)
      } else this.unschedulable(pod, d.message)
    }
  }

  private bind(pod: KubeObject, node: string): void {
    const at = now()
    const bound = this.store.update('pods', pod.metadata.namespace, pod.metadata.name, (p) => ({
      ...p,
      spec: { ...p.spec, nodeName: node },
      status: {
        ...p.status,
        conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at }],
        hostIP: this.nodeIPs.get(node),
        startTime: at,
        containerStatuses: p.spec.containers.map((c: { name: string; image: string }) => ({
          name: c.name,
          state: { waiting: { reason: 'ContainerCreating' } },
          lastState: {},
          ready: false,
          restartCount: 0,
          image: c.image,
          imageID: '',
          started: false,
        })),
      },
    }))
    recordEvent(this.store, bound, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`, { component: 'default-scheduler' })
    void this.kubelet.start(bound)
  }

  private unschedulable(pod: KubeObject, message: string): void {
    const before = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled')
    if (!before || before.message !== message) {
      this.store.update('pods', pod.metadata.namespace, pod.metadata.name, (p) => ({
        ...p,
        status: { ...p.status, phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: now(), reason: 'Unschedulable', message }] },
      }))
    }
    recordEvent(this.store, pod, 'Warning', 'FailedScheduling', message, { component: 'default-scheduler' })
  }

  /** DELETE a pod: graceful when it runs (deletionTimestamp now, gone once its processes are). */
  deletePod(pod: KubeObject, graceSeconds: number | undefined): KubeObject {
    const ns = pod.metadata.namespace
    const name = pod.metadata.name
    const grace = graceSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30
    const running = this.kubelet.running(pod)
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed'
    if (!running || grace === 0 || finished) {
      void this.kubelet.stop(pod, 0)
      return this.store.remove('pods', ns, name) ?? pod
    }
    if (pod.metadata.deletionTimestamp) return pod
    const marked = this.store.update('pods', ns, name, (p) => ({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z'), deletionGracePeriodSeconds: grace },
    }))
    void this.kubelet.stop(marked, grace).then(() => {
      const cur = this.store.get('pods', ns, name)
      if (cur && cur.metadata.uid === marked.metadata.uid) this.store.remove('pods', ns, name)
    })
    return marked
  }

  /** DELETE a namespace: Terminating, then everything in it goes, then the namespace. */
  deleteNamespace(ns: KubeObject): KubeObject {
    const name = ns.metadata.name
    const marked = this.store.update('namespaces', undefined, name, (n) => ({ ...n, metadata: { ...n.metadata, deletionTimestamp: now() }, status: { phase: 'Terminating' } }))
    void (async () => {
      for (const s of this.store.list('services', name)) {
        this.services.close(s)
        this.store.remove('services', name, s.metadata.name)
      }
      for (const r of ['configmaps', 'secrets', 'serviceaccounts', 'events']) for (const o of this.store.list(r, name)) this.store.remove(r, name, o.metadata.name)
      await Promise.all(this.store.list('pods', name).map((p) => this.kubelet.stop(p, 0).then(() => this.store.remove('pods', name, p.metadata.name))))
      this.store.remove('namespaces', undefined, name)
    })()
    return marked
  }

  stop(): void {
    this.services.closeAll()
    this.kubelet.killAll()
  }
}
