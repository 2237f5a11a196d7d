// `sky check kubernetes`: kubeconfig contexts (ssh-<pool> contexts belong to SSH node pools).
// Launching needs the provisioner this build does not have yet, so the infra is never enabled;
// the contexts found are named. (`kubernetes.allowed_contexts` applies in infra/check.ts.)
import { readKubeconfig } from '../../infra/kubeconfig'
import { unsupportedCheck } from '../handle'
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

export function checkKubernetes(ctx: CheckContext): InfraCheck {
  const k = kubeContexts(ctx)
  const found = k.contexts.length > 0
  // The contexts are listed (sky check -v), though none can be used by this build.
  return unsupportedCheck('kubernetes', { found, detail: found ? `kubeconfig ${k.files.filter(Boolean).join(', ')}, contexts ${k.contexts.join(', ')}` : k.why! }, k.contexts)
}
