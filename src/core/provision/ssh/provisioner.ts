// The `ssh` infra: machines listed in ~/.sky/ssh_node_pools.yaml, reached with ssh2. A cluster
// takes whole hosts (one cluster per host at a time); the head gets this binary in
// ~/.sky-runtime/bin and runs the agent, which reaches workers over SSH with the pool's key.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClusterSpec, NodeCapacity } from '../../agent/types'
import { ProvisionError, ResourcesUnavailableError, toSkyError } from '../../errors'
import type { LiveNode } from '../../infra/types'
import { SshRunner } from '../../runner/ssh'
import { VERSION } from '../../../version'
import { binaryForRemote, shellQuote } from '../agent-command'
import type { ClusterHandle, ProvisionRequest, Provisioner } from '../legacy'
import { loadSshPools, type SshPoolHost } from './pools'
import { probeHost, readHostCache, writeHostCache, type HostFacts } from './probe'

const RUNTIME = '.sky-runtime'

export const hostKey = (pool: string, h: SshPoolHost) => `${pool}/${h.user}@${h.host}:${h.port}`

function runnerOf(h: SshPoolHost): SshRunner {
  return new SshRunner({ ...h, connectTimeoutMs: 8000, label: `${h.user}@${h.host}:${h.port}` })
}

type Connect = SshPoolHost

function fits(cap: NodeCapacity, need: NodeCapacity): string | undefined {
  if (need.cpus > cap.cpus) return `has ${cap.cpus} CPUs, needs ${need.cpus}`
  if (need.memoryGb > cap.memoryGb) return `has ${cap.memoryGb} GB memory, needs ${need.memoryGb}`
  if (need.gpus) {
    if (!cap.gpus || cap.gpus.name.toLowerCase() !== need.gpus.name.toLowerCase()) return `has no ${need.gpus.name} GPUs`
    if (cap.gpus.count < need.gpus.count) return `has ${cap.gpus.count} ${need.gpus.name}, needs ${need.gpus.count}`
  }
  return undefined
}

/** Digest of the binary we would install, to skip re-uploading an identical one. */
let digest: string | undefined
/** Put `text` in a 0600 file on the host (created 0600 before any byte is written). */
async function uploadSecret(r: SshRunner, text: string, remotePath: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sky-secret-'))
  const local = join(dir, 'secret')
  try {
    writeFileSync(local, text, { mode: 0o600 })
    await r.run(`(umask 077 && : > ${shellQuote(remotePath)})`)
    await r.upload(local, remotePath)
    await r.run(`chmod 600 ${shellQuote(remotePath)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function binaryDigest(path: string): string {
  return (digest ??= createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16))
}

/** Make sure the host has this binary at ~/.sky-runtime/bin/sky; returns its path there. */
export async function installBinary(r: SshRunner, home: string, log: (l: string) => void): Promise<string> {
  const bin = binaryForRemote()
  if (!bin) throw new ProvisionError('No compiled sky binary to install on the node; build one first (bun scripts/build.ts).')
  const target = `${home}/${RUNTIME}/bin/sky`
  const stamp = `${home}/${RUNTIME}/bin/.digest`
  const want = `${VERSION}-${binaryDigest(bin)}`
  const have = await r.run(`cat ${shellQuote(stamp)} 2>/dev/null`)
  if (have.stdout.trim() === want) return target
  log(`├── Installing the sky runtime on ${r.label}.`)
  await r.run(`mkdir -p ${shellQuote(`${home}/${RUNTIME}/bin`)}`)
  await r.upload(bin, `${target}.tmp`)
  const mv = await r.run(`chmod 755 ${shellQuote(`${target}.tmp`)} && mv -f ${shellQuote(`${target}.tmp`)} ${shellQuote(target)} && echo ${shellQuote(want)} > ${shellQuote(stamp)}`)
  if (mv.code !== 0) throw new ProvisionError(`${r.label}: could not install the runtime: ${mv.stderr.trim()}`)
  return target
}

async function inspect(pool: string, h: SshPoolHost, signal: AbortSignal): Promise<HostFacts> {
  const r = runnerOf(h)
  try {
    const facts = await probeHost(r, signal)
    writeHostCache(hostKey(pool, h), facts)
    return facts
  } finally {
    await r.close()
  }
}

export const sshProvisioner: Provisioner = {
  name: 'ssh',
  canStop: false,

  async provision(req: ProvisionRequest): Promise<ClusterHandle> {
    const poolName = req.region ?? ''
    const pool = loadSshPools()[poolName]
    if (!pool) throw new ResourcesUnavailableError(`SSH node pool '${poolName}' is not in ssh_node_pools.yaml.`, { hint: 'List pools with: sky check ssh' })
    let hosts: SshPoolHost[]
    const facts: HostFacts[] = []
    if (req.existing) {
      hosts = req.existing.nodes.map((n) => n.connect as Connect)
      for (const h of hosts) facts.push(await inspect(poolName, h, req.signal))
    } else {
      hosts = []
      const reasons: string[] = []
      for (const h of pool.hosts) {
        if (hosts.length === req.numNodes) break
        try {
          const f = await inspect(poolName, h, req.signal)
          const why = f.cluster && f.cluster !== req.clusterName ? `in use by cluster '${f.cluster}'` : fits(f.capacity, req.capacityNeeded)
          if (why) reasons.push(`${h.host}: ${why}`)
          else {
            hosts.push(h)
            facts.push(f)
          }
        } catch (e) {
          reasons.push(`${h.host}: ${toSkyError(e).message}`)
        }
      }
      if (hosts.length < req.numNodes) {
        throw new ResourcesUnavailableError(
          `SSH pool '${poolName}' has ${hosts.length} usable host${hosts.length === 1 ? '' : 's'}, ${req.numNodes} needed (${reasons.join('; ') || 'no hosts'}).`,
        )
      }
    }
    const head = hosts[0]!
    const headRunner = runnerOf(head)
    try {
      const headHome = facts[0]!.home
      const bin = await installBinary(headRunner, headHome, req.log)
      // The head reaches workers with the pool's keys (or, for hosts with a password only, that
      // password), copied into a 0700 directory of its runtime dir.
      const keysDir = `${headHome}/${RUNTIME}/keys`
      const nodes = await Promise.all(
        hosts.map(async (h, rank) => {
          let keyPath = ''
          let passwordPath = ''
          if (rank > 0 && (h.identityFile || h.password !== undefined)) {
            await headRunner.run(`mkdir -p ${shellQuote(keysDir)} && chmod 700 ${shellQuote(keysDir)}`)
          }
          if (rank > 0 && h.identityFile) {
            keyPath = `${keysDir}/node-${rank}`
            await headRunner.upload(h.identityFile.replace(/^~(?=\/)/, process.env.HOME ?? '~'), keyPath)
            await headRunner.run(`chmod 600 ${shellQuote(keyPath)}`)
          } else if (rank > 0 && h.password !== undefined) {
            passwordPath = `${keysDir}/node-${rank}.password`
            await uploadSecret(headRunner, h.password, passwordPath)
          }
          return {
            rank,
            ip: h.host,
            home: facts[rank]!.home,
            kind: 'ssh' as const,
            ...(rank > 0 ? { ssh: { host: h.host, port: h.port, user: h.user, keyPath, ...(passwordPath ? { passwordPath } : {}) } } : {}),
            connect: h,
          }
        }),
      )
      const capacity = facts.map((f) => f.capacity).reduce((a, b) => ({
        cpus: Math.min(a.cpus, b.cpus),
        memoryGb: Math.min(a.memoryGb, b.memoryGb),
        gpus: a.gpus && b.gpus && a.gpus.name === b.gpus.name ? { name: a.gpus.name, count: Math.min(a.gpus.count, b.gpus.count) } : null,
      }))
      req.log(`└── ${hosts.length === 1 ? 'Host is' : `${hosts.length} hosts are`} ready.`)
      return {
        cloud: 'ssh',
        region: poolName,
        zone: null,
        nodes,
        headIp: head.host,
        runtimeDir: `${headHome}/${RUNTIME}`,
        agentCmd: [bin],
        capacity,
        instanceType: null,
      }
    } finally {
      await headRunner.close()
    }
  },

  runner(handle: ClusterHandle, rank: number) {
    return runnerOf(handle.nodes[rank]!.connect as Connect)
  },

  async stop() {
    throw new ProvisionError('Clusters on SSH node pools cannot be stopped, only taken down (sky down).')
  },

  async terminate(handle: ClusterHandle) {
    await Promise.all(
      handle.nodes.map(async (n, rank) => {
        const r = sshProvisioner.runner(handle, rank)
        try {
          const rt = `${n.home}/${RUNTIME}`
          // Keep the installed binary (the next cluster starts faster); drop everything else.
          await r.run(`if [ -d ${shellQuote(rt)} ]; then find ${shellQuote(rt)} -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +; fi; rm -rf ${shellQuote(`${n.home}/sky_workdir`)}`)
        } finally {
          await r.close()
        }
      }),
    )
    for (const n of handle.nodes) {
      const c = n.connect as Connect
      const key = hostKey(handle.region ?? '', c)
      const cached = readHostCache()[key]
      if (cached) writeHostCache(key, { ...cached, cluster: null })
    }
  },

  clusterSpec(name: string, handle: ClusterHandle): ClusterSpec {
    const agent = [...handle.agentCmd, '_agent'].map(shellQuote).join(' ')
    return {
      name,
      cloud: 'ssh',
      region: handle.region,
      zone: null,
      nodes: handle.nodes.map(({ connect: _c, ...n }) => n),
      capacity: handle.capacity,
      onAutostop: `${agent} stop-all --root ${shellQuote(handle.runtimeDir)}`,
    }
  },
}

/** Hosts of every pool as optimizer nodes, from the probe cache (hosts in use are left out). */
export async function sshLiveNodes(): Promise<LiveNode[]> {
  let pools: ReturnType<typeof loadSshPools>
  try {
    pools = loadSshPools(undefined, { checkFiles: false })
  } catch {
    return []
  }
  const cache = readHostCache()
  const out: LiveNode[] = []
  for (const [name, pool] of Object.entries(pools)) {
    for (const h of pool.hosts) {
      const f = cache[hostKey(name, h)]
      if (f?.cluster) continue
      // Unprobed hosts are offered with unknown (large) capacity; provisioning checks for real.
      const cap = f?.capacity ?? { cpus: 1024, memoryGb: 1 << 20, gpus: null }
      out.push({ infra: 'ssh', region: name, name: h.host, cpus: cap.cpus, memoryGb: cap.memoryGb, ...(cap.gpus ? { gpus: cap.gpus } : {}) })
    }
  }
  return out
}
