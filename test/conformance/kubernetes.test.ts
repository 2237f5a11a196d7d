// The conformance suite against the kubernetes provisioner and the test Kubernetes API server
// (test/harness/k8s): once over plain HTTP and once over TLS with a client certificate, which is
// what real kubeconfigs (kind, minikube, EKS, GKE) need from the client under Bun. Pods are local
// process groups in their own network namespace (as root) or on their own loopback address.
import { describe } from 'bun:test'
import type { LaunchedResources } from '../../src/core/provision/types'
import { nodeSpecs, startKubeApi, type KubeHarness } from '../harness/k8s'
import { taggedProcesses } from '../harness/k8s/sandbox'
import { waitFor } from '../harness'
import { baseResources, conformance } from './suite'

/** Processes the harness tagged as belonging to pods whose uid starts with one of `uids`. */
function podProcesses(runId: string, uids: Set<string>): string[] {
  return taggedProcesses()
    .filter((p) => p.tag.startsWith(`${runId}:`) && uids.has(p.tag.slice(runId.length + 1)))
    .map((p) => `pid ${p.pid}`)
}

for (const tls of [false, true]) {
  describe(tls ? 'kubernetes over TLS (client certificate)' : 'kubernetes over HTTP', () => {
    conformance(async () => {
      const k8s: KubeHarness = await startKubeApi({ tls, contexts: [{ name: 'conf', nodes: nodeSpecs(3, { cpu: 4, memory: 16 }) }] })
      process.env.KUBECONFIG = k8s.kubeconfig()
      const ctx = k8s.context('conf')
      const seen = new Map<string, Set<string>>()
      const base = (numNodes: number): LaunchedResources => ({ ...baseResources('kubernetes', 'conf', numNodes), cpus: 0.5, memoryGb: 1 })
      return {
        infra: 'kubernetes',
        resources: base,
        tooBig: () => ({ ...base(1), cpus: 1000 }),
        async leftovers(nameOnCloud) {
          const mine = (o: { metadata: { labels?: Record<string, string> } }) => o.metadata.labels?.['skypilot-cluster-name'] === nameOnCloud
          const pods = ctx.cluster.store.list('pods').filter(mine)
          const uids = seen.get(nameOnCloud) ?? new Set<string>()
          for (const p of pods) uids.add(p.metadata.uid.slice(0, 8))
          seen.set(nameOnCloud, uids)
          const services = ctx.cluster.store.list('services').filter(mine)
          return [...pods.map((p) => `pod ${p.metadata.name}`), ...services.map((s) => `service ${s.metadata.name}`), ...podProcesses(k8s.id, uids)]
        },
        childEnv: () => ({ SKY_HOME: process.env.SKY_HOME!, KUBECONFIG: process.env.KUBECONFIG! }),
        async checkEndpoint(p, h, port, address) {
          const run = p.runner(h, 0)
          try {
            // On the pod's own address: with loopback sandboxes the Service listens on this host too.
            await run.run(`mkdir -p ~/www && echo conformance-port > ~/www/index.html && cd ~/www && (nohup python3 -m http.server ${port} --bind "$POD_IP" >/dev/null 2>&1 &)`)
          } finally {
            await run.close()
          }
          const body = await waitFor(async () => {
            const r = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(2000) }).catch(() => null)
            return r?.ok ? await r.text() : false
          }, 20_000)
          if (!body.includes('conformance-port')) throw new Error(`endpoint ${address} answered ${body}`)
        },
        cleanup: async () => {
          delete process.env.KUBECONFIG
          await k8s.stop()
        },
      }
    })
  })
}
