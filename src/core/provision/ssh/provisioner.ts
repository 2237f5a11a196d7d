// The `ssh` provisioner: machines listed in ~/.sky/ssh_node_pools.yaml, reached with ssh2. A
// cluster takes whole hosts — exactly the ones the optimizer chose — claiming each atomically
// with `~/.sky-runtime/owner` (its name on cloud, written with noclobber), so two clusters never
// share a host. The head gets this binary in ~/.sky-runtime/bin (no root needed) and runs the
// agent, which reaches workers over SSH with the pool's key (or password). Every process of the
// cluster carries SKY_AGENT_CLUSTER_TAG=ssh-<name-on-cloud>; teardown kills by it and checks.
import { readFileSync } from 'node:fs'
import type { ClusterSpec, NodeCapacity } from '../../agent/types'
import { InternalError, toSkyError } from '../../errors'
import type { LiveNode } from '../../infra/types'
import { RunnerTransportError } from '../../runner/errors'
import { shellQuote } from '../agent-command'
import { installBinary, uploadSecret } from '../runtime'
import { paths } from '../../paths'
import { authorizeKeyCommand, clusterKeyMarker, deauthorizeKeyCommand, ensureClusterKey, removeClusterKey } from '../../ssh/cluster-keys'
import { hostPattern, knownHostsLines } from '../../ssh/known-hosts'
import { runnerTransport } from '../agent-transport'
import { CapacityError, InfraAuthError, InfraConfigError, UnsupportedError } from '../errors'
import type { AgentTransport, ClusterHandle, ClusterRef, NodeHandle, NodeStatus, OpOptions, PortEndpoint, ProvisionRecord, ProvisionRequest, Provisioner } from '../types'
import { ssh } from './descriptor'
import { loadSshPools, type SshPool, type SshPoolHost } from './pools'
import { hostId, hostKey, probeAndCache, probeHost, readHostCache, runnerOf, RUNTIME, writeHostCache, type HostFacts } from './probe'

const TAG_VAR = 'SKY_AGENT_CLUSTER_TAG'
export const sshTag = (nameOnCloud: string) => `ssh-${nameOnCloud}`

function pool(name: string): SshPool {
  let pools: Record<string, SshPool>
  try {
    pools = loadSshPools()
  } catch (e) {
    throw new InfraConfigError(toSkyError(e).message, { infra: 'ssh' })
  }
  const p = pools[name]
  if (!p) throw new InfraConfigError(`SSH node pool '${name}' is not in ssh_node_pools.yaml.`, { infra: 'ssh', region: name, scope: 'region', hint: 'List pools with: sky check ssh' })
  return p
}

/** The cluster's hosts: from its handle, else the optimizer's choice looked up in the pool. */
function hostsOf(ref: Pick<ClusterRef, 'handle' | 'resources'>): SshPoolHost[] {
  if (ref.handle) return ref.handle.nodes.map((n) => n.connect as SshPoolHost)
  const p = pool(ref.resources.region)
  const ids = ref.resources.hosts ?? p.hosts.slice(0, ref.resources.numNodes).map(hostId)
  return ids.map((id) => {
    const h = p.hosts.find((x) => hostId(x) === id || x.host === id)
    if (!h) throw new InfraConfigError(`Host ${id} is no longer in SSH node pool '${p.name}'.`, { infra: 'ssh', region: p.name, scope: 'region' })
    return h
  })
}

/** A transport failure as a provisioning failure: this host is out (auth problems: the pool). */
function hostFailure(pool: string, h: SshPoolHost, e: unknown): Error {
  const err = toSkyError(e)
  if (e instanceof RunnerTransportError && (e.reason === 'auth' || e.reason === 'key')) {
    return new InfraAuthError(err.message, { infra: 'ssh', region: pool, scope: 'region' })
  }
  if (err.details?.kind) return err
  return new CapacityError(`${hostId(h)}: ${err.message}`, { infra: 'ssh', region: pool, node: hostId(h) })
}

function fits(cap: NodeCapacity, r: ClusterRef['resources']): string | undefined {
  if (r.cpus > cap.cpus) return `has ${cap.cpus} CPUs, needs ${r.cpus}`
  if (r.memoryGb > cap.memoryGb) return `has ${cap.memoryGb} GB memory, needs ${r.memoryGb}`
  const g = r.accelerators
  if (g) {
    if (!cap.gpus || cap.gpus.name.toLowerCase() !== g.name.toLowerCase()) return `has no ${g.name} GPUs`
    if (cap.gpus.count < g.count) return `has ${cap.gpus.count} ${g.name}, needs ${g.count}`
  }
  return undefined
}

/** Claim the host for `owner` unless another cluster holds it; prints `ok` or the holder. */
const claimScript = (owner: string) => `set -e
d="$HOME/${RUNTIME}"; mkdir -p "$d"; chmod 700 "$d"
if ( set -o noclobber; printf '%s\\n' ${shellQuote(owner)} > "$d/owner" ) 2>/dev/null; then echo ok; exit 0; fi
o=$(head -1 "$d/owner" 2>/dev/null || true)
if [ "$o" = ${shellQuote(owner)} ]; then echo ok; else echo "held-by:$o"; fi`

/** Kill everything tagged with the cluster and release the host (keeping the installed binary). */
const releaseScript = (owner: string, tag: string) => `d="$HOME/${RUNTIME}"
o=$(head -1 "$d/owner" 2>/dev/null || true)
if [ -n "$o" ] && [ "$o" != ${shellQuote(owner)} ]; then echo "held-by:$o"; exit 0; fi
tagged() { grep -slzx ${shellQuote(`${TAG_VAR}=${tag}`)} /proc/[0-9]*/environ 2>/dev/null | sed 's#^/proc/\\([0-9]*\\)/environ$#\\1#' | grep -vx "$$"; }
for p in $(tagged); do kill -TERM "$p" 2>/dev/null; done
i=0; while [ -n "$(tagged)" ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i+1)); done
i=0; while [ -n "$(tagged)" ] && [ $i -lt 60 ]; do for p in $(tagged); do kill -KILL "$p" 2>/dev/null; done; sleep 0.05; i=$((i+1)); done
left=$(tagged | tr '\\n' ' ')
if [ -n "$left" ]; then echo "left:$left"; exit 3; fi
if [ -d "$d" ]; then find "$d" -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +; fi
rm -rf "$HOME/sky_workdir"
echo released`

export const sshProvisioner: Provisioner = {
  infra: 'ssh',
  capabilities: ssh.capabilities,

  async provision(req: ProvisionRequest): Promise<ProvisionRecord> {
    const r = req.resources
    const poolName = r.region
    const hosts = hostsOf({ handle: req.resume, resources: r })
    if (hosts.length !== r.numNodes) throw new CapacityError(`SSH pool '${poolName}' has ${hosts.length} hosts for ${r.numNodes} nodes.`, { infra: 'ssh', region: poolName, scope: 'region' })
    const owner = req.cluster.nameOnCloud
    await Promise.all(
      hosts.map(async (h) => {
        const run = runnerOf(h)
        try {
          const claim = await run.run(claimScript(owner), { signal: req.signal, timeoutMs: 20_000 })
          const out = claim.stdout.trim()
          if (out.startsWith('held-by:')) {
            throw new CapacityError(`${hostId(h)} is in use by another cluster (${out.slice(8) || 'unknown'}).`, { infra: 'ssh', region: poolName, node: hostId(h) })
          }
          if (out !== 'ok') throw new CapacityError(`${hostId(h)}: could not claim the host: ${claim.stderr.trim() || `exit ${claim.code}`}`, { infra: 'ssh', region: poolName, node: hostId(h) })
          const f = await probeHost(run, req.signal)
          writeHostCache(hostKey(poolName, h), f)
          const why = fits(f.capacity, r)
          if (why) throw new CapacityError(`${hostId(h)} ${why}.`, { infra: 'ssh', region: poolName, node: hostId(h) })
        } catch (e) {
          throw hostFailure(poolName, h, e)
        } finally {
          await run.close()
        }
      }),
    )
    req.log(`└── ${hosts.length === 1 ? 'Host is' : `${hosts.length} hosts are`} claimed.`)
    const ids = hosts.map(hostId)
    return { infra: 'ssh', region: poolName, zone: null, createdIds: req.resume ? [] : ids, resumedIds: req.resume ? ids : [] }
  },

  async wait() {},

  async clusterInfo(ref: ClusterRef): Promise<ClusterHandle> {
    const hosts = hostsOf(ref)
    const cache = readHostCache()
    const facts: HostFacts[] = await Promise.all(
      hosts.map(async (h) => {
        const f = cache[hostKey(ref.resources.region, h)]
        return f && f.cluster === ref.nameOnCloud && !f.unreachableAt ? f : probeAndCache(ref.resources.region, h)
      }),
    )
    const nodes: NodeHandle[] = hosts.map((h, rank) => ({ id: hostId(h), rank, ip: h.host, home: facts[rank]!.home, kind: 'ssh' as const, connect: h }))
    const capacity = facts
      .map((f) => f.capacity)
      .reduce((a, b) => ({
        cpus: Math.min(a.cpus, b.cpus),
        memoryGb: Math.min(a.memoryGb, b.memoryGb),
        gpus: a.gpus && b.gpus && a.gpus.name === b.gpus.name ? { name: a.gpus.name, count: Math.min(a.gpus.count, b.gpus.count) } : null,
      }))
    const home = facts[0]!.home
    return {
      infra: 'ssh',
      region: ref.resources.region,
      zone: null,
      nameOnCloud: ref.nameOnCloud,
      nodes,
      headIp: hosts[0]!.host,
      runtimeDir: `${home}/${RUNTIME}`,
      agentCmd: [`${home}/${RUNTIME}/bin/sky`],
      capacity,
      instanceType: null,
    }
  },

  async setupRuntime(handle: ClusterHandle, o: OpOptions): Promise<ClusterHandle> {
    const log = o.log ?? (() => {})
    const head = runnerOf(handle.nodes[0]!.connect as SshPoolHost)
    try {
      const headHome = handle.nodes[0]!.home
      const bin = await installBinary(head, headHome, log)
      // The cluster's own key pair (made on the API server) is authorised on every node with the
      // pool's credentials; the head gets that key and its workers' recorded host keys, never the
      // user's key or password.
      const key = ensureClusterKey(handle.nameOnCloud)
      await Promise.all(
        handle.nodes.map(async (n) => {
          const r = n.rank === 0 ? head : runnerOf(n.connect as SshPoolHost)
          try {
            const res = await r.run(authorizeKeyCommand(key))
            if (res.code !== 0) throw new Error(`could not authorise the cluster key: ${res.stderr.trim() || `exit ${res.code}`}`)
          } finally {
            if (r !== head) await r.close()
          }
        }),
      )
      const keysDir = `${headHome}/${RUNTIME}/keys`
      const clusterKey = `${keysDir}/cluster_key`
      const knownHosts = `${keysDir}/known_hosts`
      const workers = handle.nodes.slice(1).map((n) => n.connect as SshPoolHost)
      if (workers.length) {
        await head.run(`mkdir -p ${shellQuote(keysDir)} && chmod 700 ${shellQuote(keysDir)}`)
        await uploadSecret(head, readFileSync(key.privatePath, 'utf8'), clusterKey)
        await uploadSecret(head, knownHostsLines(paths.knownHosts(), workers.map((h) => hostPattern(h.host, h.port))), knownHosts)
      }
      const nodes = handle.nodes.map((n, rank) => {
        if (rank === 0) return n
        const h = n.connect as SshPoolHost
        return { ...n, ssh: { host: h.host, port: h.port, user: h.user, keyPath: clusterKey, knownHosts } }
      })
      return { ...handle, nodes, agentCmd: [bin] }
    } catch (e) {
      throw hostFailure(handle.region ?? '', handle.nodes[0]!.connect as SshPoolHost, e)
    } finally {
      await head.close()
    }
  },

  async query(ref: ClusterRef): Promise<NodeStatus[]> {
    let hosts: SshPoolHost[]
    try {
      hosts = hostsOf(ref)
    } catch (e) {
      return Array.from({ length: ref.resources.numNodes }, (_, rank) => ({ id: `${rank}`, rank, state: 'unknown' as const, reason: toSkyError(e).message }))
    }
    return Promise.all(
      hosts.map(async (h, rank): Promise<NodeStatus> => {
        const run = runnerOf(h, 5000)
        try {
          const r = await run.run(`head -1 "$HOME/${RUNTIME}/owner" 2>/dev/null || true`, { timeoutMs: 10_000 })
          if (r.code !== 0) return { id: hostId(h), rank, state: 'unknown', reason: `exit ${r.code}` }
          const owner = r.stdout.trim()
          return owner === ref.nameOnCloud
            ? { id: hostId(h), rank, state: 'running' }
            : { id: hostId(h), rank, state: 'terminated', reason: owner ? `held by ${owner}` : 'released' }
        } catch (e) {
          return { id: hostId(h), rank, state: 'unknown', reason: toSkyError(e).message }
        } finally {
          await run.close()
        }
      }),
    )
  },

  async stop(): Promise<void> {
    throw new UnsupportedError('Clusters on SSH node pools cannot be stopped, only taken down (sky down).', { infra: 'ssh' })
  },

  async terminate(ref: ClusterRef): Promise<void> {
    let hosts: SshPoolHost[]
    try {
      hosts = hostsOf(ref)
    } catch {
      return // the pool or hosts are gone from the file: nothing we can reach to clean
    }
    const tag = sshTag(ref.nameOnCloud)
    const failures: string[] = []
    await Promise.all(
      hosts.map(async (h) => {
        const run = runnerOf(h)
        try {
          const r = await run.run(`${releaseScript(ref.nameOnCloud, tag)}\n${deauthorizeKeyCommand(clusterKeyMarker(ref.nameOnCloud))}`, { timeoutMs: 60_000 })
          if (r.code !== 0) failures.push(`${hostId(h)}: ${r.stdout.trim() || r.stderr.trim() || `exit ${r.code}`}`)
          else {
            const key = hostKey(ref.resources.region, h)
            const cached = readHostCache()[key]
            if (cached && cached.cluster === ref.nameOnCloud) writeHostCache(key, { ...cached, cluster: null })
          }
        } catch (e) {
          // Unreachable: only a problem if this cluster ever claimed the host (a failed attempt
          // whose claim never got through has nothing there to release).
          const cached = readHostCache()[hostKey(ref.resources.region, h)]
          if (cached?.cluster === ref.nameOnCloud) failures.push(`${hostId(h)}: ${toSkyError(e).message}`)
        } finally {
          await run.close()
        }
      }),
    )
    if (failures.length) throw new InternalError(`Could not release every host of cluster '${ref.name}': ${failures.join('; ')}`, { hint: 'Retry when the hosts answer, or remove the record anyway: sky down --purge' })
    removeClusterKey(ref.nameOnCloud)
  },

  // A host's ports are its own: nothing to open (no firewall is managed); clients reach head:port.
  async openPorts() {},
  async cleanupPorts() {},
  async endpoints(ref: ClusterRef, ports: string[]): Promise<PortEndpoint[]> {
    const { expandPorts } = await import('../local/provisioner')
    const host = ref.handle?.headIp ?? hostsOf(ref)[0]?.host
    return host ? expandPorts(ports).map((port) => ({ port, address: `${host}:${port}` })) : []
  },

  runner(handle: ClusterHandle, rank: number) {
    return runnerOf(handle.nodes[rank]!.connect as SshPoolHost)
  },

  agent(handle: ClusterHandle): AgentTransport {
    return runnerTransport(sshProvisioner.runner(handle, 0), handle, { [TAG_VAR]: sshTag(handle.nameOnCloud) })
  },

  clusterSpec(ref): ClusterSpec {
    const h = ref.handle
    const agent = [...h.agentCmd, '_agent'].map(shellQuote).join(' ')
    const ownerFile = shellQuote(`${h.runtimeDir}/owner`)
    return {
      name: ref.name,
      cloud: 'ssh',
      region: h.region,
      zone: null,
      nodes: h.nodes.map(({ connect: _c, id: _i, ...n }) => n),
      capacity: h.capacity,
      // Autodown: stop every job and the agent, then give the head back (refresh releases the rest).
      onAutostop: `${agent} stop-all --root ${shellQuote(h.runtimeDir)}; if [ "$SKY_AUTOSTOP_DOWN" = 1 ]; then rm -f ${ownerFile}; fi`,
      tag: sshTag(ref.nameOnCloud),
    }
  },

  async listClusters(): Promise<string[]> {
    let pools: SshPool[]
    try {
      pools = Object.values(loadSshPools(undefined, { checkFiles: false }))
    } catch {
      return []
    }
    const owners = await Promise.all(
      pools.flatMap((p) =>
        p.hosts.map(async (h) => {
          try {
            return (await probeAndCache(p.name, h, { connectTimeoutMs: 5000 })).cluster
          } catch {
            return null
          }
        }),
      ),
    )
    return [...new Set(owners.filter((o): o is string => !!o))]
  },
}

/** Hosts of the enabled pools as optimizer nodes, from the probe cache (held or recently unreachable hosts left out). */
export async function sshLiveNodes(regions: string[]): Promise<LiveNode[]> {
  let pools: Record<string, SshPool>
  try {
    pools = loadSshPools(undefined, { checkFiles: false })
  } catch {
    return []
  }
  const cache = readHostCache()
  const out: LiveNode[] = []
  for (const [name, p] of Object.entries(pools)) {
    if (regions.length && !regions.includes(name)) continue
    for (const h of p.hosts) {
      const f = cache[hostKey(name, h)]
      if (f?.cluster) continue
      if (f?.unreachableAt && Date.now() - f.unreachableAt < 5 * 60_000) continue
      // Unprobed hosts are offered with unknown (large) capacity; provisioning checks for real.
      const cap = f?.capacity ?? { cpus: 1024, memoryGb: 1 << 20, gpus: null }
      out.push({ infra: 'ssh', region: name, name: hostId(h), cpus: cap.cpus, memoryGb: cap.memoryGb, ...(cap.gpus ? { gpus: cap.gpus } : {}) })
    }
  }
  return out
}
