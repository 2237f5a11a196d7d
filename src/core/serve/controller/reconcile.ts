// One reconcile of one service: read its rows, act, write, and say when to look again.
//   down requested → stop the load balancer, tear every replica down, forget the service
//   replicas: PENDING → launch (at most LAUNCHES_PER_SERVICE at once, in the background);
//             STARTING/READY/NOT_READY → probe (a failing replica whose job exited is FAILED, one
//             whose nodes are gone PREEMPTED); failed, preempted or removed → torn down
//   load balancer ← ready replicas of the active versions, at once after any change
//   autoscaler (every decision interval) → replicas added or removed, versions rolled over
import { lbStats, stopLbProcess } from '../lb/control'
import { ReadinessTracker, probeOnce } from '../probe'
import { deriveServiceStatus, isFailed, isTerminal, type ReplicaStatus } from '../status'
import type { ReplicaRecord, ServiceRecord, ServiceVersion } from '../types'
import type { ReplicaView } from '../autoscaler'
import type { ReconcileContext, ReconcileResult } from '../../../server/controllers/types'
import type { Store } from '../../state/store'
import { rmSync } from 'node:fs'
import { controllerLog, serviceDir } from './files'
import { autoscalerOf, forgetLive, liveOf, specOf, type LiveService } from './live'
import { lbStateFor, syncLb } from './lb-sync'
import { launchReplica, replicaGone, ServiceLeaseLost, taskUsesSpot, teardownReplica, type ReplicaCtx } from './replica-ops'

/** Replica launches in flight per service (SkyPilot's LAUNCHES_PER_SERVICE). */
export const LAUNCHES_PER_SERVICE = 4
/** Probe gap for a replica in its first FAST_PROBE_WINDOW_MS (then the spec's interval). */
const FAST_PROBE_MS = 200
const FAST_PROBE_WINDOW_MS = 60_000
/** A replica whose infra was busy (SSH hosts, Kubernetes nodes in use) is tried again after this. */
const BUSY_RETRY_MS = 3_000

export interface ServeDeps {
  store: Store
  wake(name: string): void
}

export async function reconcileService(d: ServeDeps, name: string, ctx: ReconcileContext): Promise<ReconcileResult> {
  const svc = await d.store.services.get(name)
  if (!svc) {
    forgetLive(name)
    return { done: true }
  }
  const l = liveOf(name)
  const log = (line: string) => controllerLog(name, line)
  const rc: ReplicaCtx = { store: d.store, svc, fence: ctx.fence, signal: l.abort.signal, log }
  const [versions, replicas] = await Promise.all([d.store.services.versions(name), d.store.services.replicas(name)])
  if (svc.downRequested) return shutDown(d, { ...rc, signal: ctx.signal }, l, replicas)
  const current = versions.find((v) => v.version === svc.currentVersion) ?? versions[versions.length - 1]!
  const spec = specOf(l, current)
  const now = Date.now()

  // Background work for replicas: launches (bounded), teardowns of removed or failed ones.
  const launching = () => [...l.inflight.values()].filter((f) => f.kind === 'launch').length
  for (const r of replicas) {
    if (l.inflight.has(r.replicaId)) continue
    if ((r.removeRequested || isTerminal(r.status)) && r.clusterLive) {
      if (r.removeRequested && r.status !== 'SHUTTING_DOWN') await patchReplica(rc, r, { status: 'SHUTTING_DOWN' })
      background(d, l, rc, r, 'teardown', async () => {
        await teardownReplica(rc, r)
        if (r.removeRequested) await d.store.services.removeReplica(name, r.replicaId, ctx.fence)
      })
    } else if (r.removeRequested && !r.clusterLive) {
      await d.store.services.removeReplica(name, r.replicaId, ctx.fence)
    } else if ((r.status === 'PENDING' || r.status === 'PROVISIONING') && launching() < LAUNCHES_PER_SERVICE && (l.notBefore.get(r.replicaId) ?? 0) <= now) {
      const v = versions.find((x) => x.version === r.version) ?? current
      const onLocal = replicas.filter((o) => o.replicaId !== r.replicaId && o.cloud === 'local' && o.clusterLive && !isTerminal(o.status)).length
      background(d, l, rc, r, 'launch', async () => {
        try {
          if ((await launchReplica(rc, r, v, specOf(l, v), onLocal)) === 'busy') l.notBefore.set(r.replicaId, Date.now() + BUSY_RETRY_MS)
          else l.notBefore.delete(r.replicaId)
        } catch (e) {
          if ((e as { leaseLost?: boolean }).leaseLost || rc.signal.aborted) throw e
          log(`Replica ${r.replicaId} failed to launch: ${(e as Error).message}`)
          await patchReplica(rc, r, { status: 'FAILED_PROVISION', failure: (e as Error).message })
        }
      })
    }
  }

  // Probe the replicas that run, all at once; a replica that stops answering leaves the rotation now.
  const probed = replicas.filter((r) => !l.inflight.has(r.replicaId) && !r.removeRequested && (r.status === 'STARTING' || r.status === 'READY' || r.status === 'NOT_READY') && r.url)
  const changes = (await Promise.all(probed.map((r) => probeReplica(rc, r, versions, l)))).filter((c) => c !== null)
  const autoscaler = autoscalerOf(l, svc, current)
  if (changes.length) {
    // The load balancer learns first, so a replica shown READY is already in rotation (and one
    // shown failing already out of it); then the statuses are recorded.
    for (const { r, patch } of changes) Object.assign(r, patch)
    await syncLb(d.store, svc, l, await lbStateFor(d.store, svc, spec, replicas, autoscaler.activeVersions(liveViewsOf(replicas))), ctx.fence, log)
    for (const { r, patch } of changes) await patchReplica(rc, r, patch)
  }

  // Autoscaling and version rollover, every decision interval.
  const views: ReplicaView[] = replicas.filter((r) => !r.removeRequested).map((r) => ({ replicaId: r.replicaId, version: r.version, status: r.status, isSpot: r.isSpot }))
  if (now < l.nextDecisionAt) {
    await replaceLost(d, rc, replicas, autoscaler.target + spec.replicaPolicy.numOverprovision, autoscaler.dump().latestEverReady || replicas.some((r) => r.version === current.version && r.firstReadyAt !== null), taskUsesSpot(current.taskYaml))
    for (const dcs of autoscaler.rollover(views)) {
      const r = replicas.find((x) => dcs.op === 'scale_down' && x.replicaId === dcs.replicaId)
      if (!r || r.removeRequested) continue
      log(`Update: replica ${r.replicaId} (version ${r.version}) is replaced by version ${current.version}.`)
      await patchReplica(rc, r, { removeRequested: true, status: 'SHUTTING_DOWN' })
      d.wake(name)
    }
  } else {
    const stats = await lbStats(serviceDir(name), l.statsSince)
    if (stats) {
      autoscaler.collectRequests(stats.requests)
      l.statsSince = Math.max(l.statsSince, ...stats.requests.map((s) => s.at))
    }
    const decisions = autoscaler.evaluate(views)
    if (autoscaler.stalled && svc.failure !== autoscaler.stalled) log(autoscaler.stalled)
    for (const dcs of decisions) {
      if (dcs.op === 'scale_up') {
        const r = await d.store.services.addReplica(name, svc.currentVersion, name, dcs.useSpot ?? taskUsesSpot(current.taskYaml), ctx.fence)
        if (!r) throw new ServiceLeaseLost(name)
        log(`Scaling up: replica ${r.replicaId} (version ${r.version}).`)
        replicas.push(r)
      } else {
        const r = replicas.find((x) => x.replicaId === dcs.replicaId)
        if (!r || r.removeRequested) continue
        log(`Scaling down: replica ${r.replicaId} (version ${r.version}, ${r.status}).`)
        await patchReplica(rc, r, { removeRequested: true, status: 'SHUTTING_DOWN' })
      }
    }
    l.nextDecisionAt = now + autoscaler.decisionIntervalSeconds() * 1000
    await d.store.services.update(name, { autoscaler: autoscaler.dump(), failure: autoscaler.stalled ?? null }, ctx.fence)
    if (decisions.length) d.wake(name)
  }

  // The load balancer and the service's status follow at once.
  const activeVersions = autoscaler.activeVersions(liveViewsOf(replicas))
  await syncLb(d.store, svc, l, await lbStateFor(d.store, svc, spec, replicas, activeVersions), ctx.fence, log)
  const statuses = replicas.filter((r) => !r.removeRequested).map((r) => r.status)
  const status = deriveServiceStatus(undefined, statuses)
  const uptime = svc.uptime ?? (statuses.includes('READY') ? Date.now() : null)
  if (status !== svc.status || uptime !== svc.uptime || JSON.stringify(activeVersions) !== JSON.stringify(svc.activeVersions)) {
    if (status !== svc.status) log(`Service status: ${status}.`)
    if (!(await d.store.services.update(name, { status, uptime, activeVersions }, ctx.fence))) throw new ServiceLeaseLost(name)
  }
  let probeMs = Math.min(...versions.map((v) => specOf(l, v).readinessProbe.intervalSeconds)) * 1000
  // A replica that just started is probed often, so it takes traffic soon after it listens.
  if (replicas.some((r) => r.status === 'STARTING' && r.launchedAt !== null && Date.now() - r.launchedAt < FAST_PROBE_WINDOW_MS)) probeMs = Math.min(probeMs, FAST_PROBE_MS)
  const retries = [...l.notBefore.values()].map((t) => t - Date.now())
  return { requeueAfterMs: Math.max(100, Math.min(probeMs, l.nextDecisionAt - Date.now(), ...retries)) }
}

/**
 * Between decisions: a replica of the current version that failed or was preempted is replaced
 * at once (the target does not change), unless the version never worked (scaling is paused then).
 */
async function replaceLost(d: ServeDeps, rc: ReplicaCtx, replicas: ReplicaRecord[], desired: number, everReady: boolean, spot: boolean): Promise<void> {
  const latest = rc.svc.currentVersion
  const mine = replicas.filter((r) => r.version === latest && !r.removeRequested)
  if (!everReady && mine.some((r) => isFailed(r.status))) {
    const why = `version ${latest} failed before any of its replicas became ready; scaling is paused until the service is updated`
    if (rc.svc.failure !== why) {
      rc.log(why)
      await rc.store.services.update(rc.svc.name, { failure: why }, rc.fence)
      rc.svc.failure = why
    }
    return
  }
  const missing = desired - mine.filter((r) => !isTerminal(r.status)).length
  for (let i = 0; i < missing; i++) {
    const r = await d.store.services.addReplica(rc.svc.name, latest, rc.svc.name, spot, rc.fence)
    if (!r) throw new ServiceLeaseLost(rc.svc.name)
    rc.log(`Replacing a lost replica: replica ${r.replicaId} (version ${latest}).`)
    replicas.push(r)
    d.wake(rc.svc.name)
  }
}

async function patchReplica(rc: ReplicaCtx, r: ReplicaRecord, p: ReplicaPatch): Promise<void> {
  if (!(await rc.store.services.updateReplica(rc.svc.name, r.replicaId, p, rc.fence))) throw new ServiceLeaseLost(rc.svc.name)
  Object.assign(r, p)
}

/** Run `fn` for a replica in the background; the service is reconciled again when it ends. */
function background(d: ServeDeps, l: LiveService, rc: ReplicaCtx, r: ReplicaRecord, kind: 'launch' | 'teardown', fn: () => Promise<void>): void {
  const done = fn()
    .catch((e) => {
      if (!(e as { leaseLost?: boolean }).leaseLost && !rc.signal.aborted) rc.log(`Replica ${r.replicaId}: ${kind} failed: ${(e as Error).message}`)
    })
    .finally(() => {
      l.inflight.delete(r.replicaId)
      d.wake(rc.svc.name)
    })
  l.inflight.set(r.replicaId, { kind, done })
}

const liveViewsOf = (replicas: ReplicaRecord[]) => replicas.filter((r) => !r.removeRequested).map((r) => ({ replicaId: r.replicaId, version: r.version, status: r.status }))

type ReplicaPatch = Parameters<Store['services']['updateReplica']>[2]

/** Probe one replica; returns the change to its row (null: none). */
async function probeReplica(rc: ReplicaCtx, r: ReplicaRecord, versions: ServiceVersion[], l: LiveService): Promise<{ r: ReplicaRecord; patch: ReplicaPatch } | null> {
  const v = versions.find((x) => x.version === r.version) ?? versions[versions.length - 1]!
  const spec = specOf(l, v).readinessProbe
  const tracker = new ReadinessTracker(spec, r.launchedAt ?? r.createdAt)
  tracker.status = r.status as 'STARTING' | 'READY' | 'NOT_READY'
  tracker.firstReadyAt = r.firstReadyAt ?? undefined
  tracker.failingSince = r.failingSince ?? undefined
  const result = await probeOnce(r.url!, spec)
  let status: ReplicaStatus = tracker.observe(result, Date.now())
  let failure: string | null = r.failure
  if (!result.ok) {
    const gone = await replicaGone(rc.store, r)
    if (gone === 'preempted') status = 'PREEMPTED'
    else if (gone === 'exited') status = 'FAILED'
    if (gone) failure = gone === 'preempted' ? 'the replica\'s nodes are gone (preempted or removed)' : `the replica's process exited (${result.error ?? 'probe failed'})`
    else if (isFailed(status)) failure = `readiness probe: ${result.error ?? 'failed'}`
  }
  const changed = status !== r.status || (tracker.firstReadyAt ?? null) !== r.firstReadyAt || (tracker.failingSince ?? null) !== r.failingSince
  if (!changed) return null
  if (status !== r.status) rc.log(`Replica ${r.replicaId}: ${r.status} → ${status}${result.ok ? '' : ` (${failure ?? result.error})`}.`)
  return { r, patch: { status, firstReadyAt: tracker.firstReadyAt ?? null, failingSince: tracker.failingSince ?? null, failure } }
}

/** `serve down`: the endpoint stops first, then every replica goes; the rows go last. */
async function shutDown(d: ServeDeps, rc: ReplicaCtx, l: LiveService, replicas: ReplicaRecord[]): Promise<ReconcileResult> {
  const { svc } = rc
  if (svc.status !== 'SHUTTING_DOWN') {
    rc.log('Shutting down the service.')
    await d.store.services.update(svc.name, { status: 'SHUTTING_DOWN' }, rc.fence)
  }
  await stopLbProcess(serviceDir(svc.name))
  // Launches in progress end first (their clusters would otherwise appear after the teardown).
  l.abort.abort()
  await Promise.all([...l.inflight.values()].map((f) => f.done))
  l.abort = new AbortController()
  const failed: string[] = []
  await Promise.all(
    replicas.map(async (r) => {
      try {
        if (r.status !== 'SHUTTING_DOWN' && !isTerminal(r.status)) await patchReplica(rc, r, { status: 'SHUTTING_DOWN' })
        await teardownReplica(rc, r)
      } catch (e) {
        if ((e as { leaseLost?: boolean }).leaseLost) throw e
        failed.push(`replica ${r.replicaId}: ${(e as Error).message}`)
      }
    }),
  )
  if (failed.length && !svc.purge) {
    rc.log(`Cleanup failed (${failed.join('; ')}); retrying. 'sky serve down --purge' forgets the service anyway.`)
    await d.store.services.update(svc.name, { status: 'FAILED_CLEANUP', failure: failed.join('; ') }, rc.fence)
    return { requeueAfterMs: 30_000 }
  }
  if (!(await d.store.services.remove(svc.name, rc.fence))) throw new ServiceLeaseLost(svc.name)
  rmSync(serviceDir(svc.name), { recursive: true, force: true })
  forgetLive(svc.name)
  return { done: true }
}
