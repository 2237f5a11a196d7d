// Wire format of the test Kubernetes API server, checked at the HTTP level: discovery (legacy and
// aggregated, and which one real kubectl uses), Status errors, selectors, Tables, watch semantics
// (immediate headers, resume from a resourceVersion, 410 Expired, selector transitions), patches.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../harness/k8s'
import { kubectl, kubectlBinaries } from '../../harness/k8s/kubectl'
import { call, createPod, readWatch, waitPod } from './http'

let k8s: KubeHarness
let base: string
beforeAll(async () => {
  k8s = await startKubeApi({ contexts: [{ name: 'wire', nodes: nodeSpecs(2) }], version: '1.30.2' })
  base = k8s.contexts[0]!.url
})
afterAll(() => k8s?.stop())

const AGG = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'

describe('discovery', () => {
  test('/version, /api, /apis and /api/v1', async () => {
    expect((await call(base, 'GET', '/version')).body).toMatchObject({ major: '1', minor: '30', gitVersion: 'v1.30.2', platform: 'linux/amd64' })
    expect((await call(base, 'GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] })
    expect((await call(base, 'GET', '/apis')).body).toEqual({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] })
    const list = (await call(base, 'GET', '/api/v1')).body
    expect(list.kind).toBe('APIResourceList')
    const names = list.resources.map((r: { name: string }) => r.name)
    for (const n of ['pods', 'pods/exec', 'pods/log', 'services', 'nodes', 'namespaces', 'events']) expect(names).toContain(n)
    expect(list.resources.find((r: { name: string }) => r.name === 'pods')).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'] })
  })

  test('aggregated discovery when asked for it, with its content type', async () => {
    const r = await call(base, 'GET', '/api', undefined, { accept: AGG })
    expect(r.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')
    const pods = r.body.items[0].versions[0].resources.find((x: { resource: string }) => x.resource === 'pods')
    expect(pods).toMatchObject({ responseKind: { kind: 'Pod' }, scope: 'Namespaced', shortNames: ['po'] })
    expect(pods.subresources.map((s: { subresource: string }) => s.subresource)).toEqual(['exec', 'log', 'status'])
  })

  const newest = kubectlBinaries().found.at(-1)
  test.if(!!newest)('kubectl uses aggregated discovery, and falls back to /api/v1 when the server lacks it', async () => {
    const kc = kubectl(newest!, k8s.kubeconfig())
    const from = k8s.contexts[0]!.requests.length
    expect((await kc.run(['get', 'ns', '--no-headers'])).code).toBe(0)
    const asked = k8s.contexts[0]!.requests.slice(from)
    const path = (u: string) => u.split('?')[0]
    expect(asked.find((q) => path(q.url) === '/api')?.accept).toContain('as=APIGroupDiscoveryList')
    expect(asked.some((q) => path(q.url) === '/api/v1')).toBe(false)
    const legacy = await startKubeApi({ aggregatedDiscovery: false })
    try {
      const r = await kubectl(newest!, legacy.kubeconfig()).run(['get', 'ns', '--no-headers'])
      expect(r.stdout).toContain('kube-system')
      expect(legacy.contexts[0]!.requests.some((q) => path(q.url) === '/api/v1')).toBe(true)
    } finally {
      await legacy.stop()
    }
  })
})

describe('Status errors', () => {
  test('404 NotFound, 405, 400 for bad selectors, 404 for a missing namespace', async () => {
    expect((await call(base, 'GET', '/api/v1/namespaces/default/pods/nope')).body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    })
    expect((await call(base, 'GET', '/api/v1/widgets')).body).toMatchObject({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' })
    expect((await call(base, 'PUT', '/api/v1/namespaces/default/pods', {})).status).toBe(405)
    const sel = await call(base, 'GET', '/api/v1/pods?labelSelector=a%20in%20(b')
    expect(sel.body).toMatchObject({ code: 400, reason: 'BadRequest' })
    expect((await call(base, 'GET', '/api/v1/pods?fieldSelector=spec.color%3Dred')).body).toMatchObject({ code: 400, message: 'field label not supported: spec.color' })
    const noNs = await call(base, 'POST', '/api/v1/namespaces/ghost/pods', { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }] } })
    expect(noNs.body).toMatchObject({ code: 404, message: 'namespaces "ghost" not found' })
  })

  test('409 AlreadyExists, 422 Invalid with causes, 400 for a bad quantity', async () => {
    const svc = { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }
    expect((await call(base, 'POST', '/api/v1/namespaces/default/services', svc)).status).toBe(201)
    expect((await call(base, 'POST', '/api/v1/namespaces/default/services', svc)).body).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'services "web" already exists' })
    const bad = await call(base, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }, { name: 'c', image: 'x', resources: { limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '2' } } }] } })
    expect(bad.status).toBe(422)
    expect(bad.body.message).toBe(
      'Pod "p" is invalid: [spec.containers[0].image: Required value, spec.containers[1].name: Duplicate value: "c", spec.containers[1].resources.requests[nvidia.com/gpu]: Invalid value: "2": must be equal to nvidia.com/gpu limit of 1]',
    )
    expect(bad.body.details.causes).toHaveLength(3)
    const qty = await call(base, 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: 'lots' } } }] } })
    expect(qty.body).toMatchObject({ code: 400, reason: 'BadRequest' })
    expect(qty.body.message).toContain('quantities must match the regular expression')
    const port = await call(base, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] } })
    expect(port.body.message).toBe('Service "np" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767')
  })
})

describe('lists, tables and patches', () => {
  test('label and field selectors; Table rows with the object metadata', async () => {
    for (const [n, tier] of [['sel-a', 'web'], ['sel-b', 'db'], ['sel-c', 'web']]) await createPod(base, n!, { labels: { tier: tier!, suite: 'sel' } })
    const names = async (q: string) => (await call(base, 'GET', `/api/v1/namespaces/default/pods?${q}`)).body.items.map((p: any) => p.metadata.name)
    expect(await names('labelSelector=suite%3Dsel,tier!%3Ddb')).toEqual(['sel-a', 'sel-c'])
    expect(await names('labelSelector=tier%20in%20(db),suite')).toEqual(['sel-b'])
    expect(await names('labelSelector=suite%3Dsel&fieldSelector=metadata.name!%3Dsel-a')).toEqual(['sel-b', 'sel-c'])
    const table = await call(base, 'GET', '/api/v1/namespaces/default/pods?labelSelector=suite%3Dsel', undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })
    expect(table.body.kind).toBe('Table')
    expect(table.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates'])
    expect(table.body.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'sel-a', labels: { tier: 'web' } } })
    const full = await call(base, 'GET', '/api/v1/namespaces/default/pods/sel-a?includeObject=Object', undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })
    expect(full.body.rows[0].object.spec.containers[0].name).toBe('main')
  })

  test('merge, strategic and JSON patches; a pod spec change is refused', async () => {
    const p = '/api/v1/namespaces/default/pods/sel-a'
    const merge = await call(base, 'PATCH', p, { metadata: { labels: { tier: null, color: 'blue' } } }, { 'content-type': 'application/merge-patch+json' })
    expect(merge.body.metadata.labels).toEqual({ suite: 'sel', color: 'blue' })
    const json = await call(base, 'PATCH', p, [{ op: 'add', path: '/metadata/annotations', value: { note: 'x' } }], { 'content-type': 'application/json-patch+json' })
    expect(json.body.metadata.annotations).toEqual({ note: 'x' })
    const spec = await call(base, 'PATCH', p, { spec: { containers: [{ name: 'main', command: ['true'] }] } }, { 'content-type': 'application/strategic-merge-patch+json' })
    expect(spec.body).toMatchObject({ code: 422, reason: 'Invalid' })
    expect(spec.body.message).toContain('pod updates may not change fields other than')
  })
})

describe('watch', () => {
  test('headers arrive before any event; resume from a resourceVersion; selector transitions', async () => {
    const list = (await call(base, 'GET', '/api/v1/namespaces/default/pods?labelSelector=w%3D1')).body
    const rv = list.metadata.resourceVersion
    const res = await fetch(`${base}/api/v1/namespaces/default/pods?watch=true&labelSelector=w%3D1&resourceVersion=${rv}`)
    expect(res.status).toBe(200)
    await createPod(base, 'w-a', { labels: { w: '1' } })
    await createPod(base, 'w-b', { labels: { w: '2' } })
    await waitPod(base, 'w-a')
    await call(base, 'PATCH', '/api/v1/namespaces/default/pods/w-a', { metadata: { labels: { w: '0' } } }, { 'content-type': 'application/merge-patch+json' })
    const events = await readWatch(res, (ev) => ev.some((e) => e.type === 'DELETED'))
    const seen = events.map((e) => `${e.type} ${e.object.metadata.name}`)
    expect(seen[0]).toBe('ADDED w-a')
    expect(seen.at(-1)).toBe('DELETED w-a')
    expect(seen.some((s) => s.includes('w-b'))).toBe(false)
    // Resume from the first event's resourceVersion: what came after it, again.
    const again = await fetch(`${base}/api/v1/namespaces/default/pods?watch=true&labelSelector=w%3D1&resourceVersion=${events[0].object.metadata.resourceVersion}`)
    const replay = await readWatch(again, (ev) => ev.some((e) => e.type === 'DELETED'))
    expect(replay.map((e) => e.type)).toEqual(events.slice(1).map((e) => e.type))
  })

  test('no resourceVersion starts with ADDED for what exists; too old gives ERROR 410; timeoutSeconds ends it', async () => {
    const res = await fetch(`${base}/api/v1/namespaces?watch=true&timeoutSeconds=1`)
    const events = await readWatch(res, () => false)
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED default', 'ADDED kube-node-lease', 'ADDED kube-public', 'ADDED kube-system'])
    const old = await readWatch(await fetch(`${base}/api/v1/pods?watch=true&resourceVersion=1`), () => false)
    expect(old).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }])
  })

  test('kubectl get -w prints rows as pods change', async () => {
    const bin = kubectlBinaries().found.at(-1)
    if (!bin) return
    const kc = kubectl(bin, k8s.kubeconfig())
    const watching = kc.run(['get', 'pods', '-l', 'kw=1', '-w', '--request-timeout=3s'], { timeoutMs: 10_000 })
    await Bun.sleep(0)
    await createPod(base, 'kw-a', { labels: { kw: '1' } })
    const out = (await watching).stdout
    expect(out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/)
    expect(out).toMatch(/kw-a\s+1\/1\s+Running\s+0/)
  })
})
