// A Kubernetes API server for tests (no real kube-apiserver can be had on these machines). It
// speaks the real wire format — discovery, namespaces, nodes, pods, pods/log, pods/exec
// (WebSocket v5/v4 and SPDY/3.1), services, events, configmaps, secrets, Tables, watches,
// Status errors — and is held to clients that are not ours (real kubectl, @kubernetes/client-node)
// in test/integration/k8s. See README.md next to this file for what is and is not emulated.
//
//   const k8s = await startKubeApi({ tls: true, contexts: [{ name: 'ctx-a', nodes: nodeSpecs(3, { gpus: 8, gpuType: 'H100' }) }] })
//   const kubeconfig = k8s.kubeconfig()          // file with every context; cert auth under TLS
//   ... run kubectl / sky with KUBECONFIG=kubeconfig ...
//   await k8s.stop()                              // kills every pod process, removes netns and files
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from './cluster'
import type { ImageConfig } from './containers'
import type { Front, RequestRecord } from './http'
import { writeKubeconfig, type KubeAuth, type KubeconfigEntry } from './kubeconfig'
import { nodeSpecs, type NodeSpec } from './nodes'
import { cleanupLeftovers, killTagged, Sandboxes, taggedProcesses, type NetworkMode } from './sandbox'
import { serveCluster } from './server'
import { makeTls, type TlsFiles } from './tls'

export { gpuLabels, GPU_LABEL_KEYS, nodeSpecs, type NodeSpec, type Taint, type GpuLabelStyle } from './nodes'
export type { ImageConfig } from './containers'
export type { KubeObject } from './store'
export type { RequestRecord } from './http'
export type { KubeAuth } from './kubeconfig'

export interface ContextSpec {
  name: string
  /** Default: two 8-CPU, 32 GiB nodes without GPUs. */
  nodes?: NodeSpec[]
  /** Namespace written into the kubeconfig context (default: none, i.e. "default"). */
  namespace?: string
}

export interface KubeHarnessOptions {
  /** Default: one context "sky-test". Each context is its own server (own port, own objects). */
  contexts?: ContextSpec[]
  /** Serve HTTPS with a CA made for this run (default false: plain HTTP). */
  tls?: boolean
  /** Require a client certificate (TLS) or bearer token; default: true with TLS, false without. */
  auth?: boolean
  /** Pod sandboxes: netns needs root; auto falls back to loopback (default auto). */
  network?: 'auto' | NetworkMode
  /** Version the server reports at /version (default 1.29.0). */
  version?: string
  /** Serve aggregated discovery when asked for it (default true; false → legacy discovery only). */
  aggregatedDiscovery?: boolean
  /** First restart back-off of a crashing container (default 1000 ms; the kubelet's is 10 s). */
  restartBackoffMs?: number
  /** Image name → entrypoint/cmd/env/workingDir; an unknown image runs `sleep infinity`. */
  images?: Record<string, ImageConfig>
  /** Forward NodePort / LoadBalancer service ports to pods (default true). */
  serviceProxy?: boolean
  /** Extra host directories netns-mode pods see read-only at the same path. */
  readOnlyPaths?: string[]
}

export interface HarnessContext {
  name: string
  url: string
  cluster: Cluster
  /** Every request this context's server received (method, url, Accept, upgrade, protocols, user, status). */
  requests: RequestRecord[]
  namespace?: string
}

export interface KubeconfigOptions {
  path?: string
  /** cert (TLS only), token or none; default cert under TLS, none over HTTP. */
  auth?: KubeAuth
  /** Contexts to include (default all), the first is current unless `current` says otherwise. */
  contexts?: string[]
  current?: string
  /** Leave the CA out and skip verification. */
  insecure?: boolean
}

export interface KubeHarness {
  id: string
  dir: string
  network: NetworkMode
  /** Why netns mode was not used, when it was not. */
  networkFallbackReason?: string
  contexts: HarnessContext[]
  context(name: string): HarnessContext
  /** Bearer token every context accepts. */
  token: string
  tls?: TlsFiles
  /** Write a kubeconfig (default $dir/kubeconfig) and return its path. */
  kubeconfig(o?: KubeconfigOptions): string
  stop(): Promise<void>
}

const DEFAULT_CONTEXT: ContextSpec = { name: 'sky-test' }

export async function startKubeApi(o: KubeHarnessOptions = {}): Promise<KubeHarness> {
  cleanupLeftovers()
  const id = process.pid.toString(36).padStart(5, '0').slice(-5) + Math.random().toString(36).slice(2, 4).padEnd(2, '0')
  const dir = mkdtempSync(join(tmpdir(), `skk${id}-`))
  const octet = 64 + Math.floor(Math.random() * 160)
  const version = o.version ?? '1.29.0'
  const specs = o.contexts?.length ? o.contexts : [DEFAULT_CONTEXT]
  if (specs.length > 10) throw new Error('k8s harness: at most 10 contexts')
  const tls = o.tls ? makeTls(join(dir, 'tls'), id) : undefined
  const token = `sky-test-${id}-${crypto.randomUUID()}`
  const sandboxes = new Sandboxes(id, dir, octet, o.network ?? 'auto', o.readOnlyPaths)
  const contexts: HarnessContext[] = []
  const fronts: Front[] = []
  let stopped = false
  const stopSync = () => {
    if (stopped) return
    stopped = true
    for (const c of contexts) c.cluster.stop()
    sandboxes.destroyAll()
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', stopSync)
  try {
    for (const [index, spec] of specs.entries()) {
      const cdir = join(dir, `ctx-${index}`)
      mkdirSync(cdir, { recursive: true })
      const cluster = new Cluster({
        name: spec.name,
        index,
        nodes: spec.nodes ?? nodeSpecs(2),
        dir: cdir,
        runId: id,
        octet,
        sandboxes,
        images: o.images ?? {},
        restartBackoffMs: o.restartBackoffMs ?? 1000,
        kubeletVersion: `v${version.replace(/^v/, '')}`,
        serviceProxy: o.serviceProxy ?? true,
      })
      const front = await serveCluster(cluster, {
        host: '127.0.0.1',
        tls: tls && { key: tls.server.key, cert: tls.server.cert, clientCA: tls.ca },
        tokens: new Map([[token, 'tester']]),
        requireAuth: o.auth ?? !!o.tls,
        version,
        aggregatedDiscovery: o.aggregatedDiscovery ?? true,
      })
      fronts.push(front)
      contexts.push({ name: spec.name, url: front.url, cluster, requests: front.requests, namespace: spec.namespace })
    }
  } catch (e) {
    await Promise.all(fronts.map((f) => f.close()))
    stopSync()
    process.off('exit', stopSync)
    throw e
  }
  const h: KubeHarness = {
    id,
    dir,
    network: sandboxes.mode,
    networkFallbackReason: sandboxes.fallbackReason,
    contexts,
    token,
    tls,
    context(name) {
      const c = contexts.find((x) => x.name === name)
      if (!c) throw new Error(`k8s harness: no context ${name}`)
      return c
    },
    kubeconfig(k = {}) {
      const auth = k.auth ?? (tls ? 'cert' : 'none')
      if (auth === 'cert' && !tls) throw new Error('k8s harness: client certificates need tls: true')
      const chosen = (k.contexts ?? contexts.map((c) => c.name)).map((n) => h.context(n))
      const entries: KubeconfigEntry[] = chosen.map((c) => ({
        name: c.name,
        server: c.url,
        namespace: c.namespace,
        ca: tls?.ca,
        auth,
        cert: tls?.client,
        token,
        insecure: k.insecure,
      }))
      return writeKubeconfig(k.path ?? join(dir, 'kubeconfig'), entries, k.current)
    },
    async stop() {
      await Promise.all(fronts.map((f) => f.close()))
      stopSync()
      process.off('exit', stopSync)
      // SIGKILL is sent, not yet acted on, when a loaded machine has not run the process since:
      // wait (bounded) until this run's processes are gone, then remove what they may have written.
      const deadline = Date.now() + 10_000
      while (taggedProcesses().some((p) => p.tag.startsWith(`${id}:`)) && Date.now() < deadline) {
        killTagged(`${id}:`)
        await Bun.sleep(10)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return h
}
