// Services: cluster IPs (allocated, not routed), node ports (30000-32767) and load-balancer
// addresses, and a small kube-proxy: a NodePort service listens on every node's InternalIP at its
// node port and a LoadBalancer service on its ingress IP at its port, each forwarding TCP to a
// ready pod matching the selector (round robin) at the target port (number or container port name).
import { createConnection, createServer, type Server } from 'node:net'
import { labelsMatch } from './selectors'
import { invalid } from './status'
import type { KubeObject, Store } from './store'

export interface ServiceNetwork {
  clusterIP(n: number): string
  loadBalancerIP(n: number): string
  nodeIPs(): string[]
}

export class Services {
  private readonly listeners = new Map<string, Server[]>()
  private ipSerial = 0
  private lbSerial = 0
  private rr = 0

  constructor(
    private readonly store: Store,
    private readonly net: ServiceNetwork,
    private readonly proxy: boolean,
  ) {}

  /** Fill in clusterIP, node ports and the load balancer address of a new service. */
  allocate(svc: KubeObject): KubeObject {
    const spec = svc.spec
    if (spec.type !== 'ExternalName' && !spec.clusterIP) spec.clusterIP = this.net.clusterIP(++this.ipSerial)
    if (spec.clusterIP) spec.clusterIPs = [spec.clusterIP]
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      const used = new Set(this.store.list('services').flatMap((s) => (s.spec.ports ?? []).map((p: { nodePort?: number }) => p.nodePort)))
      spec.ports.forEach((p: { nodePort?: number }, i: number) => {
        if (p.nodePort !== undefined && used.has(p.nodePort)) {
          throw invalid('Service', svc.metadata.name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${p.nodePort}: provided port is already allocated`, field: `spec.ports[${i}].nodePort` }])
        }
        while (p.nodePort === undefined) {
          const n = 30000 + Math.floor(Math.random() * 2768)
          if (!used.has(n)) p.nodePort = n
        }
        used.add(p.nodePort)
      })
    }
    if (spec.type === 'LoadBalancer') svc.status = { loadBalancer: { ingress: [{ ip: this.net.loadBalancerIP(++this.lbSerial), ipMode: 'VIP' }] } }
    return svc
  }

  /** Start forwarding for a stored service. */
  async open(svc: KubeObject): Promise<void> {
    if (!this.proxy) return
    const k = `${svc.metadata.namespace}/${svc.metadata.name}`
    const servers: Server[] = []
    this.listeners.set(k, servers)
    const binds: { ip: string; port: number; portSpec: Record<string, any> }[] = []
    for (const p of svc.spec.ports ?? []) {
      if (p.nodePort) for (const ip of this.net.nodeIPs()) binds.push({ ip, port: p.nodePort, portSpec: p })
      const lb = svc.status?.loadBalancer?.ingress?.[0]?.ip
      if (lb) binds.push({ ip: lb, port: p.port, portSpec: p })
    }
    await Promise.all(
      binds.map(
        (b) =>
          new Promise<void>((resolve) => {
            const server = createServer((sock) => this.forward(svc, b.portSpec, sock))
            server.once('error', (e) => {
              console.warn(`k8s harness: service ${k} cannot listen on ${b.ip}:${b.port}: ${(e as Error).message}`)
              resolve()
            })
            server.listen(b.port, b.ip, () => resolve())
            servers.push(server)
          }),
      ),
    )
  }

  close(svc: KubeObject): void {
    const k = `${svc.metadata.namespace}/${svc.metadata.name}`
    for (const s of this.listeners.get(k) ?? []) s.close()
    this.listeners.delete(k)
  }

  closeAll(): void {
    for (const list of this.listeners.values()) for (const s of list) s.close()
    this.listeners.clear()
  }

  /** Ready pods behind a service with the port each serves for `portSpec`. */
  endpoints(svc: KubeObject, portSpec: Record<string, any>): { ip: string; port: number }[] {
    const sel: Record<string, string> = svc.spec.selector ?? {}
    if (!Object.keys(sel).length) return []
    const reqs = Object.entries(sel).map(([key, v]) => ({ key, op: '=' as const, values: [v] }))
    const out: { ip: string; port: number }[] = []
    for (const pod of this.store.list('pods', svc.metadata.namespace)) {
      if (!labelsMatch(pod.metadata.labels, reqs) || pod.status?.phase !== 'Running' || !pod.status?.podIP || pod.metadata.deletionTimestamp) continue
      const target = portSpec.targetPort ?? portSpec.port
      let port = typeof target === 'number' ? target : Number.NaN
      if (typeof target === 'string') {
        for (const c of pod.spec.containers) for (const cp of c.ports ?? []) if (cp.name === target) port = cp.containerPort
        if (/^\d+$/.test(target)) port = Number(target)
      }
      if (Number.isInteger(port)) out.push({ ip: pod.status.podIP, port })
    }
    return out
  }

  private forward(svc: KubeObject, portSpec: Record<string, any>, sock: import('node:net').Socket): void {
    const fresh = this.store.get('services', svc.metadata.namespace, svc.metadata.name) ?? svc
    const eps = this.endpoints(fresh, portSpec)
    if (!eps.length) {
      sock.destroy()
      return
    }
    const ep = eps[this.rr++ % eps.length]!
    const up = createConnection({ host: ep.ip, port: ep.port })
    sock.pipe(up).pipe(sock)
    const end = () => {
      sock.destroy()
      up.destroy()
    }
    sock.on('error', end)
    up.on('error', end)
    sock.on('close', end)
    up.on('close', end)
  }
}
