// One replica's life on its cluster, through the cluster operations every launch uses (the
// managed-jobs adapter over src/core/clusters): make the cluster `<service>-<id>` exist (optimizer,
// failover), give the replica its own network when it shares this machine with its siblings
// (local infra), submit the task under an idempotency key the agent deduplicates, and tear it all
// down again. Each step writes the replica's row (fenced) before the next, so a restarted
// controller knows what exists.
import { clusterState, ensureCluster, pollJob, submitTask, teardown, type OpsCtx } from '../../jobs/cluster-ops'
import { handleOf } from '../../clusters'
import { shellQuote } from '../../provision/agent-command'
import type { Fence } from '../../state/leases'
import type { Store } from '../../state/store'
import { parseDag } from '../../task/dag-parse'
import type { Task } from '../../task/types'
import { isTerminal as jobTerminal } from '../../agent/types'
import { createReplicaNetwork, destroyReplicaNetwork, detectIsolation, planReplicaNetwork, replicaUrl, wrapCommand, type ReplicaNetwork } from '../netns'
import { destroyRootNetwork } from '../netns/root'
import type { ServiceSpec } from '../spec'
import type { ReplicaNetworkRecord, ReplicaRecord, ServiceRecord, ServiceVersion } from '../types'
import { networkTag, serviceDir } from './files'

/** Thrown when a fenced write finds that another server replica owns the service now. */
export class ServiceLeaseLost extends Error {
  readonly leaseLost = true
  constructor(name: string) {
    super(`service ${name}: another server replica owns it now`)
  }
}

export interface ReplicaCtx {
  store: Store
  svc: ServiceRecord
  fence: Fence
  signal: AbortSignal
  log: (line: string) => void
}

/** Replica clusters stop themselves after this long without a running job (a safety net). */
const AUTODOWN_MINUTES = 30

async function patch(c: ReplicaCtx, r: ReplicaRecord, p: Parameters<Store['services']['updateReplica']>[2]): Promise<void> {
  if (!(await c.store.services.updateReplica(c.svc.name, r.replicaId, p, c.fence))) throw new ServiceLeaseLost(c.svc.name)
  Object.assign(r, p)
}

function opsCtx(c: ReplicaCtx, r: ReplicaRecord): OpsCtx {
  const actor = { id: c.svc.userId, name: c.svc.userName, role: c.svc.userRole ?? 'user' }
  return { store: c.store, actor, signal: c.signal, log: (l) => c.log(`replica ${r.replicaId}: ${l}`), owner: `serve-${c.svc.name}-${r.replicaId}` }
}

/** The version's task with the replica's environment. */
export function replicaTask(taskYaml: string, replicaId: number, isSpot: boolean): Task {
  const task = parseDag(taskYaml).tasks[0]!
  const envs = { ...task.envs, SKYPILOT_SERVE_REPLICA_ID: String(replicaId) }
  // A spot service's on-demand replicas (the fallback autoscaler's) launch without spot.
  const spot = task.resources.candidates.some((c) => c.useSpot)
  if (!spot || isSpot) return { ...task, envs }
  return { ...task, envs, resources: { ...task.resources, candidates: task.resources.candidates.map((c) => ({ ...c, useSpot: false })) } }
}

/** Whether the version's replicas are spot by default. */
export function taskUsesSpot(taskYaml: string): boolean {
  return parseDag(taskYaml).tasks[0]!.resources.candidates.some((c) => c.useSpot)
}

export type LaunchOutcome = 'started' | 'busy' | 'failed'

/**
 * PENDING/PROVISIONING → STARTING: cluster up, network ready, job submitted, URL recorded.
 * 'busy' means the infra that fits is in use now (try again later); 'failed' that the replica is
 * FAILED_PROVISION.
 */
export async function launchReplica(c: ReplicaCtx, r: ReplicaRecord, v: ServiceVersion, spec: ServiceSpec, siblingsOnLocal: number): Promise<LaunchOutcome> {
  await patch(c, r, { status: 'PROVISIONING', clusterLive: true })
  const task = replicaTask(v.taskYaml, r.replicaId, r.isSpot)
  const ops = opsCtx(c, r)
  c.log(`Launching replica ${r.replicaId} (cluster ${r.clusterName}).`)
  const res = await ensureCluster(ops, { name: r.clusterName, task, blocked: [], autodownMinutes: AUTODOWN_MINUTES, uploads: v.uploads })
  if (!res.ok) {
    if (res.kind === 'busy') {
      c.log(`Replica ${r.replicaId}: no place free now (${res.message}); trying again later.`)
      await patch(c, r, { status: 'PENDING' })
      return 'busy'
    }
    c.log(`Replica ${r.replicaId} failed to launch: ${res.message}`)
    await patch(c, r, { status: 'FAILED_PROVISION', failure: res.message })
    return 'failed'
  }
  const rec = await c.store.clusters.get(r.clusterName)
  if (!rec?.handle) throw new Error(`cluster ${r.clusterName} has no handle after its launch`)
  const handle = handleOf(rec)
  const port = spec.port!
  let url = `http://${handle.headIp}:${port}`
  let run = task.run
  let network: ReplicaNetworkRecord | null = r.network
  if (res.infra.cloud === 'local') {
    const plan = planReplicaNetwork(detectIsolation(), siblingsOnLocal, port, c.svc.name)
    if (plan.isolate) {
      if (network) destroyReplicaNetwork(network as unknown as ReplicaNetwork)
      const net = await createReplicaNetwork({ tag: networkTag(c.svc.name), replicaId: r.replicaId, port, dir: serviceDir(c.svc.name), mode: plan.isolate })
      network = net as unknown as ReplicaNetworkRecord
      await patch(c, r, { network })
      url = replicaUrl(net)
      if (run) run = `exec ${wrapCommand(net, ['bash', '-c', run]).map(shellQuote).join(' ')}`
    } else url = `http://127.0.0.1:${port}`
  }
  const agentJobId = await submitTask(ops, { name: r.clusterName, task: { ...task, run }, key: `serve-${c.svc.name}-${r.replicaId}`, taskId: `sky-serve-${c.svc.name}-${r.replicaId}` })
  await patch(c, r, { status: 'STARTING', url, agentJobId, cloud: res.infra.cloud, region: res.infra.region, launchedAt: r.launchedAt ?? Date.now() })
  c.log(`Replica ${r.replicaId} started on ${res.infra.cloud}${res.infra.region ? `/${res.infra.region}` : ''} at ${url}.`)
  return 'started'
}

/** Why a replica that fails its probe is not coming back: its job ended, or its nodes are gone. */
export async function replicaGone(store: Store, r: ReplicaRecord): Promise<'preempted' | 'exited' | null> {
  const state = await clusterState(store, r.clusterName)
  if (state === 'gone') return 'preempted'
  if (state !== 'up' || r.agentJobId === null) return null
  const job = await pollJob(store, r.clusterName, r.agentJobId)
  return job?.status && jobTerminal(job.status) ? 'exited' : null
}

/** Tear the replica's cluster and network down (idempotent). */
export async function teardownReplica(c: ReplicaCtx, r: ReplicaRecord): Promise<void> {
  if (r.network) destroyReplicaNetwork(r.network as unknown as ReplicaNetwork)
  else destroyRootNetwork(networkTag(c.svc.name), r.replicaId)
  await teardown(opsCtx(c, r), r.clusterName)
  await patch(c, r, { clusterLive: false, network: null })
}
