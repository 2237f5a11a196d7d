// Figures for the test Kubernetes API server (test/harness/k8s), the budget phase 2 of the
// Kubernetes issue spends inside: 3 contexts × 50 nodes listed through @kubernetes/client-node,
// pod create → Running (both sandbox modes), exec round trips (client-node WebSocket; kubectl
// SPDY and WebSocket), and pod delete.
// Usage: bun scripts/bench/k8s-harness.ts
import { PassThrough } from 'node:stream'
import { CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../../test/harness/k8s'
import { kubectl, kubectlBinaries } from '../../test/harness/k8s/kubectl'
import { median, report } from './lib'

const rows: [string, string, string, boolean][] = []
const ms = (t: number) => `${t.toFixed(1)} ms`

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

// 1. Start 3 contexts × 50 nodes and list every node of every context, as `sky gpus list --infra k8s` will.
const t0 = performance.now()
const big = await startKubeApi({
  network: 'loopback',
  contexts: ['a', 'b', 'c'].map((name) => ({
    name: `ctx-${name}`,
    nodes: [...nodeSpecs(40, { prefix: `${name}-gpu`, gpus: 8, gpuType: 'H100', cpu: 96, memory: 1024 }), ...nodeSpecs(10, { prefix: `${name}-cpu`, cpu: 32, memory: 128 })],
  })),
})
const startBig = performance.now() - t0
rows.push(['start 3 contexts x 50 nodes', ms(startBig), '-', true])
const apis = big.contexts.map((c) => {
  const k = new KubeConfig()
  k.loadFromFile(big.kubeconfig())
  k.setCurrentContext(c.name)
  return k.makeApiClient(CoreV1Api)
})
const listAll = async () => {
  const lists = await Promise.all(apis.flatMap((api) => [api.listNode(), api.listPodForAllNamespaces()]))
  if (lists.filter((_, i) => i % 2 === 0).reduce((n, l) => n + l.items.length, 0) !== 150) throw new Error('expected 150 nodes')
}
await listAll()
const list = median(await sequential(20, () => timed(listAll)))
rows.push(['list nodes+pods, 3 contexts x 50 nodes (client-node)', ms(list), '<= 50 ms', list <= 50])
await big.stop()

// 2. Pod create → Running, and delete (grace 0), per sandbox mode.
async function podFigures(h: KubeHarness, label: string) {
  const base = h.contexts[0]!.url
  const starts: number[] = []
  const deletes: number[] = []
  for (let i = 0; i < 10; i++) {
    await Bun.sleep(200) // one pod at a time, as a launch does (netns mode keeps two sandboxes prepared)
    const name = `bench-${i}`
    const res = await fetch(`${base}/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3D${name}`)
    const reader = res.body!.getReader()
    const t = performance.now()
    await fetch(`${base}/api/v1/namespaces/default/pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name }, spec: { containers: [{ name: 'main', image: 'ubuntu', command: ['sleep', '300'] }] } }),
    })
    let buf = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error('watch ended')
      buf += new TextDecoder().decode(value)
      if (buf.includes('"phase":"Running"')) break
    }
    starts.push(performance.now() - t)
    await reader.cancel()
    deletes.push(await timed(() => fetch(`${base}/api/v1/namespaces/default/pods/${name}?gracePeriodSeconds=0`, { method: 'DELETE' }).then((r) => r.text())))
  }
  const s = median(starts)
  rows.push([`pod create -> Running (${label})`, ms(s), '<= 50 ms', s <= 50])
  rows.push([`pod delete, grace 0 (${label})`, ms(median(deletes)), '-', true])
}

const loop = await startKubeApi({ network: 'loopback' })
await podFigures(loop, 'loopback')
if (process.getuid?.() === 0) {
  const ns = await startKubeApi({ network: 'netns' })
  await podFigures(ns, 'netns')
  await ns.stop()
}

// 3. Exec round trips on one running pod.
const base = loop.contexts[0]!.url
await fetch(`${base}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'ex' }, spec: { containers: [{ name: 'main', image: 'x' }] } }) })
for (;;) {
  const p = (await (await fetch(`${base}/api/v1/namespaces/default/pods/ex`)).json()) as { status?: { phase?: string } }
  if (p.status?.phase === 'Running') break
  await Bun.sleep(5)
}
const ekc = new KubeConfig()
ekc.loadFromFile(loop.kubeconfig())
const execOnce = () =>
  new Promise<void>((resolve, reject) => {
    new Exec(ekc).exec('default', 'ex', 'main', ['true'], new PassThrough(), null, null, false, () => resolve()).catch(reject)
  })
await execOnce()
const ex = median(await sequential(20, () => timed(execOnce)))
rows.push(['exec `true` round trip (client-node, WebSocket)', ms(ex), '<= 30 ms', ex <= 30])
for (const bin of [kubectlBinaries().found.find((b) => b.exec === 'spdy'), kubectlBinaries().found.at(-1)]) {
  if (!bin) continue
  const kcl = kubectl(bin, loop.kubeconfig())
  const runs = await sequential(5, () => timed(() => kcl.run(['exec', 'ex', '--', 'true'])))
  rows.push([`kubectl ${bin.version} exec true (${bin.exec}, incl. kubectl start)`, ms(median(runs)), '-', true])
}
await loop.stop()

async function sequential(n: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(await fn())
  return out
}

report(rows)
