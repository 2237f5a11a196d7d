// The `kubernetes` provisioner: one pod per node in the context the optimizer chose (the region),
// found again by the `skypilot-cluster-name` label. The API server reaches pods only through the
// Kubernetes API: commands and uploads over exec (KubeExecRunner), the runtime copied in once per
// pod (runtime.ts), the agent run in the head pod. Workers are reached by the head's agent over
// the pod network through `sky _sshd` with a key made for the cluster; SKYPILOT_NODE_IPS are the
// pod IPs. Pods cannot be stopped: stop is refused, autostop means autodown, and teardown deletes
// pods and services and waits until they are gone.
import type { ClusterSpec } from '../../agent/types'
import { InternalError } from '../../errors'
import { readKubeconfig } from '../../infra/kubeconfig'
import { shellQuote } from '../agent-command'
import { runnerTransport } from '../agent-transport'
import { CapacityError, FatalProvisionError, InfraConfigError, UnsupportedError } from '../errors'
import { RUNTIME_DIR } from '../runtime'
import type { AgentTransport, ClusterHandle, ClusterRef, NodeHandle, NodeStatus, OpOptions, PortEndpoint, ProvisionRecord, ProvisionRequest, Provisioner } from '../types'
import { apiStatus, describeFailure, kube, kubeFailure, type KubeClient } from './api'
import { kubernetes, userKnownHostsFile } from './descriptor'
import { KubeExecRunner, type PodTarget } from './exec-runner'
import { gpuAffinityTerms } from './gpus'
import { CLUSTER_LABEL, CONTAINER, NODE_SSH_PORT, podManifest, podName } from './pod-spec'
import { parseQuantity, bytesToGiB } from './quantity'
import { installRuntime, parseProbe, prepareRuntime, PROBE, type PodFacts } from './runtime'
import { clusterKeyPair } from '../cloud-vm/keys'
import { deleteServices, exposePorts, serviceEndpoints } from './services'
import { settingsOf } from './settings'
import { waitForPods, type PodObject } from './wait'
import { createPod, GONE_WAIT_MS, listPods, nodeLabels, nodeStatuses, rankOf, selectorOf, unknownStatuses } from './pods'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname } from 'node:path'
import { hostPattern } from '../../ssh/known-hosts'

/** What a node handle's `connect` holds: the pod, and what was found in it before setup. */
interface PodConnect extends PodTarget {
  facts?: PodFacts
  /** The pod's SSH host key (`type base64`), once read. */
  hostKey?: string
}

const DELETE_GRACE_S = 5

function where(ref: Pick<ClusterRef, 'resources'>) {
  const s = settingsOf(ref.resources)
  return { context: ref.resources.region, namespace: s.namespace, settings: s }
}

async function client(context: string): Promise<KubeClient> {
  return kube(context)
}

/** Write `text` to `path` in the pod, 0600, atomically. */
async function putSecret(r: KubeExecRunner, text: string, path: string): Promise<void> {
  const q = shellQuote(path)
  const res = await r.exec(`set -e; umask 077; mkdir -p "$(dirname ${q})"; cat > ${q}.tmp; mv -f ${q}.tmp ${q}`, { stdin: text })
  if (res.code !== 0) throw new FatalProvisionError(`${r.label}: could not write ${path} (${res.message ?? `exit ${res.code}`})`)
}

const podTarget = (context: string, namespace: string, pod: string): PodTarget => ({ context, namespace, pod, container: CONTAINER })

export const kubernetesProvisioner: Provisioner = {
  infra: 'kubernetes',
  capabilities: kubernetes.capabilities,

  async provision(req: ProvisionRequest): Promise<ProvisionRecord> {
    const r = req.resources
    const { context, namespace, settings } = where(req)
    const c = await client(context)
    try {
      await c.request('GET', `/api/v1/namespaces/${namespace}`, { signal: req.signal })
    } catch (e) {
      const st = apiStatus(e)
      if (st === 404) {
        throw new InfraConfigError(`Kubernetes context '${context}' has no namespace '${namespace}'.`, { infra: 'kubernetes', region: context, scope: 'region', hint: `Create it (kubectl create namespace ${namespace} --context ${context}) or set kubernetes.namespace.` })
      }
      if (st !== 403) throw kubeFailure(e, context)
    }
    prepareRuntime()
    const gpuTerms = r.accelerators ? gpuAffinityTerms(r.accelerators.name, await nodeLabels(c, req.signal)) : undefined
    const outcome = await Promise.all(
      Array.from({ length: r.numNodes }, async (_, rank) => {
        const body = podManifest({ nameOnCloud: req.cluster.nameOnCloud, rank, resources: r, settings, tags: req.tags, gpuTerms })
        return { name: podName(req.cluster.nameOnCloud, rank), how: await createPod(c, namespace, body, req.cluster.nameOnCloud, req.signal) }
      }),
    )
    const created = outcome.filter((x) => x.how === 'created').map((x) => x.name)
    req.log(`└── ${r.numNodes === 1 ? 'Pod' : `${r.numNodes} pods`} ${created.length ? 'created' : 'found'} in namespace ${namespace}.`)
    return { infra: 'kubernetes', region: context, zone: null, createdIds: created, resumedIds: outcome.filter((x) => x.how === 'resumed').map((x) => x.name) }
  },

  async wait(ref: ClusterRef, o: OpOptions): Promise<void> {
    const { context, namespace, settings } = where(ref)
    const c = await client(context)
    try {
      await waitForPods(c, {
        context,
        namespace,
        names: Array.from({ length: ref.resources.numNodes }, (_, i) => podName(ref.nameOnCloud, i)),
        selector: selectorOf(ref.nameOnCloud),
        timeoutS: settings.provisionTimeoutS,
        autoscaler: settings.autoscaler,
        signal: o.signal,
        log: o.log,
      })
    } catch (e) {
      throw kubeFailure(e, context, 'waiting for pods')
    }
  },

  async clusterInfo(ref: ClusterRef, o: OpOptions): Promise<ClusterHandle> {
    const { context, namespace } = where(ref)
    const c = await client(context)
    const pods = await listPods(c, namespace, ref.nameOnCloud, o.signal).catch((e) => Promise.reject(kubeFailure(e, context)))
    const byRank = new Map(pods.map((p) => [rankOf(p), p]))
    const ranked = Array.from({ length: ref.resources.numNodes }, (_, rank) => {
      const p = byRank.get(rank)
      if (!p?.status?.podIP || p.status.phase !== 'Running') throw new CapacityError(`Kubernetes context '${context}': pod ${podName(ref.nameOnCloud, rank)} is not running.`, { infra: 'kubernetes', region: context, scope: 'region' })
      return p
    })
    const facts = await Promise.all(ranked.map(async (p) => parseProbe(await capture(new KubeExecRunner(podTarget(context, namespace, p.metadata.name)), PROBE))))
    const head = facts[0]!
    const keyPath = `${head.home}/${RUNTIME_DIR}/keys/cluster`
    const nodes: NodeHandle[] = ranked.map((p, rank) => ({
      id: p.metadata.name,
      rank,
      ip: p.status!.podIP!,
      home: facts[rank]!.home,
      kind: rank === 0 ? 'local' : 'ssh',
      ...(rank > 0 ? { ssh: { host: p.status!.podIP!, port: NODE_SSH_PORT, user: facts[rank]!.user, keyPath } } : {}),
      connect: { ...podTarget(context, namespace, p.metadata.name), facts: facts[rank] } satisfies PodConnect,
    }))
    const r = ref.resources
    let cpus = r.cpus
    let memoryGb = r.memoryGb
    if (!(cpus > 0) || !(memoryGb > 0)) {
      // Nothing requested: the pod may use its node; what the node can give is its capacity.
      const node = await c.request<{ status?: { allocatable?: Record<string, string> } }>('GET', `/api/v1/nodes/${ranked[0]!.spec?.nodeName}`).catch(() => null)
      if (!(cpus > 0)) cpus = parseQuantity(node?.status?.allocatable?.cpu) || 1
      if (!(memoryGb > 0)) memoryGb = Math.floor(bytesToGiB(parseQuantity(node?.status?.allocatable?.memory) || 2 ** 31))
    }
    return {
      infra: 'kubernetes',
      region: context,
      zone: null,
      nameOnCloud: ref.nameOnCloud,
      nodes,
      headIp: nodes[0]!.ip,
      runtimeDir: `${head.home}/${RUNTIME_DIR}`,
      agentCmd: [`${head.home}/${RUNTIME_DIR}/bin/sky`],
      capacity: { cpus, memoryGb, gpus: r.accelerators ? { name: r.accelerators.name, count: Math.ceil(r.accelerators.count) } : null },
      instanceType: r.instanceType,
      provider: { context, namespace },
    }
  },

  async setupRuntime(handle: ClusterHandle, o: OpOptions): Promise<ClusterHandle> {
    const log = o.log ?? (() => {})
    const runners = handle.nodes.map((n) => new KubeExecRunner(n.connect as PodConnect))
    // The runtime in every pod, then each pod's SSH host key (made there), read back to be verified.
    const hostKeys = await Promise.all(
      runners.map(async (run, rank) => {
        const connect = handle.nodes[rank]!.connect as PodConnect
        const bin = await installRuntime(run, connect.facts ?? parseProbe(await capture(run, PROBE)), log)
        const key = (await capture(run, `${shellQuote(bin)} _sshd --print-host-key --root "$HOME/${RUNTIME_DIR}"`)).trim()
        if (!/^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+$/.test(key)) throw new FatalProvisionError(`${run.label}: could not read the node's SSH host key (got ${JSON.stringify(key.slice(0, 80))}).`, { infra: 'kubernetes' })
        return key
      }),
    )
    const headDir = `${handle.nodes[0]!.home}/${RUNTIME_DIR}`
    const knownHosts = `${headDir}/keys/known_hosts`
    if (handle.nodes.length > 1) {
      // The head reaches workers over the pod network with a key made for this cluster alone, and
      // checks their host keys against what was read here (never learnt on the way).
      const k = clusterKeyPair(handle.nameOnCloud)
      await putSecret(runners[0]!, k.privateKey, handle.nodes[1]!.ssh!.keyPath)
      await putSecret(runners[0]!, handle.nodes.slice(1).map((n, i) => `${hostPattern(n.ip, NODE_SSH_PORT)} ${hostKeys[i + 1]}\n`).join(''), knownHosts)
      await Promise.all(runners.slice(1).map((run, i) => putSecret(run, `${k.publicKey}\n`, `${handle.nodes[i + 1]!.home}/${RUNTIME_DIR}/authorized_keys`)))
      await Promise.all(runners.slice(1).map((run) => waitSshd(run)))
    }
    // `ssh <cluster>` (through the API server) checks the same keys, recorded for its pod names.
    writeUserKnownHosts(handle.nameOnCloud, handle.nodes.map((n, i) => `${n.id} ${hostKeys[i]}`))
    return {
      ...handle,
      nodes: handle.nodes.map((n, rank) => ({
        ...n,
        ...(n.ssh ? { ssh: { ...n.ssh, knownHosts } } : {}),
        connect: { ...(n.connect as PodConnect), hostKey: hostKeys[rank] },
      })),
    }
  },

  async query(ref: ClusterRef): Promise<NodeStatus[]> {
    try {
      const { context, namespace } = where(ref)
      return nodeStatuses(ref, await listPods(await client(context), namespace, ref.nameOnCloud))
    } catch (e) {
      return unknownStatuses(ref, describeFailure(e))
    }
  },

  /** Refresh of many clusters: one list of sky's pods per context and namespace. */
  async queryMany(refs: ClusterRef[]): Promise<Map<string, NodeStatus[]>> {
    const out = new Map<string, NodeStatus[]>()
    const groups = new Map<string, ClusterRef[]>()
    for (const ref of refs) {
      const { context, namespace } = where(ref)
      const k = `${context}\u0000${namespace}`
      groups.set(k, [...(groups.get(k) ?? []), ref])
    }
    await Promise.all(
      [...groups].map(async ([k, group]) => {
        const [context, namespace] = k.split('\u0000') as [string, string]
        try {
          const c = await client(context)
          const list = await c.request<{ items: PodObject[] }>('GET', `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector: CLUSTER_LABEL } })
          for (const ref of group) out.set(ref.name, nodeStatuses(ref, list.items.filter((p) => p.metadata.labels?.[CLUSTER_LABEL] === ref.nameOnCloud)))
        } catch (e) {
          for (const ref of group) out.set(ref.name, unknownStatuses(ref, describeFailure(e)))
        }
      }),
    )
    return out
  },

  async stop(): Promise<void> {
    throw new UnsupportedError('Clusters on Kubernetes cannot be stopped (pods cannot be paused), only taken down: sky down <cluster>.', { infra: 'kubernetes' })
  },

  async terminate(ref: ClusterRef, o: OpOptions): Promise<void> {
    const { context, namespace } = where(ref)
    const c = await client(context).catch((e) => Promise.reject(kubeFailure(e, context)))
    try {
      await deleteServices(c, namespace, ref.nameOnCloud)
      const pods = await listPods(c, namespace, ref.nameOnCloud)
      await Promise.all(
        pods.map((p) =>
          c.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${p.metadata.name}`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: DELETE_GRACE_S } }).catch((e) => {
            if (apiStatus(e) !== 404) throw e
          }),
        ),
      )
      // Verified: the pods are gone (their processes killed) before teardown counts as done.
      for (const until = Date.now() + GONE_WAIT_MS; ; ) {
        const left = await listPods(c, namespace, ref.nameOnCloud)
        if (!left.length) break
        if (Date.now() > until) throw new InternalError(`Pods of cluster '${ref.name}' are still terminating in context '${context}': ${left.map((p) => p.metadata.name).join(', ')}.`, { hint: 'Retry sky down, or remove the record anyway: sky down --purge' })
        await Bun.sleep(100)
      }
      rmSync(userKnownHostsFile(ref.nameOnCloud), { force: true })
      if (pods.length) o.log?.(`└── Deleted ${pods.length === 1 ? 'pod' : `${pods.length} pods`} of '${ref.name}' in context ${context}.`)
    } catch (e) {
      if (e instanceof InternalError) throw e
      throw new InternalError(`Could not take down cluster '${ref.name}' in Kubernetes context '${context}': ${describeFailure(e)}`, { hint: 'Retry when the API server answers, or remove the record anyway: sky down --purge' })
    }
  },

  async openPorts(ref: ClusterRef, ports: string[], o: OpOptions): Promise<void> {
    const { context, namespace, settings } = where(ref)
    await exposePorts(await client(context), { namespace, nameOnCloud: ref.nameOnCloud, ports, mode: settings.ports, labels: {}, signal: o.signal, log: o.log })
  },

  async cleanupPorts(ref: ClusterRef): Promise<void> {
    const { context, namespace } = where(ref)
    await deleteServices(await client(context), namespace, ref.nameOnCloud)
  },

  async endpoints(ref: ClusterRef, ports: string[]): Promise<PortEndpoint[]> {
    const { context, namespace } = where(ref)
    const c = await client(context)
    return serviceEndpoints(c, {
      namespace,
      nameOnCloud: ref.nameOnCloud,
      ports,
      nodeAddress: async () => {
        const head = (await listPods(c, namespace, ref.nameOnCloud)).find((p) => rankOf(p) === 0)
        return head?.status?.hostIP
      },
    })
  },

  runner(handle: ClusterHandle, rank: number) {
    return new KubeExecRunner(handle.nodes[rank]!.connect as PodConnect)
  },

  agent(handle: ClusterHandle): AgentTransport {
    return runnerTransport(kubernetesProvisioner.runner(handle, 0), handle)
  },

  clusterSpec(ref): ClusterSpec {
    const h = ref.handle
    const agent = [...h.agentCmd, '_agent'].map(shellQuote).join(' ')
    return {
      name: ref.name,
      cloud: 'kubernetes',
      region: h.region,
      zone: null,
      nodes: h.nodes.map(({ connect: _c, id: _i, ...n }) => n),
      capacity: h.capacity,
      // A pod cannot delete itself (it holds no API credentials): autodown stops every job and
      // exits non-zero, and the API server deletes the pods on its next refresh.
      onAutostop: `${agent} stop-all --root ${shellQuote(h.runtimeDir)}; echo 'Kubernetes: the API server deletes the pods'; exit 3`,
      tag: null,
    }
  },

  async sshStream(handle, rank, io): Promise<void> {
    const run = kubernetesProvisioner.runner(handle, rank) as KubeExecRunner
    const node = handle.nodes[rank]
    if (!node) throw new InfraConfigError(`Cluster '${handle.nameOnCloud}' has no node ${rank}.`)
    const dec = new TextDecoder()
    const r = await run.exec(`exec "$HOME/${RUNTIME_DIR}/bin/sky" _sshd --stdio`, { stdin: io.input, stdinBytes: Infinity, onStdout: io.onData, onStderr: (b) => io.onError(dec.decode(b)), signal: io.signal })
    if (r.code !== 0 && r.code !== null) io.onError(`sky _sshd in ${run.label} exited ${r.code}${r.message ? `: ${r.message}` : ''}\n`)
  },

  async listClusters(): Promise<string[]> {
    const contexts = readKubeconfig(process.env, process.env.HOME || homedir()).contexts.map((x) => x.name).filter((n) => !n.startsWith('ssh-'))
    const names = await Promise.all(
      contexts.map(async (ctx) => {
        try {
          const c = await client(ctx)
          const list = await c.request<{ items: PodObject[] }>('GET', '/api/v1/pods', { query: { labelSelector: CLUSTER_LABEL }, timeoutMs: 10_000 })
          return list.items.map((p) => p.metadata.labels?.[CLUSTER_LABEL] ?? '')
        } catch {
          return []
        }
      }),
    )
    return [...new Set(names.flat().filter(Boolean))]
  },
}

/** A command's stdout (the probe, the host key). */
async function capture(run: KubeExecRunner, script: string): Promise<string> {
  let out = ''
  let err = ''
  const dec = new TextDecoder()
  const errDec = new TextDecoder()
  const res = await run.exec(script, { onStdout: (b) => void (out += dec.decode(b, { stream: true })), onStderr: (b) => void (err = (err + errDec.decode(b, { stream: true })).slice(-2000)) })
  if (res.code !== 0) throw new FatalProvisionError(`${run.label}: \`${script.slice(0, 60)}\` failed (${res.message ?? `exit ${res.code}`})${err.trim() ? `: ${err.trim().split('\n').slice(-3).join(' | ')}` : ''}.`, { infra: 'kubernetes' })
  return out
}

function writeUserKnownHosts(nameOnCloud: string, lines: string[]): void {
  const file = userKnownHostsFile(nameOnCloud)
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 })
}

/** Until the worker's `sky _sshd` (started by its container once the runtime is there) listens. */
async function waitSshd(run: KubeExecRunner): Promise<void> {
  const res = await run.exec(`i=0; while [ ! -s "$HOME/${RUNTIME_DIR}/sshd.ready" ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; [ -s "$HOME/${RUNTIME_DIR}/sshd.ready" ] || { tail -5 "$HOME/${RUNTIME_DIR}/sshd.log" 2>/dev/null >&2; exit 1; }`)
  if (res.code !== 0) throw new FatalProvisionError(`${run.label}: the node's SSH endpoint (sky _sshd) did not start; see ~/${RUNTIME_DIR}/sshd.log in the pod.`)
}
