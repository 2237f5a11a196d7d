// firewalls.* (global operations) and zoneOperations / globalOperations get and wait.
import { alreadyExists, invalidField, notFound, required } from './errors.ts'
import { newId, timestamp } from './ids.ts'
import { validateName } from './instance-resource.ts'
import { listResponse, requireZone, type Ctx } from './context.ts'
import type { OpScope } from './operations.ts'
import type { Json } from './state.ts'

function fwPath(ctx: Ctx, name: string): string {
  return `projects/${ctx.state.project}/global/firewalls/${name}`
}

function validRules(field: string, rules: unknown): Json[] | undefined {
  if (rules === undefined) return undefined
  if (!Array.isArray(rules)) throw invalidField(field, rules, 'Must be a list.')
  rules.forEach((r: Json, i) => {
    if (!r?.IPProtocol) throw required(`${field}[${i}].IPProtocol`)
    for (const p of (r.ports as string[] | undefined) ?? []) {
      if (!/^\d{1,5}(-\d{1,5})?$/.test(String(p))) throw invalidField(`${field}[${i}].ports`, p, 'Invalid port specification.')
    }
  })
  return rules as Json[]
}

export const firewallHandlers = {
  list: (ctx: Ctx) => listResponse('compute#firewallList', structuredClone([...ctx.state.firewalls.values()]), ctx, 'global/firewalls'),

  get(ctx: Ctx): Json {
    const fw = ctx.state.firewalls.get(ctx.params.name!)
    if (!fw) throw notFound(fwPath(ctx, ctx.params.name!))
    return structuredClone(fw)
  },

  insert(ctx: Ctx): Json {
    const body = ctx.body
    if (!body) throw required('resource')
    const name = validateName('resource.name', body.name)
    if (ctx.state.firewalls.has(name)) throw alreadyExists(fwPath(ctx, name))
    if (!ctx.state.isDefaultNetwork(body.network)) throw notFound(`projects/${ctx.state.project}/global/networks/${String(body.network).split('/').pop()}`)
    const allowed = validRules('resource.allowed', body.allowed)
    const denied = validRules('resource.denied', body.denied)
    if (!allowed && !denied) throw required('resource.allowed')
    const direction = body.direction ?? 'INGRESS'
    const fw: Json = {
      kind: 'compute#firewall',
      id: newId(),
      creationTimestamp: timestamp(),
      name,
      description: body.description ?? '',
      network: ctx.state.url('global/networks/default'),
      priority: body.priority ?? 1000,
      ...(direction === 'INGRESS' ? { sourceRanges: body.sourceRanges ?? (body.sourceTags ? undefined : ['0.0.0.0/0']) } : { destinationRanges: body.destinationRanges ?? ['0.0.0.0/0'] }),
      ...(body.sourceTags ? { sourceTags: body.sourceTags } : {}),
      ...(body.targetTags ? { targetTags: body.targetTags } : {}),
      ...(allowed ? { allowed } : {}),
      ...(denied ? { denied } : {}),
      direction,
      logConfig: { enable: false },
      disabled: !!body.disabled,
      selfLink: ctx.state.url(`global/firewalls/${name}`),
    }
    if (fw.sourceRanges === undefined) delete fw.sourceRanges
    const fault = ctx.opFault
    return ctx.ops.create({
      scope: { global: true },
      type: 'insert',
      targetLink: fw.selfLink,
      targetId: fw.id,
      finish: () => {
        if (fault) return fault
        ctx.state.firewalls.set(name, fw)
      },
    })
  },

  delete(ctx: Ctx): Json {
    const fw = firewallHandlers.get(ctx)
    return ctx.ops.create({
      scope: { global: true },
      type: 'delete',
      targetLink: fw.selfLink,
      targetId: fw.id,
      finish: () => {
        if (ctx.state.firewalls.get(fw.name)?.id === fw.id) ctx.state.firewalls.delete(fw.name)
      },
    })
  },
}

function opScope(ctx: Ctx): { scope: OpScope; path: string } {
  if (ctx.params.zone) return { scope: { zone: requireZone(ctx) }, path: `zones/${ctx.params.zone}` }
  return { scope: { global: true }, path: 'global' }
}

export const operationHandlers = {
  get(ctx: Ctx): Json {
    const { scope, path } = opScope(ctx)
    const op = ctx.ops.get(scope, ctx.params.operation!)
    if (!op) throw notFound(`projects/${ctx.state.project}/${path}/operations/${ctx.params.operation}`)
    return op
  },

  async wait(ctx: Ctx): Promise<Json> {
    const { scope, path } = opScope(ctx)
    const op = await ctx.ops.wait(scope, ctx.params.operation!, ctx.waitTimeoutMs)
    if (!op) throw notFound(`projects/${ctx.state.project}/${path}/operations/${ctx.params.operation}`)
    return op
  },
}
