// Services on the test API server: ClusterIP/NodePort/LoadBalancer allocation, the small
// kube-proxy (node port on every node's InternalIP, load-balancer ingress IP at the service port,
// forwarding to ready pods that match the selector), kubectl's service table, and deletion.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { waitFor } from '../../harness'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../harness/k8s'
import { kubectl, kubectlBinaries } from '../../harness/k8s/kubectl'
import { call, waitPod } from './http'

let k8s: KubeHarness
let base: string
const PORT = 18181
const server = ['perl', '-MIO::Socket::INET', '-e', `$s=IO::Socket::INET->new(LocalPort=>${PORT},Listen=>9,ReuseAddr=>1) or die; while($c=$s->accept){<$c>; print $c "HTTP/1.0 200 OK\\r\\n\\r\\nserved by $ENV{HOSTNAME}\\n"; close $c}`]

beforeAll(async () => {
  k8s = await startKubeApi({ contexts: [{ name: 'svc', nodes: nodeSpecs(2) }] })
  base = k8s.contexts[0]!.url
  const r = await call(base, 'POST', '/api/v1/namespaces/default/pods', {
    metadata: { name: 'backend', labels: { app: 'backend' } },
    spec: { containers: [{ name: 'main', image: 'perl', command: server, ports: [{ name: 'http', containerPort: PORT }] }] },
  })
  expect(r.status).toBe(201)
  await waitPod(base, 'backend')
})
afterAll(() => k8s?.stop())

const get = (url: string) => waitFor(() => fetch(url).then((r) => r.text(), () => undefined), 10_000)

test('NodePort: reachable on every node InternalIP at the node port', async () => {
  const r = await call(base, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'np' }, spec: { type: 'NodePort', selector: { app: 'backend' }, ports: [{ port: 80, targetPort: 'http' }] } })
  expect(r.status).toBe(201)
  const spec = r.body.spec
  expect(spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/)
  expect(spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http', protocol: 'TCP' })
  expect(spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000)
  const nodes = (await call(base, 'GET', '/api/v1/nodes')).body.items
  for (const n of nodes) {
    const ip = n.status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address
    expect(await get(`http://${ip}:${spec.ports[0].nodePort}/`)).toBe('served by backend\n')
  }
})

test('LoadBalancer: an ingress IP serving the service port; kubectl shows it', async () => {
  const r = await call(base, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', selector: { app: 'backend' }, ports: [{ name: 'web', port: 8000, targetPort: PORT }] } })
  const ip = r.body.status.loadBalancer.ingress[0].ip
  expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/)
  expect(await get(`http://${ip}:8000/`)).toBe('served by backend\n')
  const bin = kubectlBinaries().found.at(-1)
  if (bin) {
    const out = (await kubectl(bin, k8s.kubeconfig()).run(['get', 'svc', 'lb', '--no-headers'])).stdout
    expect(out).toMatch(new RegExp(`^lb\\s+LoadBalancer\\s+10\\.96\\.\\d+\\.\\d+\\s+${ip.replace(/\./g, '\\.')}\\s+8000:3\\d{4}/TCP\\s+\\S+\\n$`))
  }
})

test('a taken node port is refused; deleting a service closes its ports', async () => {
  const np = (await call(base, 'GET', '/api/v1/namespaces/default/services/np')).body
  const port = np.spec.ports[0].nodePort
  const dup = await call(base, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'np2' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: port }] } })
  expect(dup.body).toMatchObject({ code: 422, message: `Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated` })
  const del = await call(base, 'DELETE', '/api/v1/namespaces/default/services/np')
  expect(del.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'np', kind: 'services' } })
  const node = k8s.contexts[0]!.cluster.nodeIP('node-0')
  const refused = await fetch(`http://${node}:${port}/`).then(
    () => false,
    () => true,
  )
  expect(refused).toBe(true)
})

test('no ready pod behind a service: the connection is closed', async () => {
  const r = await call(base, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'empty' }, spec: { type: 'LoadBalancer', selector: { app: 'nobody' }, ports: [{ port: 8001 }] } })
  const ip = r.body.status.loadBalancer.ingress[0].ip
  const failed = await fetch(`http://${ip}:8001/`).then(
    () => false,
    () => true,
  )
  expect(failed).toBe(true)
})
