// The test Kubernetes API server held to @kubernetes/client-node 2.0.1 under Bun: REST
// list/create/read/delete with the apiserver's errors, watch, and exec over WebSocket. Over TLS
// it shows the Bun pitfall (REST ignores the kubeconfig's CA and client certificate: client-node
// hands them to an undici Agent, an empty class under Bun, while exec over Bun's `ws` honours
// them) and the client-side fix the Kubernetes provisioner needs: an HttpLibrary on Bun's own
// fetch with `tls: { ca, cert, key }`, and a watch of its own on the same fetch.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { PassThrough, Readable } from 'node:stream'
import {
  ApiException,
  CoreV1Api,
  createConfiguration,
  Exec,
  KubeConfig,
  ResponseContext,
  ServerConfiguration,
  Watch,
  wrapHttpLibrary,
  type RequestContext,
  type V1Pod,
  type V1Status,
} from '@kubernetes/client-node'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../harness/k8s'
import { waitFor } from '../../harness'

const pod = (name: string): V1Pod => ({
  metadata: { name, labels: { app: 'client-node', name } },
  spec: { containers: [{ name: 'main', image: 'ubuntu:22.04', command: ['sh', '-c', 'echo started; exec sleep 3600'] }] },
})

function load(path: string, context?: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(path)
  if (context) kc.setCurrentContext(context)
  return kc
}

/** Run a command through client-node's Exec (WebSocket); resolves with output and status. */
async function exec(kc: KubeConfig, name: string, command: string[], stdin?: string): Promise<{ out: string; err: string; status: V1Status }> {
  const out = new PassThrough()
  const err = new PassThrough()
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] }
  out.on('data', (d) => chunks.out.push(d))
  err.on('data', (d) => chunks.err.push(d))
  const status = await new Promise<V1Status>((resolve, reject) => {
    new Exec(kc).exec('default', name, 'main', command, out, err, stdin === undefined ? null : Readable.from([Buffer.from(stdin)]), false, resolve).catch(reject)
  })
  return { out: Buffer.concat(chunks.out).toString(), err: Buffer.concat(chunks.err).toString(), status }
}

const exitCode = (s: V1Status) => (s.status === 'Success' ? 0 : Number(s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message))

async function waitRunning(api: CoreV1Api, name: string): Promise<V1Pod> {
  return waitFor(async () => {
    const p = await api.readNamespacedPod({ name, namespace: 'default' })
    return p.status?.phase === 'Running' && p
  }, 20_000)
}

describe('client-node over HTTP', () => {
  let k8s: KubeHarness
  let kc: KubeConfig
  let api: CoreV1Api
  beforeAll(async () => {
    k8s = await startKubeApi({ contexts: [{ name: 'plain', nodes: nodeSpecs(3, { gpus: 4, gpuType: 'L4' }) }] })
    kc = load(k8s.kubeconfig())
    api = kc.makeApiClient(CoreV1Api)
  })
  afterAll(() => k8s?.stop())

  test('lists nodes with allocatable GPUs and GPU labels', async () => {
    const nodes = await api.listNode()
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['node-0', 'node-1', 'node-2'])
    expect(nodes.items[0]!.status?.allocatable?.['nvidia.com/gpu']).toBe('4')
    expect(nodes.items[0]!.metadata?.labels?.['skypilot.co/accelerator']).toBe('l4')
  })

  test('creates a pod, watches it to Running, finds it by label and field selectors, deletes it', async () => {
    const events: string[] = []
    const watching = await new Watch(kc).watch('/api/v1/namespaces/default/pods', { labelSelector: 'name=cn-a' }, (type, obj: V1Pod) => events.push(`${type} ${obj.status?.phase}`), () => {})
    const created = await api.createNamespacedPod({ namespace: 'default', body: pod('cn-a') })
    expect(created.metadata?.uid).toBeTruthy()
    expect(created.status?.phase).toBe('Pending')
    await waitFor(() => events.includes('MODIFIED Running'), 20_000)
    watching.abort()
    expect(events[0]).toBe('ADDED Pending')
    const byLabel = await api.listNamespacedPod({ namespace: 'default', labelSelector: 'app=client-node,name in (cn-a,other)' })
    expect(byLabel.items.map((p) => p.metadata?.name)).toEqual(['cn-a'])
    const byField = await api.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running,metadata.name=cn-a' })
    expect(byField.items).toHaveLength(1)
    expect((await api.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Pending' })).items).toHaveLength(0)
    await api.deleteNamespacedPod({ name: 'cn-a', namespace: 'default', gracePeriodSeconds: 0 })
    const gone = await api.readNamespacedPod({ name: 'cn-a', namespace: 'default' }).catch((e) => e)
    expect(gone).toBeInstanceOf(ApiException)
    expect((gone as ApiException<string>).code).toBe(404)
    expect(JSON.parse((gone as ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "cn-a" not found', code: 404 })
  })

  test('409 AlreadyExists and 422 Invalid come back as ApiException with the Status body', async () => {
    await api.createNamespacedPod({ namespace: 'default', body: pod('cn-dup') })
    const dup = (await api.createNamespacedPod({ namespace: 'default', body: pod('cn-dup') }).catch((e) => e)) as ApiException<string>
    expect(dup.code).toBe(409)
    expect(JSON.parse(dup.body)).toMatchObject({ reason: 'AlreadyExists', details: { name: 'cn-dup', kind: 'pods' } })
    const bad = (await api.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'Bad_Name' }, spec: { containers: [] } } }).catch((e) => e)) as ApiException<string>
    expect(bad.code).toBe(422)
    const status = JSON.parse(bad.body)
    expect(status.reason).toBe('Invalid')
    expect(status.details.causes.map((c: { field: string }) => c.field)).toEqual(['metadata.name', 'spec.containers'])
    await api.deleteNamespacedPod({ name: 'cn-dup', namespace: 'default', gracePeriodSeconds: 0 })
  })

  test('exec over WebSocket: stdin, stdout, stderr and the exit code in the status', async () => {
    await api.createNamespacedPod({ namespace: 'default', body: pod('cn-exec') })
    await waitRunning(api, 'cn-exec')
    const r = await exec(kc, 'cn-exec', ['sh', '-c', 'cat; echo oops >&2; exit 7'], 'from stdin\n')
    expect(r.out).toBe('from stdin\n')
    expect(r.err).toBe('oops\n')
    expect(exitCode(r.status)).toBe(7)
    expect(r.status.reason).toBe('NonZeroExitCode')
    const ok = await exec(kc, 'cn-exec', ['sh', '-c', 'echo $HOSTNAME'])
    expect(ok).toMatchObject({ out: 'cn-exec\n', status: { status: 'Success' } })
    const ws = k8s.contexts[0]!.requests.filter((q) => q.url.includes('/exec'))
    expect(ws.every((q) => q.upgrade === 'websocket' && q.protocols.startsWith('v5.channel.k8s.io'))).toBe(true)
  })
})

/** The fix sketch for phase 2: REST over Bun's fetch with the kubeconfig's TLS material. */
function bunFetchLibrary(kc: KubeConfig) {
  return wrapHttpLibrary({
    async send(req: RequestContext): Promise<ResponseContext> {
      const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string> } = {}
      await kc.applyToHTTPSOptions(opts as never)
      const res = await fetch(req.getUrl(), {
        method: req.getHttpMethod(),
        headers: req.getHeaders(),
        body: req.getBody() as BodyInit | undefined,
        signal: req.getSignal() as AbortSignal | undefined,
        tls: { ca: opts.ca?.toString(), cert: opts.cert?.toString(), key: opts.key?.toString(), rejectUnauthorized: !kc.getCurrentCluster()?.skipTLSVerify },
      } as RequestInit)
      const headers: Record<string, string> = {}
      res.headers.forEach((v, k) => {
        headers[k] = v
      })
      return new ResponseContext(res.status, headers, { text: () => res.text(), binary: async () => Buffer.from(await res.arrayBuffer()), stream: () => res.body })
    },
  })
}

function fixedApi(kc: KubeConfig): CoreV1Api {
  return new CoreV1Api(createConfiguration({ baseServer: new ServerConfiguration(kc.getCurrentCluster()!.server, {}), authMethods: { default: kc }, httpApi: bunFetchLibrary(kc) }))
}

describe('client-node over TLS (client certificates and tokens)', () => {
  let k8s: KubeHarness
  beforeAll(async () => {
    k8s = await startKubeApi({ tls: true, contexts: [{ name: 'secure', nodes: nodeSpecs(2) }] })
  })
  afterAll(() => k8s?.stop())

  test('Bun pitfall: the stock REST client ignores the kubeconfig CA (exec honours it)', async () => {
    const kc = load(k8s.kubeconfig({ auth: 'cert' }))
    const err = await kc.makeApiClient(CoreV1Api).listNode().then(
      () => undefined,
      (e: Error) => e,
    )
    // If this starts passing, Bun's undici shim carries the TLS options now and the workaround below can go.
    expect(err?.message ?? 'no error').toMatch(/certificate|verify|self.signed|UNABLE_TO|issuer/i)
  })

  for (const auth of ['cert', 'token'] as const) {
    test(`fixed REST client with ${auth} auth: list, create, exec, delete`, async () => {
      const kc = load(k8s.kubeconfig({ auth, path: `${k8s.dir}/kubeconfig-${auth}` }))
      const api = fixedApi(kc)
      expect((await api.listNode()).items).toHaveLength(2)
      const name = `tls-${auth}`
      await api.createNamespacedPod({ namespace: 'default', body: pod(name) })
      await waitRunning(api, name)
      const r = await exec(kc, name, ['sh', '-c', 'read x; echo "got $x"; exit 2'], 'abc\n')
      expect(r).toMatchObject({ out: 'got abc\n' })
      expect(exitCode(r.status)).toBe(2)
      await api.deleteNamespacedPod({ name, namespace: 'default', gracePeriodSeconds: 0 })
      const users = new Set(k8s.contexts[0]!.requests.filter((q) => q.url.includes(name)).map((q) => q.user))
      expect([...users]).toEqual([auth === 'cert' ? 'cert:tester' : 'tester'])
    })
  }

  test('without credentials the server answers 401 Unauthorized', async () => {
    const kc = load(k8s.kubeconfig({ auth: 'none', path: `${k8s.dir}/kubeconfig-none` }))
    const e = (await fixedApi(kc).listNode().catch((x) => x)) as ApiException<string>
    expect(e.code).toBe(401)
    expect(k8s.contexts[0]!.requests.at(-1)).toMatchObject({ url: '/api/v1/nodes', user: '', status: 401 })
  })

  test('a watch of our own on Bun fetch with the TLS material', async () => {
    const kc = load(k8s.kubeconfig({ auth: 'cert' }))
    const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {}
    await kc.applyToHTTPSOptions(opts as never)
    const controller = new AbortController()
    const res = await fetch(`${kc.getCurrentCluster()!.server}/api/v1/namespaces/default/pods?watch=true`, {
      signal: controller.signal,
      tls: { ca: opts.ca?.toString(), cert: opts.cert?.toString(), key: opts.key?.toString() },
    } as RequestInit)
    expect(res.status).toBe(200)
    const lines: string[] = []
    const reading = (async () => {
      const decoder = new TextDecoder()
      let buf = ''
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true })
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const ev = JSON.parse(buf.slice(0, nl)) as { type: string; object: V1Pod }
          lines.push(`${ev.type} ${ev.object.metadata?.name}`)
          buf = buf.slice(nl + 1)
        }
      }
    })().catch(() => {})
    await fixedApi(kc).createNamespacedPod({ namespace: 'default', body: pod('watched') })
    await waitFor(() => lines.includes('ADDED watched'), 10_000)
    controller.abort()
    await reading
    await fixedApi(kc).deleteNamespacedPod({ name: 'watched', namespace: 'default', gracePeriodSeconds: 0 })
  })
})
