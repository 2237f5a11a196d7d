// instances.* of the Compute test server. Mutations return a zone operation and take effect when
// it finishes: insert PROVISIONING → RUNNING (or gone, when the operation fails); stop STOPPING →
// TERMINATED (external addresses released, as ephemeral ones are); start STAGING → RUNNING with new
// external addresses; delete STOPPING → gone; setLabels / setMetadata check the fingerprint.
import { GceHttpError, notFound, required } from './errors.ts'
import { buildInstance, validateLabels } from './instance-resource.ts'
import { fingerprint, timestamp } from './ids.ts'
import { filtered, listResponse, requireZone, type Ctx } from './context.ts'
import type { OpError } from './operations.ts'
import type { GceState, Json } from './state.ts'

function find(ctx: Ctx): Json {
  const zone = requireZone(ctx)
  const inst = ctx.state.instances.get(ctx.state.instanceKey(zone, ctx.params.name!))
  if (!inst) throw notFound(`projects/${ctx.state.project}/zones/${zone}/instances/${ctx.params.name}`)
  return inst
}

/** Still the same instance (not deleted, not replaced by a new one of the same name)? */
function current(state: GceState, zone: string, inst: Json): boolean {
  return state.instances.get(state.instanceKey(zone, inst.name))?.id === inst.id
}

function releaseExternal(state: GceState, inst: Json): void {
  for (const nic of inst.networkInterfaces) {
    for (const ac of nic.accessConfigs) {
      state.releaseNatIp(ac.natIP)
      delete ac.natIP
    }
  }
}

function assignExternal(state: GceState, inst: Json): void {
  for (const nic of inst.networkInterfaces) for (const ac of nic.accessConfigs) ac.natIP ??= state.allocNatIp()
}

/** Remove an instance at once, releasing its external addresses. */
export function removeInstance(state: GceState, zone: string, name: string): boolean {
  const inst = state.instances.get(state.instanceKey(zone, name))
  if (!inst) return false
  releaseExternal(state, inst)
  state.instances.delete(state.instanceKey(zone, name))
  return true
}

function zoneOp(ctx: Ctx, zone: string, inst: Json, type: string, ...steps: [finish: () => OpError | void] | [running: () => void, finish: () => OpError | void]): Json {
  const [running, finish] = steps.length === 2 ? steps : [undefined, steps[0]]
  return ctx.ops.create({ scope: { zone }, type, targetLink: inst.selfLink, targetId: inst.id, finish, ...(running ? { running } : {}) })
}

export const instanceHandlers = {
  list(ctx: Ctx): Json {
    const zone = requireZone(ctx)
    const items = [...ctx.state.instances.values()].filter((i) => i.zone.endsWith(`/zones/${zone}`))
    return listResponse('compute#instanceList', structuredClone(items), ctx, `zones/${zone}/instances`)
  },

  aggregatedList(ctx: Ctx): Json {
    const items: Json = {}
    for (const zone of ctx.state.zones) {
      const inZone = filtered(structuredClone([...ctx.state.instances.values()].filter((i) => i.zone.endsWith(`/zones/${zone}`))), ctx.query)
      const scope = `zones/${zone}`
      items[scope] = inZone.length
        ? { instances: inZone.sort((a, b) => a.name.localeCompare(b.name)) }
        : { warning: { code: 'NO_RESULTS_ON_PAGE', message: `There are no results for scope '${scope}' on this page.`, data: [{ key: 'scope', value: scope }] } }
    }
    return { kind: 'compute#instanceAggregatedList', id: `projects/${ctx.state.project}/aggregated/instances`, items, selfLink: ctx.state.url('aggregated/instances') }
  },

  get: (ctx: Ctx): Json => structuredClone(find(ctx)),

  insert(ctx: Ctx): Json {
    const zone = requireZone(ctx)
    if (!ctx.body) throw required('resource')
    const inst = buildInstance(ctx.state, zone, ctx.body)
    const { state } = ctx
    state.instances.set(state.instanceKey(zone, inst.name), inst)
    const fault = ctx.opFault
    const staging = () => {
      if (current(state, zone, inst) && inst.status === 'PROVISIONING') inst.status = 'STAGING'
    }
    return zoneOp(ctx, zone, inst, 'insert', staging, () => {
      if (!current(state, zone, inst)) return
      if (fault) {
        removeInstance(state, zone, inst.name)
        return fault
      }
      inst.status = 'RUNNING'
      inst.cpuPlatform = 'Intel Cascade Lake'
      inst.lastStartTimestamp = timestamp()
    })
  },

  delete(ctx: Ctx): Json {
    const inst = find(ctx)
    const zone = ctx.params.zone!
    inst.status = 'STOPPING'
    return zoneOp(ctx, zone, inst, 'delete', () => {
      if (current(ctx.state, zone, inst)) removeInstance(ctx.state, zone, inst.name)
    })
  },

  stop(ctx: Ctx): Json {
    const inst = find(ctx)
    const zone = ctx.params.zone!
    if (inst.status !== 'TERMINATED') inst.status = 'STOPPING'
    return zoneOp(ctx, zone, inst, 'stop', () => {
      if (!current(ctx.state, zone, inst) || inst.status === 'TERMINATED') return
      inst.status = 'TERMINATED'
      inst.lastStopTimestamp = timestamp()
      releaseExternal(ctx.state, inst)
    })
  },

  start(ctx: Ctx): Json {
    const inst = find(ctx)
    const zone = ctx.params.zone!
    const fault = ctx.opFault
    const wasStopped = inst.status === 'TERMINATED'
    if (wasStopped) inst.status = 'STAGING'
    return zoneOp(ctx, zone, inst, 'start', () => {
      if (!current(ctx.state, zone, inst) || !wasStopped) return
      if (fault) {
        inst.status = 'TERMINATED'
        return fault
      }
      assignExternal(ctx.state, inst)
      inst.status = 'RUNNING'
      inst.lastStartTimestamp = timestamp()
    })
  },

  setLabels(ctx: Ctx): Json {
    const inst = find(ctx)
    const zone = ctx.params.zone!
    const labels = validateLabels('labels', ctx.body?.labels)
    if (!ctx.body?.labelFingerprint) throw required('labelFingerprint')
    if (ctx.body.labelFingerprint !== inst.labelFingerprint) {
      throw new GceHttpError(412, 'conditionNotMet', 'Labels fingerprint either invalid or resource labels have changed')
    }
    inst.labelFingerprint = fingerprint({ pending: labels, at: Date.now() }) // a second setLabels with the old fingerprint fails
    return zoneOp(ctx, zone, inst, 'setLabels', () => {
      inst.labels = labels
      inst.labelFingerprint = fingerprint(labels)
    })
  },

  setMetadata(ctx: Ctx): Json {
    const inst = find(ctx)
    const zone = ctx.params.zone!
    if (!ctx.body?.fingerprint) throw required('metadata.fingerprint')
    if (ctx.body.fingerprint !== inst.metadata.fingerprint) {
      throw new GceHttpError(412, 'conditionNotMet', 'Supplied fingerprint does not match current metadata fingerprint.')
    }
    const items = (ctx.body.items as Json[] | undefined) ?? []
    inst.metadata.fingerprint = fingerprint({ pending: items, at: Date.now() })
    return zoneOp(ctx, zone, inst, 'setMetadata', () => {
      inst.metadata = { kind: 'compute#metadata', fingerprint: fingerprint(items), ...(items.length ? { items } : {}) }
    })
  },
}

/** Preempt (or lose the host of) an instance: spot with DELETE action → gone, else TERMINATED. */
export function preemptInstance(state: GceState, zone: string, name: string): 'TERMINATED' | 'DELETED' {
  const inst = state.instances.get(state.instanceKey(zone, name))
  if (!inst) throw new Error(`preempt: no instance ${zone}/${name}`)
  if (inst.scheduling?.instanceTerminationAction === 'DELETE') {
    removeInstance(state, zone, name)
    return 'DELETED'
  }
  inst.status = 'TERMINATED'
  inst.lastStopTimestamp = timestamp()
  releaseExternal(state, inst)
  return 'TERMINATED'
}
