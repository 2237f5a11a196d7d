// `sky check kubernetes`: the kubeconfig contexts (KUBECONFIG, else ~/.kube/config; ssh-<pool>
// contexts belong to SSH node pools), each asked whether it can be used: one list of pods in its
// namespace with its credentials (5 s). Usable contexts are enabled, in kubectl's order (current
// first) or `kubernetes.allowed_contexts` order; the others are named with why.
import { readKubeconfig } from '../../infra/kubeconfig'
import { configList } from '../handle'
import type { CheckContext, InfraCheck } from '../types'

export function kubeContexts(ctx: CheckContext): { contexts: string[]; why?: string; files: string[] } {
  const info = readKubeconfig(ctx.env, ctx.home)
  let contexts = info.contexts.map((c) => c.name).filter((n) => !n.startsWith('ssh-'))
  if (info.currentContext && contexts.includes(info.currentContext)) {
    // Current context first, the way kubectl users expect it.
    contexts = [info.currentContext, ...contexts.filter((c) => c !== info.currentContext)]
  }
  if (contexts.length) return { contexts, files: info.files }
  const where = info.files.join(', ')
  const why = info.errors.length
    ? info.errors.join('; ')
    : `no kubeconfig contexts found in ${where}; point KUBECONFIG at a kubeconfig or create ~/.kube/config`
  return { contexts, why, files: info.files }
}

/** Whether `context` answers with its credentials; the reason when not. */
async function probe(context: string, ctx: CheckContext): Promise<string | null> {
  const { kube, describeFailure } = await import('./api')
  const { resolveSettings } = await import('./settings')
  try {
    const ns = resolveSettings(context, undefined, ctx.config ?? {}, ctx.env).namespace
    const c = await kube(context, ctx.env)
    await c.request('GET', `/api/v1/namespaces/${ns}/pods`, { query: { limit: 1 }, timeoutMs: 5000 })
    return null
  } catch (e) {
    return describeFailure(e)
  }
}

export async function checkKubernetes(ctx: CheckContext): Promise<InfraCheck> {
  const k = kubeContexts(ctx)
  if (!k.contexts.length) return { infra: 'kubernetes', enabled: false, reason: k.why!, capabilities: [] }
  const files = k.files.filter(Boolean).join(', ')
  const plural = (n: number) => `${n} context${n === 1 ? '' : 's'}`
  if (!ctx.validate) return { infra: 'kubernetes', enabled: true, reason: `${plural(k.contexts.length)} in ${files}`, regions: k.contexts, capabilities: ['compute'] }
  // Contexts the config leaves out are not asked (infra/check.ts drops them with a note).
  const allowed = configList(ctx.config, 'kubernetes', 'allowed_contexts')
  const asked = allowed ? k.contexts.filter((c) => allowed.includes(c)) : k.contexts
  const skipped = k.contexts.filter((c) => !asked.includes(c))
  const results = await Promise.all(asked.map(async (c) => ({ c, why: await probe(c, ctx) })))
  const ok = results.filter((r) => !r.why).map((r) => r.c)
  const bad = results.filter((r) => r.why).map((r) => `${r.c}: ${r.why}`)
  const details = [`kubeconfig: ${files}`, ...bad]
  if (!ok.length && asked.length) {
    return { infra: 'kubernetes', enabled: false, reason: `no context can be used: ${bad.join('; ')}`, regions: k.contexts, capabilities: [], details }
  }
  if (!asked.length) return { infra: 'kubernetes', enabled: false, reason: 'no context is in kubernetes.allowed_contexts', regions: k.contexts, capabilities: [], details }
  const note = bad.length ? `; unusable: ${bad.join('; ')}` : ''
  return { infra: 'kubernetes', enabled: true, reason: `${plural(ok.length)} reachable in ${files}${note}`, regions: [...ok, ...skipped], capabilities: ['compute'], details }
}
