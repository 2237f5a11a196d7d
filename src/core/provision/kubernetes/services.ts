// Ports of a cluster (`resources.ports`) as Kubernetes Services selecting the head pod: type
// LoadBalancer (default, as SkyPilot) or NodePort (`kubernetes.ports: nodeport`). Each call that
// opens ports not yet exposed makes one Service (`<name-on-cloud>-ports-<first port>`) for them,
// so ports already open keep their addresses; every Service carries the cluster label and goes
// with `cleanupPorts` / `down`.
import { expandPorts } from '../local/provisioner'
import type { PortEndpoint } from '../types'
import { apiStatus, kubeFailure, type KubeClient } from './api'
import { CLUSTER_LABEL, RANK_LABEL } from './pod-spec'
import type { PortsMode } from './settings'

interface ServiceObject {
  metadata: { name: string; labels?: Record<string, string> }
  spec?: { type?: string; ports?: { name?: string; port: number; nodePort?: number }[] }
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }
}

const LB_WAIT_MS = 60_000

export async function clusterServices(c: KubeClient, namespace: string, nameOnCloud: string, signal?: AbortSignal): Promise<ServiceObject[]> {
  const list = await c.request<{ items: ServiceObject[] }>('GET', `/api/v1/namespaces/${namespace}/services`, { query: { labelSelector: `${CLUSTER_LABEL}=${nameOnCloud}` }, signal })
  return list.items
}

/** Expose `ports` (`8080`, `9000-9010`) of the head pod; ports already exposed are left as they are. */
export async function exposePorts(c: KubeClient, o: { namespace: string; nameOnCloud: string; ports: string[]; mode: PortsMode; labels: Record<string, string>; signal?: AbortSignal; log?: (l: string) => void }): Promise<void> {
  const existing = await clusterServices(c, o.namespace, o.nameOnCloud, o.signal)
  const open = new Set(existing.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.port)))
  const want = expandPorts(o.ports).filter((p) => !open.has(p))
  if (!want.length) return
  const name = `${o.nameOnCloud}-ports-${want[0]}`
  const body = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace, labels: { ...o.labels, [CLUSTER_LABEL]: o.nameOnCloud } },
    spec: {
      type: o.mode === 'nodeport' ? 'NodePort' : 'LoadBalancer',
      selector: { [CLUSTER_LABEL]: o.nameOnCloud, [RANK_LABEL]: '0' },
      ports: want.map((p) => ({ name: `port-${p}`, port: p, targetPort: p, protocol: 'TCP' })),
    },
  }
  try {
    await c.request('POST', `/api/v1/namespaces/${o.namespace}/services`, { body, signal: o.signal })
  } catch (e) {
    if (apiStatus(e) !== 409) throw kubeFailure(e, c.context, `service ${name}`)
  }
  o.log?.(`├── Ports ${want.join(', ')} exposed through ${body.spec.type} service ${name}.`)
  if (o.mode === 'loadbalancer') {
    const until = Date.now() + LB_WAIT_MS
    while (Date.now() < until && !o.signal?.aborted) {
      const s = await c.request<ServiceObject>('GET', `/api/v1/namespaces/${o.namespace}/services/${name}`, { signal: o.signal })
      if (s.status?.loadBalancer?.ingress?.length) return
      await Bun.sleep(500)
    }
    o.log?.(`├── The load balancer of ${name} has no address yet; sky status --endpoints shows it once it has.`)
  }
}

/** Where clients reach each exposed port: the load balancer's address, or a node address and node port. */
export async function serviceEndpoints(c: KubeClient, o: { namespace: string; nameOnCloud: string; ports: string[]; nodeAddress: () => Promise<string | undefined> }): Promise<PortEndpoint[]> {
  const services = await clusterServices(c, o.namespace, o.nameOnCloud)
  const wanted = new Set(expandPorts(o.ports))
  const out: PortEndpoint[] = []
  let node: string | undefined | null = null
  for (const s of services) {
    for (const p of s.spec?.ports ?? []) {
      if (!wanted.has(p.port)) continue
      if (s.spec?.type === 'LoadBalancer') {
        const ing = s.status?.loadBalancer?.ingress?.[0]
        const host = ing?.ip ?? ing?.hostname
        if (host) out.push({ port: p.port, address: `${host}:${p.port}` })
      } else if (p.nodePort) {
        node = node === null ? await o.nodeAddress() : node
        if (node) out.push({ port: p.port, address: `${node}:${p.nodePort}` })
      }
    }
  }
  return out.sort((a, b) => a.port - b.port)
}

/** Delete every Service of the cluster (none is fine). */
export async function deleteServices(c: KubeClient, namespace: string, nameOnCloud: string): Promise<void> {
  for (const s of await clusterServices(c, namespace, nameOnCloud)) {
    try {
      await c.request('DELETE', `/api/v1/namespaces/${namespace}/services/${s.metadata.name}`)
    } catch (e) {
      if (apiStatus(e) !== 404) throw kubeFailure(e, c.context, `delete service ${s.metadata.name}`)
    }
  }
}
