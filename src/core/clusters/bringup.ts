// Bringing a cluster up from its intent row: provision (create or resume) → wait → cluster info →
// runtime → agent → UP. Each step's result is saved as soon as it exists (the handle right after
// cluster info), so a crash at any point leaves a row that says what may exist and how to reach
// it; repeating the whole flow converges (every step is idempotent).
import { toSkyError } from '../errors'
import { clusterTags } from '../provision/naming'
import { provisionerFor } from '../provision/registry'
import type { ClusterHandle, ClusterRef, Provisioner } from '../provision/types'
import type { ClusterRecord } from '../state/clusters'
import { installAgent } from './agent'
import type { OpsContext } from './context'
import { capacityLabel } from './demand'
import { launchedOf, nameOnCloudOf, refOf } from './record'
import { writeSshConfig } from './ssh-config'

/** Bring `rec` (an INIT row with launched resources) up; returns the UP row. */
export async function bringUp(ctx: OpsContext, rec: ClusterRecord, o: { resume: boolean }): Promise<ClusterRecord> {
  const launched = launchedOf(rec)
  const p = await provisionerFor(launched.infra)
  const base = refOf(rec)
  const opt = { signal: ctx.signal, log: ctx.log }
  await p.provision({
    cluster: { name: rec.name, nameOnCloud: nameOnCloudOf(rec), userHash: rec.userId },
    resources: launched,
    tags: clusterTags(rec.name, nameOnCloudOf(rec), rec.userId),
    resume: o.resume ? base.handle : null,
    signal: ctx.signal,
    log: ctx.log,
  })
  await p.wait(base, opt)
  let handle: ClusterHandle = await p.clusterInfo(base, opt)
  handle = await p.setupRuntime(handle, opt)
  const ref: ClusterRef & { handle: ClusterHandle } = { ...base, handle }
  // How to reach it is known: saved before anything else can fail.
  let row: ClusterRecord = {
    ...rec,
    handle: handle as unknown as Record<string, unknown>,
    infra: { cloud: launched.infra, region: handle.region ?? launched.region, ...(handle.zone ? { zone: handle.zone } : {}) },
    resources: { ...rec.resources, label: capacityLabel(handle.capacity, launched.instanceType && !launched.instanceType.includes('CPU--') ? launched.instanceType : null), capacity: handle.capacity },
  }
  await ctx.store.clusters.upsert(row)
  if (launched.ports.length && p.capabilities.ports) {
    await p.openPorts(ref, launched.ports, opt)
    row = { ...row, resources: { ...row.resources, endpoints: await endpointMap(p, ref, launched.ports) } }
  }
  await installAgent(ref, ctx.signal)
  row = { ...row, status: 'UP', statusReason: null, statusUpdatedAt: Date.now(), lastUse: Date.now() }
  await ctx.store.clusters.upsert(row)
  try {
    writeSshConfig(rec.name, handle)
  } catch (e) {
    ctx.log(`Could not write the SSH config for '${rec.name}': ${toSkyError(e).message}`)
  }
  return row
}

/** Remove whatever an attempt made (found by tag when there is no handle); false when that failed. */
export async function cleanupAttempt(ctx: OpsContext, rec: ClusterRecord): Promise<boolean> {
  try {
    const p = await provisionerFor(launchedOf(rec).infra)
    // Cleanup must run even when the request is being cancelled.
    await p.terminate(refOf(rec), { log: ctx.log })
    return true
  } catch (e) {
    ctx.log(`Could not clean up the attempt on ${launchedOf(rec).infra}: ${toSkyError(e).message}`)
    return false
  }
}

/** Where clients reach each opened port (`sky status --endpoints`), kept on the record: port → host:port. */
export async function endpointMap(p: Provisioner, ref: ClusterRef, ports: string[]): Promise<Record<string, string>> {
  const eps = await p.endpoints(ref, ports).catch(() => [])
  return Object.fromEntries(eps.map((e) => [String(e.port), e.address]))
}
