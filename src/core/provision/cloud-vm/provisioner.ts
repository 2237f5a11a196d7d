// The cloud-VM provisioner: the v2 contract for any cloud whose nodes are VMs reached over SSH,
// built on a CloudVmDriver (./driver.ts). Instances are found by their cluster tag in the
// cluster's region, never by a remembered id alone, so every operation works after a crash
// (no handle yet) and repeating one converges:
//   provision  reuse running instances of the zone, start stopped ones, create the missing ranks
//              (all at once, one zone), terminate strays (another zone, duplicate ranks)
//   wait       until every rank runs (a rank that ends while booting is a capacity failure)
//   query      by tag; queryMany: one listing per region for every cluster refreshed at once
//   stop       refused for spot; then stop and wait until stopped
//   terminate  every tagged instance, verified gone, then the cluster's security group/firewall
import type { ClusterSpec } from '../../agent/types'
import { toSkyError } from '../../errors'
import { shellQuote } from '../agent-command'
import { runnerTransport } from '../agent-transport'
import { CapacityError, InfraConfigError, UnsupportedError } from '../errors'
import { expandPorts } from '../local/provisioner'
import type { AgentTransport, ClusterHandle, ClusterRef, NodeHandle, NodeStatus, OpOptions, PortEndpoint, ProvisionRecord, ProvisionRequest, Provisioner } from '../types'
import { TAG_CLUSTER, TAG_SERVER, TAG_USER, type CloudVmDriver, type VmInstance } from './driver'
import { userKey } from './keys'
import { prepareRuntime, releaseDir } from './runtime'
import { serverId } from './server-id'
import { setupVmRuntime } from './setup'
import { vmConnectOf, vmRunner, type VmConnect } from './ssh'
import { alive, statusByRank } from './states'
import { pause } from '../../pause'
import { backoff } from './wait'

/** A cluster's tagged instances in one region, as orphan reconciliation sees them. */
export interface TaggedCluster {
  nameOnCloud: string
  region: string
  zone: string | null
  instances: VmInstance[]
}

export interface CloudVmProvisioner extends Provisioner {
  readonly driver: CloudVmDriver
  /** Live clusters this API server made, per region (orphan reconciliation). */
  tagged(o?: OpOptions): Promise<TaggedCluster[]>
}

const STOP_WAIT_MS = 10 * 60_000

/** Which instances keep which rank; strays and duplicates go. */
export function planRanks(found: VmInstance[], numNodes: number): { keep: Map<number, VmInstance>; retag: [VmInstance, number][]; extra: VmInstance[] } {
  const keep = new Map<number, VmInstance>()
  const extra: VmInstance[] = []
  const untagged: VmInstance[] = []
  // Running before stopped: the one worth keeping when a rank has two.
  const order = { running: 0, pending: 1, stopping: 2, stopped: 3, unknown: 4, terminated: 5 } as const
  for (const i of [...found].sort((a, b) => order[a.state] - order[b.state] || a.id.localeCompare(b.id))) {
    if (i.rank === null) untagged.push(i)
    else if (i.rank < numNodes && !keep.has(i.rank)) keep.set(i.rank, i)
    else extra.push(i)
  }
  const retag: [VmInstance, number][] = []
  for (const i of untagged.sort((a, b) => (a.launchedAt ?? 0) - (b.launchedAt ?? 0) || a.id.localeCompare(b.id))) {
    let rank = 0
    while (keep.has(rank)) rank++
    if (rank >= numNodes) extra.push(i)
    else {
      keep.set(rank, i)
      retag.push([i, rank])
    }
  }
  return { keep, retag, extra }
}

export function cloudVmProvisioner(d: CloudVmDriver): CloudVmProvisioner {
  /** Instances the last provision in this process made or resumed, per cluster: what wait() waits for. */
  const recent = new Map<string, Set<string>>()
  /**
   * Provision attempts in this process not cleaned up yet, and whether each got as far as asking
   * the cloud to create, start or terminate anything. One that never did has nothing to clean up
   * even when the cloud cannot be listed (credentials refused, endpoint down): its cleanup then
   * succeeds instead of leaving the cluster stuck. (Instances of an older attempt that a crash left
   * without a record are found later by orphan reconciliation, ./reconcile.ts.)
   */
  const attempts = new Map<string, { mutated: boolean }>()
  const regionOf = (ref: ClusterRef) => ref.handle?.region ?? ref.resources.region
  const tag = (nameOnCloud: string) => `${d.infra}-${nameOnCloud}`
  const where = (region: string, zone: string | null) => `${d.displayName} ${zone ?? region}`

  async function instancesOf(ref: ClusterRef, o: OpOptions = {}): Promise<VmInstance[]> {
    return d.list(regionOf(ref), [ref.nameOnCloud], o)
  }

  /** Poll the cluster's instances until `done` holds; `stuck` names what failed (null: keep waiting). */
  async function until(ref: ClusterRef, o: OpOptions, limitMs: number, done: (all: VmInstance[]) => boolean, what: string, stuck?: (all: VmInstance[]) => string | null): Promise<VmInstance[]> {
    const next = backoff(2000, 100)
    let deadline = Date.now() + limitMs
    let progress = -1
    for (;;) {
      const all = await instancesOf(ref, o)
      if (done(all)) return all
      const why = stuck?.(all)
      if (why) throw new CapacityError(why, { infra: d.infra, region: regionOf(ref), zone: ref.resources.zone })
      const running = all.filter((i) => i.state === 'running').length
      if (running > progress) {
        progress = running
        deadline = Math.max(deadline, Date.now() + limitMs)
      }
      if (Date.now() > deadline) throw new CapacityError(`Timed out after ${Math.round(limitMs / 1000)} s waiting for ${what} (${all.map((i) => `${i.id}: ${i.state}`).join(', ') || 'no instances'}).`, { infra: d.infra, region: regionOf(ref), zone: ref.resources.zone })
      await pause(next(), o.signal)
    }
  }

  const p: CloudVmProvisioner = {
    infra: d.infra,
    capabilities: d.capabilities,
    driver: d,

    async provision(req: ProvisionRequest): Promise<ProvisionRecord> {
      const r = req.resources
      const region = r.region
      const name = req.cluster.nameOnCloud
      const o = { signal: req.signal, log: req.log }
      const attempt = { mutated: false }
      attempts.set(name, attempt)
      prepareRuntime()
      let found = (await d.list(region, [name], o)).filter(alive)
      attempt.mutated = true // from here on something may be asked of the cloud
      const zone = req.resume?.zone ?? r.zone ?? found.find((i) => i.zone)?.zone ?? null
      // A cluster lives in one zone: instances elsewhere are an earlier attempt's leftovers.
      const stray = zone ? found.filter((i) => i.zone && i.zone !== zone) : []
      if (stray.length) {
        req.log(`Terminating ${stray.length} leftover instance(s) of an earlier attempt in another zone: ${stray.map((i) => i.id).join(', ')}.`)
        await d.terminate(region, stray.map((i) => i.id), o)
        found = found.filter((i) => !stray.includes(i))
      }
      if (found.some((i) => i.state === 'stopping')) {
        found = (await until({ name: req.cluster.name, nameOnCloud: name, resources: r, handle: null }, o, STOP_WAIT_MS, (all) => !all.some((i) => i.state === 'stopping'), 'instances to finish stopping')).filter(alive)
      }
      const { keep, retag, extra } = planRanks(found, r.numNodes)
      await Promise.all(retag.map(([i, rank]) => d.setRank(region, name, i.id, rank, o)))
      if (extra.length) {
        req.log(`Terminating ${extra.length} extra instance(s): ${extra.map((i) => i.id).join(', ')}.`)
        await d.terminate(region, extra.map((i) => i.id), o)
      }
      const stopped = [...keep.values()].filter((i) => i.state === 'stopped')
      if (stopped.length) {
        req.log(`⚙︎ Starting ${stopped.length} stopped instance(s) in ${where(region, zone)}.`)
        await d.start(region, stopped.map((i) => i.id), o)
      }
      const missing = Array.from({ length: r.numNodes }, (_, rank) => rank).filter((rank) => !keep.has(rank))
      let created: string[] = []
      if (missing.length) {
        const key = userKey(req.cluster.userHash)
        const boot = { region, zone, nameOnCloud: name, userHash: req.cluster.userHash, publicKey: key.publicKey, keyFingerprint: key.fingerprint, resources: r, signal: req.signal, log: req.log }
        const network = await d.bootstrap(boot)
        const tags = { ...r.labels, ...req.tags, [TAG_CLUSTER]: name, [TAG_SERVER]: serverId(), [TAG_USER]: req.cluster.userHash }
        const market = r.useSpot ? 'spot ' : ''
        req.log(`⚙︎ Launching ${missing.length} ${market}${r.instanceType ?? ''} instance${missing.length === 1 ? '' : 's'} in ${where(region, zone)}.`)
        created = await d.create({ ...boot, network, ranks: missing, tags })
      }
      const resumed = [...keep.values()].map((i) => i.id)
      recent.set(name, new Set([...resumed, ...created]))
      return { infra: d.infra, region, zone, createdIds: created, resumedIds: resumed }
    },

    async wait(ref: ClusterRef, o: OpOptions): Promise<void> {
      const n = ref.resources.numNodes
      const access = d.access(regionOf(ref), ref.resources)
      const ready = (i: VmInstance | undefined) => !!i && i.state === 'running' && !!i.privateIp && (access.useInternalIps || !!i.publicIp)
      // The instances provision() just made or resumed; after a crash, whatever the tags say.
      const mine = recent.get(ref.nameOnCloud)
      await until(
        ref,
        o,
        d.bootTimeoutMs,
        (all) => {
          const ranks = statusByRank(all, n)
          return ranks.every((s) => ready(all.find((i) => i.id === s.id))) && (!mine || [...mine].every((id) => ranks.some((s) => s.id === id)))
        },
        `${n} instance${n === 1 ? '' : 's'} to run`,
        (all) => {
          const ended = all.find((i) => i.state === 'terminated' && (mine ? mine.has(i.id) : statusByRank(all, n).some((s) => s.id === i.id)))
          return ended ? `Instance ${ended.id} ended while starting${ended.reason ? ` (${ended.reason})` : ''}.` : null
        },
      )
      o.log?.(`├── Instance${n === 1 ? ' is' : 's are'} up.`)
    },

    async clusterInfo(ref: ClusterRef, o: OpOptions): Promise<ClusterHandle> {
      const region = regionOf(ref)
      const r = ref.resources
      const all = await instancesOf(ref, o)
      const status = statusByRank(all, r.numNodes)
      const byId = new Map(all.map((i) => [i.id, i]))
      const access = d.access(region, r)
      const nodes: NodeHandle[] = status.map((s, rank) => {
        const i = byId.get(s.id)
        if (!i || i.state !== 'running' || !i.privateIp) throw new CapacityError(`Node ${rank} of ${ref.name} is not running (${s.state}${s.reason ? `: ${s.reason}` : ''}).`, { infra: d.infra, region, zone: r.zone })
        if (!i.userHash) throw new InfraConfigError(`Instance ${i.id} has no ${TAG_USER} tag: sky cannot tell whose key it was launched with.`, { infra: d.infra, region })
        const connect: VmConnect = {
          host: access.useInternalIps ? i.privateIp : (i.publicIp ?? i.privateIp),
          port: 22,
          user: access.user,
          keyPath: userKey(i.userHash).privateKeyPath,
          proxyCommand: access.proxyCommand,
        }
        return { id: i.id, rank, ip: i.privateIp, home: `/home/${access.user}`, kind: 'ssh' as const, connect }
      })
      const zone = all.find((i) => i.id === nodes[0]!.id)?.zone ?? r.zone
      return {
        infra: d.infra,
        region,
        zone,
        nameOnCloud: ref.nameOnCloud,
        nodes,
        headIp: (nodes[0]!.connect as VmConnect).host,
        runtimeDir: `${nodes[0]!.home}/.sky-runtime`,
        agentCmd: [`${nodes[0]!.home}/.sky-runtime/bin/sky`],
        capacity: { cpus: r.cpus, memoryGb: r.memoryGb, gpus: r.accelerators },
        instanceType: r.instanceType,
        provider: { region, zone, instanceIds: nodes.map((n) => n.id), spot: r.useSpot },
      }
    },

    setupRuntime: (handle, o) => setupVmRuntime(d, handle, o),

    async query(ref: ClusterRef): Promise<NodeStatus[]> {
      const n = ref.resources.numNodes
      try {
        return statusByRank(await instancesOf(ref), n)
      } catch (e) {
        // Not reachable or not allowed right now: say so, change nothing.
        const why = toSkyError(e).message
        return Array.from({ length: n }, (_, rank) => ({ id: ref.handle?.nodes[rank]?.id ?? `rank-${rank}`, rank, state: 'unknown' as const, reason: why }))
      }
    },

    /** One listing per region for all the clusters asked about (`sky status -r` of many). */
    async queryMany(refs: ClusterRef[]): Promise<Map<string, NodeStatus[]>> {
      const out = new Map<string, NodeStatus[]>()
      const byRegion = new Map<string, ClusterRef[]>()
      for (const r of refs) byRegion.set(regionOf(r), [...(byRegion.get(regionOf(r)) ?? []), r])
      await Promise.all(
        [...byRegion].map(async ([region, rs]) => {
          const list = await d.list(region, rs.map((r) => r.nameOnCloud)).catch(() => null)
          if (!list) return // unknown: each cluster's own query will say so
          for (const r of rs) out.set(r.name, statusByRank(list.filter((i) => i.cluster === r.nameOnCloud), r.resources.numNodes))
        }),
      )
      return out
    },

    async stop(ref: ClusterRef, o: OpOptions): Promise<void> {
      if (ref.resources.useSpot) {
        throw new UnsupportedError(`Cluster '${ref.name}' runs on spot instances, which ${d.displayName} cannot stop; take it down instead: sky down ${ref.name}`, { infra: d.infra })
      }
      const region = regionOf(ref)
      const live = (await instancesOf(ref, o)).filter(alive)
      const ids = live.filter((i) => i.state !== 'stopped' && i.state !== 'stopping').map((i) => i.id)
      if (ids.length) {
        o.log?.(`Stopping ${ids.length} instance(s) in ${where(region, ref.resources.zone)}: ${ids.join(', ')}.`)
        await d.stop(region, ids, o)
      }
      await until(ref, o, STOP_WAIT_MS, (all) => all.filter(alive).every((i) => i.state === 'stopped'), 'instances to stop')
    },

    async terminate(ref: ClusterRef, o: OpOptions): Promise<void> {
      const region = regionOf(ref)
      let all: VmInstance[]
      try {
        all = await instancesOf(ref, o)
      } catch (e) {
        const a = attempts.get(ref.nameOnCloud)
        if (!a || a.mutated) throw e
        attempts.delete(ref.nameOnCloud)
        o.log?.(`Nothing to clean up on ${d.displayName}: the attempt stopped before it could create anything (${toSkyError(e).message}).`)
        return
      }
      const live = all.filter(alive)
      if (live.length) {
        o.log?.(`Terminating ${live.length} instance(s) of '${ref.name}' in ${where(region, live[0]!.zone)}: ${live.map((i) => i.id).join(', ')}.`)
        await d.terminate(region, live.map((i) => i.id), o)
      }
      // Verified: nothing of the cluster is left running, stopped or starting.
      if (live.length) await until(ref, o, STOP_WAIT_MS, (all) => !all.some(alive), 'instances to terminate')
      await d.cleanup(region, ref.nameOnCloud, o)
      attempts.delete(ref.nameOnCloud)
    },

    openPorts: (ref, ports, o) => d.openPorts(regionOf(ref), ref.nameOnCloud, ports, o),
    cleanupPorts: (ref, o) => d.closePorts(regionOf(ref), ref.nameOnCloud, ref.resources.ports, o),

    async endpoints(ref: ClusterRef, ports: string[]): Promise<PortEndpoint[]> {
      const host = ref.handle ? vmConnectOf(ref.handle, 0).host : null
      return host ? expandPorts(ports).map((port) => ({ port, address: `${host}:${port}` })) : []
    },

    runner: (handle, rank) => vmRunner(vmConnectOf(handle, rank)),

    agent(handle: ClusterHandle): AgentTransport {
      return runnerTransport(p.runner(handle, 0), handle, { SKY_AGENT_CLUSTER_TAG: tag(handle.nameOnCloud) })
    },

    clusterSpec(ref): ClusterSpec {
      const h = ref.handle
      const bin = shellQuote(h.agentCmd[0]!)
      const root = shellQuote(h.runtimeDir)
      const rel = shellQuote(releaseDir(h.runtimeDir))
      const release = [bin, '_cloud', 'release', d.infra, '--region', shellQuote(h.region ?? ref.resources.region), '--cluster', shellQuote(ref.nameOnCloud), '--nodes', String(h.nodes.length)].join(' ')
      // Autostop on the node itself: stop every job, then stop or terminate the instances with the
      // node's own cloud access. Without it (or if it fails) the API server does the same at its
      // next status refresh (clusters/refresh.ts).
      const onAutostop = [
        `${bin} _agent stop-all --root ${root}`,
        'mode=stop; if [ "$SKY_AUTOSTOP_DOWN" = 1 ]; then mode=terminate; fi',
        `if [ ! -f ${rel}/env ]; then echo "no cloud access on this node: the API server releases the cluster" >&2; exit 3; fi`,
        `. ${rel}/env`,
        `exec ${release} --mode "$mode"`,
      ].join('\n')
      return {
        name: ref.name,
        cloud: d.infra,
        region: h.region,
        zone: h.zone,
        nodes: h.nodes.map(({ connect: _c, id: _i, ...n }) => n),
        capacity: h.capacity,
        onAutostop,
        tag: tag(ref.nameOnCloud),
      }
    },

    async listClusters(o?: OpOptions): Promise<string[]> {
      return [...new Set((await p.tagged(o)).map((c) => c.nameOnCloud))]
    },

    async tagged(o: OpOptions = {}): Promise<TaggedCluster[]> {
      const me = serverId()
      const lists = await Promise.all(d.regions().map(async (region) => ({ region, list: await d.list(region, null, o) })))
      const out = new Map<string, TaggedCluster>()
      for (const { region, list } of lists) {
        for (const i of list) {
          if (!alive(i) || i.server !== me) continue
          const key = `${region}/${i.cluster}`
          const c = out.get(key) ?? { nameOnCloud: i.cluster, region, zone: i.zone, instances: [] }
          c.instances.push(i)
          out.set(key, c)
        }
      }
      return [...out.values()]
    },
  }
  return p
}
